package io.deepclust.graphs.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.GraphCheck;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;

/**
 * Each loss term against an independent closed form computed in plain Java (double), and its
 * {@code tf.gradients} gradient against central finite differences of the graph itself.
 */
class DistributionTermsTest {
  static final int B = 3;
  static final int D = 5;

  static float[] random(long seed, int n, double scale, double offset) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (offset + scale * r.nextGaussian());
    }
    return v;
  }

  static void assertGradientMatchesFiniteDifferences(GraphCheck g, int input, double h,
      double tol, float[]... values) {
    float[] analytic = g.gradient(input, values);
    double[] numeric = g.finiteDifference(input, h, values);
    for (int j = 0; j < analytic.length; j++) {
      double scale = Math.max(1.0, Math.abs(numeric[j]));
      assertEquals(numeric[j], analytic[j], tol * scale, "d/dinput" + input + "[" + j + "]");
    }
  }

  @Test
  void gaussianKlMatchesClosedFormPerRow() {
    float[] mean = random(1, B * D, 1.0, 0.0);
    float[] logVar = random(2, B * D, 0.5, 0.0);
    try (var g = new GraphCheck(List.of(Shape.of(B, D), Shape.of(B, D)),
        (tf, in) -> DiagonalGaussian.klToStandardNormal(tf, in.get(0), in.get(1)))) {
      float[] kl = g.value(mean, logVar);
      for (int b = 0; b < B; b++) {
        // KL(N(m, s²) || N(0,1)) per dim = log(1/s) + (s² + m²)/2 − 1/2.
        double expected = 0;
        for (int d = 0; d < D; d++) {
          double m = mean[b * D + d];
          double s2 = Math.exp(logVar[b * D + d]);
          expected += Math.log(1 / Math.sqrt(s2)) + (s2 + m * m) / 2 - 0.5;
        }
        assertEquals(expected, kl[b], 1e-5 * Math.max(1, Math.abs(expected)));
      }
      assertGradientMatchesFiniteDifferences(g, 0, 1e-2, 2e-3, mean, logVar);
      assertGradientMatchesFiniteDifferences(g, 1, 1e-2, 2e-3, mean, logVar);
    }
  }

  @Test
  void klOfStandardNormalToItselfIsZero() {
    try (var g = new GraphCheck(List.of(Shape.of(B, D), Shape.of(B, D)),
        (tf, in) -> DiagonalGaussian.klToStandardNormal(tf, in.get(0), in.get(1)))) {
      for (float v : g.value(new float[B * D], new float[B * D])) {
        assertEquals(0f, v, 0f);
      }
    }
  }

  @Test
  void categoricalKlToUniformMatchesClosedForm() {
    int k = 4;
    float[] logits = random(3, B * k, 2.0, 0.0);
    logits[0] = 40f; // a nearly one-hot row: log-space must keep it finite and exact
    try (var g = new GraphCheck(List.of(Shape.of(B, k)),
        (tf, in) -> Categorical.klToUniform(tf, in.get(0), k))) {
      float[] kl = g.value(logits);
      for (int b = 0; b < B; b++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
          max = Math.max(max, logits[b * k + j]);
        }
        double z = 0;
        for (int j = 0; j < k; j++) {
          z += Math.exp(logits[b * k + j] - max);
        }
        double expected = 0;
        for (int j = 0; j < k; j++) {
          double q = Math.exp(logits[b * k + j] - max) / z;
          if (q > 0) {
            expected += q * Math.log(q / (1.0 / k));
          }
        }
        assertEquals(expected, kl[b], 1e-5 * Math.max(1, expected));
      }
      assertTrue(Math.abs(kl[0] - Math.log(k)) < 1e-4, "one-hot row gives log K");
      logits[0] = 0.3f;
      assertGradientMatchesFiniteDifferences(g, 0, 1e-2, 2e-3, logits);
    }
  }

  @Test
  void bernoulliCrossEntropyMatchesClosedFormAndStaysFiniteForLargeLogits() {
    float[] logits = random(4, B * D, 3.0, 0.0);
    logits[1] = 80f;
    logits[2] = -80f;
    float[] x = random(5, B * D, 0.3, 0.5);
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.min(1f, Math.max(0f, x[i]));
    }
    x[1] = 0f;
    x[2] = 1f;
    try (var g = new GraphCheck(List.of(Shape.of(B, D), Shape.of(B, D)),
        (tf, in) -> Bernoulli.crossEntropyFromLogits(tf, in.get(0), in.get(1)))) {
      float[] bce = g.value(logits, x);
      for (int b = 0; b < B; b++) {
        double expected = 0;
        for (int d = 0; d < D; d++) {
          double l = logits[b * D + d];
          double t = x[b * D + d];
          // −[t log σ(l) + (1−t) log(1−σ(l))], with log σ(l) = −log(1+e^{−l}) in a stable form.
          double logSig = -Math.log1p(Math.exp(-Math.abs(l))) + Math.min(0, l);
          double logOneMinusSig = -Math.log1p(Math.exp(-Math.abs(l))) + Math.min(0, -l);
          expected -= t * logSig + (1 - t) * logOneMinusSig;
        }
        assertEquals(expected, bce[b], 1e-4 * Math.max(1, expected));
      }
      assertEquals(80.0, bce[0] - rowWithout(logits, x, 0, 1), 1e-3);
      logits[1] = 0.5f;
      logits[2] = -0.5f;
      assertGradientMatchesFiniteDifferences(g, 0, 1e-2, 2e-3, logits, x);
    }
  }

  /** Row 0's cross-entropy without element {@code skip}, in double. */
  private static double rowWithout(float[] logits, float[] x, int row, int skip) {
    double s = 0;
    for (int d = 0; d < D; d++) {
      if (d == skip) {
        continue;
      }
      double l = logits[row * D + d];
      double t = x[row * D + d];
      s += Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));
    }
    return s;
  }

  @Test
  void reparameterisedSampleIsMeanPlusSigmaTimesNoiseWithGradientThroughMeanAndSigmaOnly() {
    float[] mean = random(6, B * D, 1.0, 0.0);
    float[] logVar = random(7, B * D, 0.5, 0.0);
    float[] eps = random(8, B * D, 1.0, 0.0);
    try (var g = new GraphCheck(List.of(Shape.of(B, D), Shape.of(B, D), Shape.of(B, D)),
        (tf, in) -> DiagonalGaussian.sample(tf, in.get(0), in.get(1), in.get(2)))) {
      float[] z = g.value(mean, logVar, eps);
      for (int i = 0; i < z.length; i++) {
        assertEquals(mean[i] + Math.exp(0.5 * logVar[i]) * eps[i], z[i], 1e-5);
      }
      assertGradientMatchesFiniteDifferences(g, 1, 1e-2, 2e-3, mean, logVar, eps);
      assertTrue(g.hasGradientPath(0) && g.hasGradientPath(1));
      assertFalse(g.hasGradientPath(2), "no gradient flows into the noise");
    }
  }

  @Test
  void gumbelSoftmaxIsSoftmaxOfPerturbedLogitsOverTemperature() {
    int k = 4;
    float[] logits = random(9, B * k, 1.0, 0.0);
    float[] u = new float[B * k];
    Random r = new Random(10);
    for (int i = 0; i < u.length; i++) {
      u[i] = r.nextFloat();
    }
    float tau = 0.7f;
    try (var g = new GraphCheck(List.of(Shape.of(B, k), Shape.of(B, k)),
        (tf, in) -> GumbelSoftmax.sample(tf, in.get(0), tf.constant(tau), in.get(1)))) {
      float[] y = g.value(logits, u);
      for (int b = 0; b < B; b++) {
        double[] e = new double[k];
        double z = 0;
        for (int j = 0; j < k; j++) {
          double gumbel = -Math.log(-Math.log(u[b * k + j]));
          e[j] = Math.exp((logits[b * k + j] + gumbel) / tau);
          z += e[j];
        }
        for (int j = 0; j < k; j++) {
          assertEquals(e[j] / z, y[b * k + j], 1e-5);
        }
      }
      assertGradientMatchesFiniteDifferences(g, 0, 1e-2, 2e-3, logits, u);
    }
  }
}
