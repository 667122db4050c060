package io.deepclust.inference;

import static io.deepclust.inference.TinyModel.K;
import static io.deepclust.inference.TinyModel.Z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional {@code prior_mix} signature: p(z|ẽ) of soft one-hot rows ẽ. */
class ClusteringModelPriorMixTest {
  private static final double TOL = 1e-6;

  @TempDir static Path root;
  private static Path withMix;
  private static Path withoutMix;

  @BeforeAll
  static void export() throws IOException {
    withMix = new TinyModel().model("vc").priorMix().export(root.resolve("vc"));
    withoutMix = new TinyModel().export(root.resolve("vade"));
  }

  @Test
  void oneHotRowsGiveThePriorOfTheirCluster() {
    int[] k = {2, 0, 1};
    float[][] w = new float[k.length][K];
    for (int i = 0; i < k.length; i++) w[i][k[i]] = 1;
    try (ClusteringModel m = ClusteringModel.load(withMix)) {
      assertTrue(m.hasPriorMix());
      Prior mix = m.priorMix(w);
      Prior prior = m.prior(k);
      for (int i = 0; i < k.length; i++) {
        assertClose(prior.mean()[i], mix.mean()[i], "mean of e_" + k[i]);
        assertClose(prior.stddev()[i], mix.stddev()[i], "stddev of e_" + k[i]);
        assertClose(TinyModel.S[k[i]], mix.stddev()[i], "stddev of e_" + k[i] + " vs S");
      }
    }
  }

  @Test
  void mixesMatchPlainJava() {
    float[][] w = {{0.5f, 0, 0.5f}, {0.3f, 0.7f, 0}, {0.2f, 0.3f, 0.5f}, {0, 0, 0}};
    try (ClusteringModel m = ClusteringModel.load(withMix)) {
      Prior p = m.priorMix(w);
      for (int i = 0; i < w.length; i++) {
        double[][] expected = TinyModel.priorMix(w[i]);
        assertClose(expected[0], p.mean()[i], "mean of row " + i);
        assertClose(expected[1], p.stddev()[i], "stddev of row " + i);
      }
      // The 50/50 mix of clusters 0 and 2, by hand: the mean is halfway, the stddev the
      // geometric mean (this tiny model interpolates log σ).
      for (int j = 0; j < Z; j++) {
        double mean = 0.5 * TinyModel.M[0][j] + 0.5 * TinyModel.M[2][j];
        double stddev = Math.sqrt((double) TinyModel.S[0][j] * TinyModel.S[2][j]);
        assertEquals(mean, p.mean()[0][j], TOL, "50/50 mean[" + j + "]");
        assertEquals(stddev, p.stddev()[0][j], TOL, "50/50 stddev[" + j + "]");
      }
    }
  }

  @Test
  void batchesGiveTheResultOfOneCall() {
    float[][] w = new float[25][K];
    for (int i = 0; i < w.length; i++) {
      float a = i / 24f;
      w[i][i % K] = 1 - a;
      w[i][(i + 1) % K] = a;
    }
    try (ClusteringModel batched = ClusteringModel.load(withMix, 4);
        ClusteringModel whole = ClusteringModel.load(withMix)) {
      assertArrayEquals(whole.priorMix(w).mean(), batched.priorMix(w).mean());
      assertArrayEquals(whole.priorMix(w).stddev(), batched.priorMix(w).stddev());
    }
  }

  @Test
  void modelWithoutPriorMixSaysSoNamingItsDirectory() {
    try (ClusteringModel m = ClusteringModel.load(withoutMix)) {
      assertFalse(m.hasPriorMix());
      var e =
          assertThrows(
              UnsupportedOperationException.class, () -> m.priorMix(new float[][] {{1, 0, 0}}));
      assertEquals(
          "model at " + withoutMix + " has no prior_mix signature (only the vc model exports it)",
          e.getMessage());
    }
  }

  @Test
  void badWeightsAreRejectedWithTheirPosition() {
    try (ClusteringModel m = ClusteringModel.load(withMix)) {
      assertRejected(() -> m.priorMix(new float[0][]), "weights is empty");
      assertRejected(
          () -> m.priorMix(new float[][] {{1, 0, 0}, {1, 0}}),
          "weights[1] has 2 values, expected K = 3");
      assertRejected(
          () -> m.priorMix(new float[][] {{1, -0.5f, 0.5f}}),
          "weights[0][1] is -0.5; values must be ≥ 0");
      assertRejected(
          () -> m.priorMix(new float[][] {{1, 0, Float.NaN}}), "weights[0][2] is NaN");
    }
  }

  @Test
  void priorMixAfterCloseThrowsIllegalState() {
    ClusteringModel m = ClusteringModel.load(withMix);
    m.close();
    assertThrows(IllegalStateException.class, () -> m.priorMix(new float[][] {{1, 0, 0}}));
  }

  private static void assertRejected(
      org.junit.jupiter.api.function.Executable call, String message) {
    String got = assertThrows(IllegalArgumentException.class, call).getMessage();
    assertTrue(got.contains(message), got);
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], TOL, what);
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], TOL, what);
  }
}
