package io.deepclust.graphs.models;

import static io.deepclust.graphs.models.VariationalClusteringTest.B;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deepclust.graphs.models.VariationalClusteringTest.Built;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * Variational Clustering's readings switches (issue 19) against independent computations: the
 * switched-off graph (itself tested against plain Java and the Python twin) and hand-computed
 * forward passes.
 */
class VcReadingsTest {
  static VcConfig tiny(boolean fromPixels, boolean onAugmented, boolean varianceSoftplus) {
    return VariationalClusteringTest.tiny(false).withReadings(fromPixels, onAugmented,
        varianceSoftplus);
  }

  @Test
  void softplusVarianceGivesTheSquareRootOfTheSoftplusStandardDeviation() {
    Random rnd = new Random(3);
    float[] x = uniform(rnd, B * 784);
    float[] xAug = uniform(rnd, B * 784);
    float[][] sd = new float[2][];
    float[][] prior = new float[2][];
    for (int on = 0; on < 2; on++) {
      try (var m = new Built(tiny(false, false, on == 1))) {
        var q = VariationalClustering.posterior(m.tf, m.p, m.c, m.t.x());
        var k = VariationalClustering.prior(m.tf, m.p, m.c, m.tf.constant(new int[] {0, 1}));
        var v = m.run(x, xAug, 1, List.of(q.sd(), k[1]));
        sd[on] = v.get("0");
        prior[on] = v.get("1");
      }
    }
    // Same weights (same seed and shapes): off σ = softplus(a) + 1e-4, on σ = √(softplus(a) + 1e-4).
    for (int i = 0; i < sd[0].length; i++) {
      assertEquals(Math.sqrt(sd[0][i]), sd[1][i], 1e-6 * Math.sqrt(sd[0][i]), "q sd " + i);
    }
    for (int i = 0; i < prior[0].length; i++) {
      assertEquals(Math.sqrt(prior[0][i]), prior[1][i], 1e-6, "prior sd " + i);
    }
  }

  @Test
  void elboOnAugmentedHalvesTheElboOfXAndTheElboOfXHatWithItsOwnNoise() {
    Random rnd = new Random(4);
    float[] x = uniform(rnd, B * 784);
    float[] xAug = uniform(rnd, B * 784);
    long t = 5;
    float[] on;
    try (var m = new Built(tiny(false, true, false))) {
      on = fetchTerms(m, x, xAug, t);
    }
    float[] onX;
    float[] onHat;
    try (var m = new Built(tiny(false, false, false))) {
      onX = fetchTerms(m, x, xAug, t);
      // x̂'s noise seed [s, −(2t + 1)] is the switched-off graph's at step −t − 1.
      onHat = fetchTerms(m, xAug, x, -t - 1);
    }
    String[] names = {"reconstruction", "entropy", "gaussian_kl"};
    for (int i = 0; i < names.length; i++) {
      double want = 0.5 * (onX[i] + onHat[i]);
      assertEquals(want, on[i], 1e-5 * Math.max(1, Math.abs(want)), names[i]);
    }
    // The augmentation terms are x's against x̂'s, as without the switch.
    assertEquals(onX[3], on[3], 1e-5 * Math.max(1, onX[3]), "aug_l2");
    assertEquals(onX[4], on[4], 1e-5 * Math.max(1, onX[4]), "aug_w2");
    // loss = λ_recons rec − entropy + kl + λ_aug (l2 + w2), with Built's λ_recons ½ and λ_aug 1.
    double loss = 0.5 * on[0] - on[1] + on[2] + on[3] + on[4];
    assertEquals(loss, on[5], 1e-5 * Math.abs(loss), "loss");
  }

  @Test
  void posteriorFromPixelsIsAnMlpOnThePixelsAndTheOneHot() {
    VcConfig c = tiny(true, false, false);
    int k = c.clusters();
    int z = c.latentDim();
    int d = 784;
    Random rnd = new Random(6);
    float[] x = uniform(rnd, B * d);
    try (var m = new Built(c)) {
      assertEquals(List.of((long) d + k, 8L),
          List.of(m.p.variables().get("qz_1_kernel").shape().asArray()[0],
              m.p.variables().get("qz_1_kernel").shape().asArray()[1]));
      var q = VariationalClustering.posterior(m.tf, m.p, c, m.t.x());
      String[] names = {"qz_1_kernel", "qz_1_bias", "qz_2_kernel", "qz_2_bias", "qz_mean_kernel",
          "qz_mean_bias"};
      List<Operand<TFloat32>> fetch = new java.util.ArrayList<>(List.of(q.mean()));
      for (String n : names) {
        fetch.add(m.p.variables().get(n));
      }
      Map<String, float[]> v = m.run(x, x, 1, fetch);
      float[] mean = v.get("0");
      for (int b = 0; b < B; b++) {
        for (int j = 0; j < k; j++) {
          float[] row = new float[d + k];
          System.arraycopy(x, b * d, row, 0, d);
          row[d + j] = 1;
          float[] h1 = reluDense(row, v.get("1"), v.get("2"), 8, true);
          float[] h2 = reluDense(h1, v.get("3"), v.get("4"), 8, true);
          float[] mu = reluDense(h2, v.get("5"), v.get("6"), z, false);
          for (int t = 0; t < z; t++) {
            assertEquals(mu[t], mean[(b * k + j) * z + t], 1e-5, "b " + b + " k " + j);
          }
        }
      }
    }
  }

  @Test
  void theSwitchesAreOffByDefaultAndFromPixelsTakesTheImage() {
    VcConfig c = VcConfig.mnist(2);
    assertEquals(List.of(false, false, false),
        List.of(c.posteriorFromPixels(), c.elboOnAugmented(), c.softplusVariance()));
    assertEquals(c.featureDim(), c.posteriorInputDim());
    assertEquals(784, c.withReadings(true, false, false).posteriorInputDim());
    assertEquals(3072, VcConfig.rgb32(2).withReadings(true, false, false).posteriorInputDim());
  }

  /** reconstruction, entropy, gaussian_kl, aug_l2, aug_w2, loss at noise step t. */
  private static float[] fetchTerms(Built m, float[] x, float[] xAug, long t) {
    var v = m.run(x, xAug, t, List.of(m.t.reconstruction(), m.t.entropy(), m.t.gaussianKl(),
        m.t.augL2(), m.t.augW2(), m.t.loss()));
    float[] out = new float[6];
    for (int i = 0; i < 6; i++) {
      out[i] = v.get(String.valueOf(i))[0];
    }
    return out;
  }

  /** in · W + b (W row-major [in, out]), ReLU'd when {@code relu}. */
  private static float[] reluDense(float[] in, float[] w, float[] b, int out, boolean relu) {
    float[] h = new float[out];
    for (int o = 0; o < out; o++) {
      double s = b[o];
      for (int i = 0; i < in.length; i++) {
        s += (double) in[i] * w[i * out + o];
      }
      h[o] = (float) (relu ? Math.max(0, s) : s);
    }
    return h;
  }

  private static float[] uniform(Random rnd, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = rnd.nextFloat();
    }
    return out;
  }
}
