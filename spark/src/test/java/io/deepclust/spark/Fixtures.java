package io.deepclust.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.training.cli.DeepclustCli;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * What the Spark tests share, made once per test JVM: a local[2] session, a tiny GMVAE-Gumbel
 * SavedModel trained by the {@code deepclust} command line (one epoch on 300 MNIST images: its
 * clusters are poor, but it is a real model of the contract) and the MNIST test split's files.
 * Temporary files are deleted when the JVM exits.
 */
final class Fixtures {
  private static SparkSession spark;
  private static Path model;
  private static Path scratch;

  private Fixtures() {}

  /** The shared local[2] session. */
  static synchronized SparkSession spark() {
    if (spark == null) {
      spark = SparkSession.builder().master("local[2]").appName("deepclust-spark-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .getOrCreate();
    }
    return spark;
  }

  /** The tiny SavedModel, trained on first use. */
  static synchronized Path model() {
    if (model == null) {
      Path run = scratch().resolve("run");
      Cli r = cli("train", "--model", "gmvae_gumbel", "--dataset", "mnist", "--epochs", "1",
          "--train-limit", "300", "--test-limit", "100", "--seed", "7", "--run-dir",
          run.toString(), "--no-progress", "--no-report", "--device", "cpu");
      assertEquals(0, r.code(), r.err());
      model = run.resolve("export");
    }
    return model;
  }

  /** The MNIST test split's images file (tools/fetch-data installs it). */
  static Path testImages() {
    Path f = Datasets.imagesFile(Datasets.defaultCacheDir(), Datasets.MNIST, Split.TEST);
    assertTrue(Files.isRegularFile(f), f + " is missing: run tools/fetch-data mnist");
    return f;
  }

  /** The MNIST test split's labels file. */
  static Path testLabels() {
    return Datasets.labelsFile(Datasets.defaultCacheDir(), Datasets.MNIST, Split.TEST);
  }

  /** A fresh folder under the JVM's scratch folder. */
  static Path folder(String prefix) {
    try {
      return Files.createTempDirectory(scratch(), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The exit code, output and errors of one {@code deepclust} command. */
  record Cli(int code, String out, String err) {}

  /** Runs the {@code deepclust} command line in this JVM. */
  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DeepclustCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Cli(code, out.toString(), err.toString());
  }

  /** One row of predict's CSV. */
  record Predicted(int cluster, float probability) {}

  /**
   * {@code ./deepclust predict} on {@code input}: name → cluster and probability (six decimals),
   * in the CSV's order.
   */
  static Map<String, Predicted> predict(Path modelDir, Path input) {
    Path csv = folder("predict").resolve("out.csv");
    Cli r = cli("predict", "--model-dir", modelDir.toString(), "--input", input.toString(),
        "--output", csv.toString());
    assertEquals(0, r.code(), r.err());
    try {
      List<String> lines = Files.readAllLines(csv);
      assertEquals("name,cluster,probability", lines.get(0));
      Map<String, Predicted> rows = new LinkedHashMap<>();
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        rows.put(f[0], new Predicted(Integer.parseInt(f[1]), Float.parseFloat(f[2])));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized Path scratch() {
    if (scratch == null) {
      try {
        scratch = Files.createTempDirectory("deepclust-spark-test");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path dir = scratch;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
    }
    return scratch;
  }

  private static void delete(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
