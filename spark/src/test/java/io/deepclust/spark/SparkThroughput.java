package io.deepclust.spark;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.io.IdxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The worker of {@code bench/spark-throughput} (not a test): images per second of cluster
 * assignment over the first N images of MNIST's 70k (train then test), in one of three modes, one
 * JVM per mode. {@code inference}: one {@link ClusteringModel#assign} call over all rows (batches
 * of 1024). {@code local[1]}, {@code local[2]}: {@link ClusterAssigner} on a local session, the
 * images cached in memory beforehand and the output written to Spark's {@code noop} sink, so the
 * time is the assignment's (with the driver's model check), not the reading's. Each mode runs a
 * warm-up of 2,000 images (model load, JIT), then {@value #RUNS} timed runs; the median counts.
 *
 * <p>Usage: {@code SparkThroughput MODE MODEL_DIR MNIST_DIR IMAGES OUT_JSON}
 */
public final class SparkThroughput {
  private static final int WARM_UP = 2_000;
  private static final int RUNS = 3;

  private SparkThroughput() {}

  public static void main(String[] args) throws IOException {
    String mode = args[0];
    Path model = Path.of(args[1]);
    Path mnist = Path.of(args[2]);
    int images = Integer.parseInt(args[3]);
    Path train = mnist.resolve("train-images-idx3-ubyte");
    Path test = mnist.resolve("t10k-images-idx3-ubyte");
    double[] runs = mode.equals("inference")
        ? inference(model, train, test, images)
        : spark(mode, model, train, test, images);
    double[] sorted = runs.clone();
    Arrays.sort(sorted);
    double seconds = sorted[sorted.length / 2];
    StringBuilder each = new StringBuilder();
    for (double r : runs) {
      each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", r));
    }
    String json = String.format(Locale.ROOT, "{\"mode\": \"%s\", \"images\": %d, \"seconds\": %.3f,"
        + " \"seconds_each_run\": [%s], \"images_per_second\": %.1f}%n", mode, images, seconds,
        each, images / seconds);
    Files.writeString(Path.of(args[4]), json);
    System.out.print(json);
  }

  private static double[] inference(Path model, Path train, Path test, int n) {
    float[][] rows = firstImages(train, test, n);
    try (ClusteringModel m = ClusteringModel.load(model)) {
      m.assign(Arrays.copyOf(rows, Math.min(WARM_UP, n)));
      double[] seconds = new double[RUNS];
      for (int r = 0; r < RUNS; r++) {
        long t0 = System.nanoTime();
        m.assign(rows);
        seconds[r] = (System.nanoTime() - t0) / 1e9;
      }
      return seconds;
    }
  }

  private static double[] spark(String master, Path model, Path train, Path test, int n) {
    SparkSession spark = SparkSession.builder().master(master).appName("spark-throughput")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      Dataset<Row> all = IdxFrames.read(spark, train, null, 0)
          .union(IdxFrames.read(spark, test, null, 0));
      int slices = Math.max(spark.sparkContext().defaultParallelism(), n / 1000);
      Dataset<Row> data = (n < 70_000 ? all.limit(n).repartition(slices) : all).cache();
      if (data.count() != n) {
        throw new IllegalStateException("expected " + n + " images, got " + data.count());
      }
      ClusterAssigner assigner = new ClusterAssigner().setModelPath(model.toString())
          .setNameCol("name");
      assigner.transform(data.limit(WARM_UP)).write().format("noop").mode("overwrite").save();
      double[] seconds = new double[RUNS];
      for (int r = 0; r < RUNS; r++) {
        long t0 = System.nanoTime();
        assigner.transform(data).write().format("noop").mode("overwrite").save();
        seconds[r] = (System.nanoTime() - t0) / 1e9;
      }
      return seconds;
    } finally {
      spark.stop();
    }
  }

  /** The first {@code n} of train's then test's images. */
  private static float[][] firstImages(Path train, Path test, int n) {
    float[][] rows = new float[n][];
    int i = 0;
    for (Path f : new Path[] {train, test}) {
      IdxReader.Images d = IdxReader.readImages(f);
      for (int j = 0; j < d.count() && i < n; j++) {
        rows[i++] = d.pixels(j);
      }
    }
    if (i < n) {
      throw new IllegalArgumentException("only " + i + " images, asked for " + n);
    }
    return rows;
  }
}
