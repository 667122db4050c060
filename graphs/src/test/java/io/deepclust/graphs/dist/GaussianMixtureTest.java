package io.deepclust.graphs.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deepclust.graphs.GraphCheck;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;

/** VaDE's mixture terms against closed forms in double, and their gradients against finite differences. */
class GaussianMixtureTest {
  static final int B = 3;
  static final int K = 4;
  static final int Z = 2;
  static final float[] Z_SAMPLE = DistributionTermsTest.random(11, B * Z, 1.0, 0.0);
  static final float[] MEANS = DistributionTermsTest.random(12, K * Z, 1.0, 0.0);
  static final float[] LOG_VARS = DistributionTermsTest.random(13, K * Z, 0.4, 0.0);
  static final float[] LOGITS = DistributionTermsTest.random(14, K, 0.5, 0.0);

  static double logNormal(double z, double m, double logVar) {
    return -0.5 * (Math.log(2 * Math.PI) + logVar + (z - m) * (z - m) / Math.exp(logVar));
  }

  @Test
  void logDensitiesAreDiagonalGaussianLogPdfs() {
    try (var g = new GraphCheck(List.of(Shape.of(B, Z), Shape.of(K, Z), Shape.of(K, Z)),
        (tf, in) -> GaussianMixture.logDensities(tf, in.get(0), in.get(1), in.get(2)))) {
      float[] v = g.value(Z_SAMPLE, MEANS, LOG_VARS);
      for (int b = 0; b < B; b++) {
        for (int c = 0; c < K; c++) {
          double expected = 0;
          for (int j = 0; j < Z; j++) {
            expected += logNormal(Z_SAMPLE[b * Z + j], MEANS[c * Z + j], LOG_VARS[c * Z + j]);
          }
          assertEquals(expected, v[b * K + c], 1e-5 * Math.max(1, Math.abs(expected)));
        }
      }
      DistributionTermsTest.assertGradientMatchesFiniteDifferences(g, 1, 1e-2, 2e-3, Z_SAMPLE,
          MEANS, LOG_VARS);
      DistributionTermsTest.assertGradientMatchesFiniteDifferences(g, 2, 1e-2, 2e-3, Z_SAMPLE,
          MEANS, LOG_VARS);
    }
  }

  @Test
  void expectedLogDensityMatchesGaussHermiteQuadrature() {
    float[] mean = DistributionTermsTest.random(15, B * Z, 1.0, 0.0);
    float[] logVar = DistributionTermsTest.random(16, B * Z, 0.3, -0.5);
    // 3-point Gauss-Hermite rule: exact for the quadratic integrand of E[log N(z; m, s²)].
    double[] nodes = {-Math.sqrt(1.5), 0, Math.sqrt(1.5)};
    double[] weights = {Math.sqrt(Math.PI) / 6, 2 * Math.sqrt(Math.PI) / 3,
        Math.sqrt(Math.PI) / 6};
    try (var g = new GraphCheck(List.of(Shape.of(B, Z), Shape.of(B, Z), Shape.of(K, Z),
        Shape.of(K, Z)), (tf, in) -> GaussianMixture.expectedLogDensities(tf, in.get(0),
        in.get(1), in.get(2), in.get(3)))) {
      float[] v = g.value(mean, logVar, MEANS, LOG_VARS);
      for (int b = 0; b < B; b++) {
        for (int c = 0; c < K; c++) {
          double expected = 0;
          for (int j = 0; j < Z; j++) {
            double s = Math.exp(0.5 * logVar[b * Z + j]);
            for (int q = 0; q < 3; q++) {
              double z = mean[b * Z + j] + Math.sqrt(2) * s * nodes[q];
              expected += weights[q] / Math.sqrt(Math.PI)
                  * logNormal(z, MEANS[c * Z + j], LOG_VARS[c * Z + j]);
            }
          }
          assertEquals(expected, v[b * K + c], 1e-4 * Math.max(1, Math.abs(expected)));
        }
      }
      DistributionTermsTest.assertGradientMatchesFiniteDifferences(g, 1, 1e-2, 2e-3, mean,
          logVar, MEANS, LOG_VARS);
    }
  }

  @Test
  void responsibilitiesAreTheNormalisedPriorTimesDensity() {
    try (var g = new GraphCheck(List.of(Shape.of(B, Z), Shape.of(K), Shape.of(K, Z),
        Shape.of(K, Z)), (tf, in) -> GaussianMixture.logResponsibilities(tf, in.get(0),
        in.get(1), in.get(2), in.get(3)))) {
      float[] logGamma = g.value(Z_SAMPLE, LOGITS, MEANS, LOG_VARS);
      double piNorm = 0;
      for (float l : LOGITS) {
        piNorm += Math.exp(l);
      }
      for (int b = 0; b < B; b++) {
        double[] joint = new double[K];
        double total = 0;
        for (int c = 0; c < K; c++) {
          double density = 0;
          for (int j = 0; j < Z; j++) {
            density += logNormal(Z_SAMPLE[b * Z + j], MEANS[c * Z + j], LOG_VARS[c * Z + j]);
          }
          joint[c] = Math.exp(LOGITS[c]) / piNorm * Math.exp(density);
          total += joint[c];
        }
        double sum = 0;
        for (int c = 0; c < K; c++) {
          assertEquals(joint[c] / total, Math.exp(logGamma[b * K + c]), 1e-5);
          sum += Math.exp(logGamma[b * K + c]);
        }
        assertEquals(1.0, sum, 1e-5);
      }
    }
  }

  @Test
  void entropyOfADiagonalGaussianIsHalfLogDetOfTwoPiESigma() {
    float[] logVar = DistributionTermsTest.random(17, B * Z, 0.5, 0.0);
    try (var g = new GraphCheck(List.of(Shape.of(B, Z)),
        (tf, in) -> DiagonalGaussian.entropy(tf, in.get(0)))) {
      float[] h = g.value(logVar);
      for (int b = 0; b < B; b++) {
        double expected = 0;
        for (int j = 0; j < Z; j++) {
          expected += 0.5 * Math.log(2 * Math.PI * Math.E * Math.exp(logVar[b * Z + j]));
        }
        assertEquals(expected, h[b], 1e-5);
      }
    }
  }
}
