package io.deepclust.spark;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.IdxReader;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * idx files (LeCun's MNIST format, plain or gzipped) as a DataFrame of {@code name} (the image's
 * index, "0", "1", …, as {@code ./deepclust predict} names idx rows), {@code image}
 * (array&lt;float&gt;, each byte / 255, the {@link ClusterAssigner}'s default input) and, given a
 * labels file, {@code label} (int).
 *
 * <p>The files are read on the driver by the project's {@link IdxReader}, with its checks (magic
 * number, header, exactly the declared bytes: a wrong or truncated file fails with a {@link
 * DatasetException} naming it), then shipped to the executors in {@code partitions} slices of raw
 * bytes, which become rows there. An idx file holds a dataset of
 * MNIST's size; collections of millions of images come as PNG folders ({@code binaryFile}) or
 * Parquet.
 */
public final class IdxFrames {
  /** Columns without labels: name, image. */
  public static final StructType SCHEMA = new StructType()
      .add("name", DataTypes.StringType, false)
      .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  /** Columns with labels: name, image, label. */
  public static final StructType LABELLED_SCHEMA =
      SCHEMA.add("label", DataTypes.IntegerType, false);

  private IdxFrames() {}

  /** Images per slice when {@link #read(SparkSession, Path, Path)} chooses the slices. */
  public static final int IMAGES_PER_SLICE = 1000;

  /**
   * The images (and, if {@code labels} is not null, labels) in slices of about {@link
   * #IMAGES_PER_SLICE} images, at least the session's default parallelism.
   */
  public static Dataset<Row> read(SparkSession spark, Path images, Path labels) {
    return read(spark, images, labels, 0);
  }

  /** The images of an idx3 file, in {@code partitions} slices. */
  public static Dataset<Row> read(SparkSession spark, Path images, int partitions) {
    return read(spark, images, null, partitions);
  }

  /**
   * The images of an idx3 file and, if {@code labels} is not null, the labels of an idx1 file
   * (values in [0, 256)); the two must hold as many items. {@code partitions} 0 chooses as
   * {@link #read(SparkSession, Path, Path)} does.
   */
  public static Dataset<Row> read(SparkSession spark, Path images, Path labels, int partitions) {
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be ≥ 1 (or 0: chosen): " + partitions);
    }
    IdxReader.Images d = IdxReader.readImages(images);
    if (partitions == 0) {
      int bySize = (d.count() + IMAGES_PER_SLICE - 1) / IMAGES_PER_SLICE;
      partitions = Math.max(1, Math.max(bySize, spark.sparkContext().defaultParallelism()));
    }
    int[] y = labels == null ? null : IdxReader.readLabels(labels, 256);
    if (y != null && y.length != d.count()) {
      throw new DatasetException(labels, DatasetException.Problem.COUNT_MISMATCH, String.format(
          "holds %d labels but %s holds %d images", y.length, images, d.count()));
    }
    int size = d.rows() * d.cols();
    List<Chunk> chunks = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      int from = (int) ((long) d.count() * p / partitions);
      int to = (int) ((long) d.count() * (p + 1) / partitions);
      chunks.add(new Chunk(from, d.rows(), d.cols(),
          Arrays.copyOfRange(d.data(), from * size, to * size),
          y == null ? null : Arrays.copyOfRange(y, from, to)));
    }
    var rdd = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(chunks, partitions)
        .flatMap(Chunk::toRows);
    return spark.createDataFrame(rdd, y == null ? SCHEMA : LABELLED_SCHEMA);
  }

  /** The raw bytes of images {@code [first, first + n)}, shipped to an executor as they are. */
  private record Chunk(int first, int height, int width, byte[] data, int[] labels)
      implements Serializable {
    Iterator<Row> toRows() {
      int count = data.length / (height * width);
      IdxReader.Images d = new IdxReader.Images(count, height, width, data);
      return IntStream.range(0, d.count())
          .mapToObj(i -> {
            String name = Integer.toString(first + i);
            return labels == null ? RowFactory.create(name, d.pixels(i))
                : RowFactory.create(name, d.pixels(i), labels[i]);
          })
          .iterator();
    }
  }
}
