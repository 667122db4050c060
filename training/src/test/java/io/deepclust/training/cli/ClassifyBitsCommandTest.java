package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.cli.DeepclustCliTest.Run;
import io.deepclust.training.io.BitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deepclust classify-bits} on a tiny VAB model ({@link TinyVab}): a consumer holding only
 * the bits that {@code compress} wrote gets the clusters the vendor's model gives the images, and
 * the probabilities of every possible 10-bit code match q(c|b) computed in plain Java; and the
 * one-line failures.
 */
class ClassifyBitsCommandTest {
  static final Path VADE = Path.of("src/test/resources/golden/vade_tiny/python_export");
  static final int N = 80;

  @TempDir static Path root;
  static TinyVab vab;
  static Path model;

  @BeforeAll
  static void exportTinyVab() throws IOException {
    vab = new TinyVab(11);
    model = vab.export(root.resolve("vab"));
  }

  @AfterAll
  static void noLeftovers() throws IOException {
    try (var files = Files.list(root)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
    }
  }

  @Test
  void consumerHoldingOnlyTheBitsGetsTheClustersOfTheImages() throws IOException {
    Path vendor = Files.createDirectories(root.resolve("vendor"));
    Path idx = vendor.resolve("images-idx3-ubyte");
    float[][] images = TinyVab.rows(TinyVab.writeIdx(idx, N, 3), N);
    Path codes = vendor.resolve("codes.bits");
    assertEquals(0, run("compress", "--model-dir", model.toString(), "--input", idx.toString(),
        "--output", codes.toString()).code());
    Path predicted = vendor.resolve("predict.csv");
    assertEquals(0, run("predict", "--model-dir", model.toString(), "--input", idx.toString(),
        "--output", predicted.toString()).code());
    Assignment expected;
    try (ClusteringModel m = ClusteringModel.load(model)) {
      expected = m.assign(images);
    }

    Path consumer = Files.createDirectories(root.resolve("consumer"));
    Path received = Files.move(codes, consumer.resolve("received.bits"));
    Files.delete(idx);
    Path csv = consumer.resolve("clusters.csv");
    Run r = run("classify-bits", "--model-dir", model.toString(), "--input", received.toString(),
        "--output", csv.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("wrote " + N + " rows to " + csv, r.out().strip());

    List<String> lines = Files.readAllLines(csv);
    assertEquals("name,cluster,probability", lines.get(0));
    assertEquals(N + 1, lines.size());
    for (int i = 0; i < N; i++) {
      String[] f = lines.get(i + 1).split(",");
      int k = expected.clusters()[i];
      assertEquals(Integer.toString(i), f[0]);
      assertEquals(k, Integer.parseInt(f[1]), "cluster of image " + i);
      assertEquals(expected.probs()[i][k], Double.parseDouble(f[2]), 5e-7 + 1e-7);
    }
    assertTrue(Arrays.stream(expected.clusters()).distinct().count() > 1,
        "the images fall into more than one cluster, so the check has teeth");
    assertEquals(Files.readString(predicted), Files.readString(csv),
        "the same CSV as predict on the images");
  }

  @Test
  void everyTenBitCodeGetsQOfCGivenBComputedInJava() throws IOException {
    int all = 1 << TinyVab.Z;
    byte[][] bits = new byte[all][TinyVab.Z];
    for (int v = 0; v < all; v++) {
      for (int j = 0; j < TinyVab.Z; j++) {
        bits[v][j] = (byte) ((v >>> (TinyVab.Z - 1 - j)) & 1);
      }
    }
    Path codes = root.resolve("all.bits");
    BitCodes.write(codes, bits);
    Path csv = root.resolve("all.csv");
    Run r = run("classify-bits", "--model-dir", model.toString(), "--input", codes.toString(),
        "--output", csv.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(csv);
    assertEquals(all + 1, lines.size());
    int checkedClusters = 0;
    for (int v = 0; v < all; v++) {
      String[] f = lines.get(v + 1).split(",");
      double[] q = vab.bitProbs(bits[v]);
      int k = Integer.parseInt(f[1]);
      assertEquals(q[k], Double.parseDouble(f[2]), 1e-5, "q(" + k + "|code " + v + ")");
      double[] sorted = q.clone();
      Arrays.sort(sorted);
      if (sorted[sorted.length - 1] - sorted[sorted.length - 2] > 1e-4) {
        assertEquals(sorted[sorted.length - 1], q[k], 0.0, "argmax of code " + v);
        checkedClusters++;
      }
    }
    assertTrue(checkedClusters > all * 9 / 10, checkedClusters + " of " + all);
  }

  @Test
  void codesOfAnotherWidthNameBothWidths() {
    Path codes = root.resolve("nine.bits");
    BitCodes.write(codes, new byte[][] {{1, 0, 1, 0, 1, 0, 1, 0, 1}});
    Path csv = root.resolve("nine.csv");
    Run r = run("classify-bits", "--model-dir", model.toString(), "--input", codes.toString(),
        "--output", csv.toString());
    assertOneLineError(r, 1, codes + ": codes of d = 9 bits, but the model at " + model
        + " has latent_dim = 10 bits");
    assertFalse(Files.exists(csv));
  }

  @Test
  void missingCodesFileIsAOneLineFailureNamingIt() {
    Path none = root.resolve("none.bits");
    Path csv = root.resolve("none.csv");
    assertOneLineError(run("classify-bits", "--model-dir", model.toString(), "--input",
        none.toString(), "--output", csv.toString()), 1, none + ": does not exist");
    assertFalse(Files.exists(csv));
  }

  @Test
  void malformedCodesFileIsAOneLineFailureNamingTheProblem() throws IOException {
    Path bad = Files.writeString(root.resolve("bad.bits"), "name,cluster\n0,1\n");
    assertOneLineError(run("classify-bits", "--model-dir", model.toString(), "--input",
        bad.toString(), "--output", root.resolve("bad.csv").toString()), 1,
        bad + ": not a bit codes file");
    byte[] truncated = {'D', 'C', 'B', '1', 0, 0, 0, 3, 0, 0, 0, 10, 0, 0, 0};
    Path shortFile = Files.write(root.resolve("short.bits"), truncated);
    assertOneLineError(run("classify-bits", "--model-dir", model.toString(), "--input",
        shortFile.toString(), "--output", root.resolve("short.csv").toString()), 1,
        "holds 15 bytes, needs 18 for 3 codes of 10 bits");
  }

  @Test
  void modelWithoutClassifyBitsFailsWithClusteringModelsMessage() {
    for (int d : new int[] {4, 10}) { // the golden VaDE has Z = 4; no width message either way
      Path codes = root.resolve("vade" + d + ".bits");
      BitCodes.write(codes, new byte[3][d]);
      Path csv = root.resolve("vade" + d + ".csv");
      assertOneLineError(run("classify-bits", "--model-dir", VADE.toString(), "--input",
          codes.toString(), "--output", csv.toString()), 1,
          "model 'vade' has no 'classify_bits' signature (VAB only)");
      assertFalse(Files.exists(csv));
    }
  }

  @Test
  void missingModelDirectoryIsAOneLineFailureNamingIt() {
    Path none = root.resolve("no-model");
    Path codes = root.resolve("one.bits");
    BitCodes.write(codes, new byte[1][TinyVab.Z]);
    assertOneLineError(run("classify-bits", "--model-dir", none.toString(), "--input",
        codes.toString(), "--output", root.resolve("one.csv").toString()), 1, none.toString());
  }

  @Test
  void missingInputOptionIsAUsageError() {
    assertOneLineError(run("classify-bits", "--model-dir", model.toString(), "--output",
        root.resolve("x.csv").toString()), 2, "--input");
  }
}
