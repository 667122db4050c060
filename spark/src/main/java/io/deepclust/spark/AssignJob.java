package io.deepclust.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code spark-submit} job: images (PNG folders, idx files or Parquet) to a Parquet table of
 * input, name, cluster and probability, one row per image. {@code name} is what {@code ./deepclust
 * predict} calls the image (a PNG's file name, an idx image's index, a Parquet row's name
 * column) and {@code input} the path it came from, so names from several inputs stay apart.
 */
@Command(name = "deepclust-spark-assign", mixinStandardHelpOptions = true,
    description = "Assign clusters to images on Spark and write Parquet: input, name, cluster,"
        + " probability.")
public final class AssignJob implements Callable<Long> {
  /** The kinds of input the job reads. */
  public enum Format { AUTO, PNG, IDX, PARQUET }

  @Option(names = "--model", required = true,
      description = "SavedModel directory, at this path on the driver and every executor.")
  String model;

  @Option(names = "--input", required = true, split = ",",
      description = "Input paths (repeat or comma-separate): PNG folders, idx image files,"
          + " Parquet.")
  List<String> inputs;

  @Option(names = "--output", required = true, description = "Parquet directory to write.")
  String output;

  @Option(names = "--format", defaultValue = "auto", converter = FormatConverter.class,
      description = "auto (a file is idx, or Parquet if it ends in .parquet; a folder is Parquet"
          + " if it holds .parquet files, else PNG), png, idx or parquet."
          + " Default: ${DEFAULT-VALUE}.")
  Format format;

  @Option(names = "--image-column", defaultValue = "image",
      description = "Parquet input: the image column, array<float> in [0, 1] or PNG bytes.")
  String imageColumn;

  @Option(names = "--name-column", defaultValue = "name",
      description = "Parquet input: the column that names each image.")
  String nameColumn;

  @Option(names = "--batch-size", defaultValue = "1024", description = "Rows per model call.")
  int batchSize;

  @Option(names = "--idx-partitions", defaultValue = "0",
      description = "idx input: slices to spread the images over (0: one per 1000 images, at"
          + " least the default parallelism).")
  int idxPartitions;

  @Option(names = "--overwrite", description = "Replace the output if it exists.")
  boolean overwrite;

  private SparkSession spark;

  /** spark-submit's entry point: the job on the session spark-submit configured. */
  public static void main(String[] args) {
    int code;
    SparkSession spark = SparkSession.builder().appName("deepclust-assign").getOrCreate();
    try {
      code = execute(spark, args);
    } catch (RuntimeException e) {
      if (System.getenv("DEEPCLUST_DEBUG") != null) {
        e.printStackTrace();
      }
      System.err.println("deepclust-spark-assign: " + e.getMessage());
      code = 1;
    } finally {
      spark.stop();
    }
    System.exit(code);
  }

  /**
   * Parses {@code args} and runs the job on {@code spark}: exit code 0, or 2 for bad options (with
   * the usage); a failure while running propagates (tests call this).
   */
  public static int execute(SparkSession spark, String... args) {
    AssignJob job = new AssignJob();
    job.spark = spark;
    CommandLine cl = new CommandLine(job);
    try {
      if (CommandLine.printHelpIfRequested(cl.parseArgs(args))) {
        return 0;
      }
    } catch (CommandLine.ParameterException e) {
      System.err.println("deepclust-spark-assign: " + e.getMessage());
      e.getCommandLine().usage(System.err);
      return 2;
    }
    job.call();
    return 0;
  }

  /** Runs the job; returns the number of rows written. */
  @Override
  public Long call() {
    Dataset<Row> all = null;
    for (String input : inputs) {
      Dataset<Row> assigned = assigner(input).transform(read(input))
          .select(lit(input).as("input"), col("name"), col("cluster"), col("probability"));
      all = all == null ? assigned : all.unionAll(assigned);
    }
    all.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
    long rows = spark.read().parquet(output).count();
    System.out.printf("wrote %d rows to %s%n", rows, output);
    return rows;
  }

  private ClusterAssigner assigner(String input) {
    ClusterAssigner a = new ClusterAssigner().setModelPath(model).setBatchSize(batchSize)
        .setNameCol("name");
    return formatOf(input) == Format.PNG ? a.setInputCol("content").setNameCol("path")
        : formatOf(input) == Format.PARQUET ? a.setInputCol(imageColumn) : a;
  }

  /** One input as rows with a {@code name} column and the image column the assigner reads. */
  private Dataset<Row> read(String input) {
    switch (formatOf(input)) {
      case PNG:
        return spark.read().format("binaryFile").option("pathGlobFilter", "*.png").load(input)
            .withColumn("name", regexp_extract(col("path"), "([^/]*)$", 1));
      case IDX:
        return IdxFrames.read(spark, ModelCache.localPath(input), null, idxPartitions);
      default:
        Dataset<Row> table = spark.read().parquet(input);
        return nameColumn.equals("name") ? table
            : table.withColumnRenamed(nameColumn, "name");
    }
  }

  private Format formatOf(String input) {
    if (format != Format.AUTO) {
      return format;
    }
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      FileStatus status = fs.getFileStatus(p);
      if (!status.isDirectory()) {
        return input.endsWith(".parquet") ? Format.PARQUET : Format.IDX;
      }
      boolean parquet = Arrays.stream(fs.listStatus(p))
          .anyMatch(s -> s.getPath().getName().endsWith(".parquet"));
      return parquet ? Format.PARQUET : Format.PNG;
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("input " + input + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read input " + input, e);
    }
  }

  /** {@code --format}'s values, case-insensitive. */
  static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      return Format.valueOf(value.toUpperCase(Locale.ROOT));
    }
  }
}
