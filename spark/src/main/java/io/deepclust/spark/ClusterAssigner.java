package io.deepclust.spark;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ModelInfo;
import java.util.Arrays;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that assigns each image of a DataFrame to a cluster with a
 * deepclust SavedModel ({@link ClusteringModel}): it appends the cluster (int), q(cluster|x)
 * (float) and, if {@link #setEmbeddingCol} names a column, the posterior mean of z
 * (array&lt;float&gt;).
 *
 * <p>The image column is either array&lt;float&gt; of H·W·C values in [0, 1] (NHWC, as {@link
 * IdxFrames} and the {@code inference} module take them) or binary PNG bytes, as Spark's {@code
 * binaryFile} source gives them in {@code content} (decoded as {@code ./deepclust predict} decodes
 * a PNG). {@link #transform} loads the model once on the driver, so a wrong path or a model that
 * breaks the contract fails there with the inference module's {@code ContractException}; the
 * executors then load it once per JVM ({@link ModelCache}) and run each partition in batches of
 * {@link #getBatchSize()} rows. A row that is not an image fails its task with the row's name
 * (the {@link #getNameCol()} column: binaryFile's {@code path} by default).
 *
 * <p>The model directory must be readable at the same path on the driver and every executor (a
 * shared file system, or {@code spark-submit --archives model.tgz#model} with a relative path).
 * Saved and loaded with its Pipeline ({@link DefaultParamsWritable}, {@link #read()}).
 */
public final class ClusterAssigner extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private static final DefaultParamsReadable<ClusterAssigner> READABLE =
      new DefaultParamsReadable<>() {};

  private final String uid;
  private final Param<String> modelPath;
  private final Param<String> inputCol;
  private final Param<String> nameCol;
  private final Param<String> clusterCol;
  private final Param<String> probabilityCol;
  private final Param<String> embeddingCol;
  private final IntParam batchSize;

  public ClusterAssigner() {
    this(Identifiable$.MODULE$.randomUID("clusterAssigner"));
  }

  /** The constructor ML persistence calls with the saved uid. */
  public ClusterAssigner(String uid) {
    this.uid = uid;
    modelPath = new Param<>(this, "modelPath",
        "SavedModel directory (the deepclust contract), the same path on driver and executors");
    inputCol = new Param<>(this, "inputCol",
        "image column: array<float> of H*W*C values in [0, 1], or binary PNG bytes");
    nameCol = new Param<>(this, "nameCol",
        "column that names a row in error messages (binaryFile's path); absent: the row's place");
    clusterCol = new Param<>(this, "clusterCol", "output column of the cluster (int)");
    probabilityCol = new Param<>(this, "probabilityCol",
        "output column of q(cluster|x) of the assigned cluster (float)");
    embeddingCol = new Param<>(this, "embeddingCol",
        "output column of the posterior mean of z (array<float>); empty for none");
    batchSize = new IntParam(this, "batchSize", "rows per model call in a partition (> 0)",
        ParamValidators.gt(0));
    setDefault(inputCol, "image");
    setDefault(nameCol, "path");
    setDefault(clusterCol, "cluster");
    setDefault(probabilityCol, "probability");
    setDefault(embeddingCol, "");
    setDefault(batchSize, ClusteringModel.DEFAULT_BATCH_SIZE);
  }

  /** Reads a ClusterAssigner saved with {@link #write()} (Pipeline loading calls it). */
  public static MLReader<ClusterAssigner> read() {
    return READABLE.read();
  }

  /** {@code read().load(path)}. */
  public static ClusterAssigner load(String path) {
    return READABLE.load(path);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> nameCol() {
    return nameCol;
  }

  public Param<String> clusterCol() {
    return clusterCol;
  }

  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  public Param<String> embeddingCol() {
    return embeddingCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public String getModelPath() {
    return $(modelPath);
  }

  public String getInputCol() {
    return $(inputCol);
  }

  public String getNameCol() {
    return $(nameCol);
  }

  public String getClusterCol() {
    return $(clusterCol);
  }

  public String getProbabilityCol() {
    return $(probabilityCol);
  }

  public String getEmbeddingCol() {
    return $(embeddingCol);
  }

  public int getBatchSize() {
    return (Integer) $(batchSize);
  }

  public ClusterAssigner setModelPath(String value) {
    set(modelPath, value);
    return this;
  }

  public ClusterAssigner setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public ClusterAssigner setNameCol(String value) {
    set(nameCol, value);
    return this;
  }

  public ClusterAssigner setClusterCol(String value) {
    set(clusterCol, value);
    return this;
  }

  public ClusterAssigner setProbabilityCol(String value) {
    set(probabilityCol, value);
    return this;
  }

  public ClusterAssigner setEmbeddingCol(String value) {
    set(embeddingCol, value);
    return this;
  }

  public ClusterAssigner setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  /**
   * Loads the model on the driver (then closes it), so that a wrong path or a contract violation
   * fails here with the inference module's message, and returns the lazy assignment.
   *
   * @throws io.deepclust.inference.ContractException if the model cannot be loaded
   * @throws IllegalArgumentException if a column is missing, of the wrong type, or taken
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType in = dataset.schema();
    StructType out = transformSchema(in);
    ModelInfo info;
    try (ClusteringModel model = ClusteringModel.load(ModelCache.localPath(getModelPath()))) {
      info = model.info();
    }
    String[] names = in.fieldNames();
    AssignPartition.Spec spec = new AssignPartition.Spec(getModelPath(),
        in.fieldIndex(getInputCol()), in.apply(getInputCol()).dataType() == DataTypes.BinaryType,
        Arrays.asList(names).indexOf(getNameCol()), getBatchSize(), !getEmbeddingCol().isEmpty(),
        info.height(), info.width(), info.channels());
    return dataset.toDF().mapPartitions(new AssignPartition(spec), Encoders.row(out));
  }

  /** The input schema plus the output columns; checks the image column's type. */
  @Override
  public StructType transformSchema(StructType schema) {
    if (!isDefined(modelPath)) {
      throw new IllegalArgumentException(uid + ": modelPath is not set");
    }
    String col = getInputCol();
    if (!Arrays.asList(schema.fieldNames()).contains(col)) {
      throw new IllegalArgumentException(String.format(
          "%s: no image column '%s' among %s", uid, col, Arrays.toString(schema.fieldNames())));
    }
    DataType type = schema.apply(col).dataType();
    boolean floats = type instanceof ArrayType a && a.elementType() == DataTypes.FloatType;
    if (!floats && type != DataTypes.BinaryType) {
      throw new IllegalArgumentException(String.format("%s: image column '%s' is %s; expected"
          + " array<float> in [0, 1] (cast a double array with .cast(\"array<float>\")) or binary"
          + " PNG bytes", uid, col, type.simpleString()));
    }
    StructType out = schema;
    out = add(out, getClusterCol(), DataTypes.IntegerType);
    out = add(out, getProbabilityCol(), DataTypes.FloatType);
    if (!getEmbeddingCol().isEmpty()) {
      out = add(out, getEmbeddingCol(), DataTypes.createArrayType(DataTypes.FloatType, false));
    }
    return out;
  }

  private StructType add(StructType schema, String col, DataType type) {
    if (Arrays.asList(schema.fieldNames()).contains(col)) {
      throw new IllegalArgumentException(uid + ": output column '" + col + "' already exists");
    }
    return schema.add(new StructField(col, type, false, Metadata.empty()));
  }

  @Override
  public ClusterAssigner copy(ParamMap extra) {
    return (ClusterAssigner) defaultCopy(extra);
  }
}
