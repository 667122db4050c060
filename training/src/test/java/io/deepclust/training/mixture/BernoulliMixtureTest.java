package io.deepclust.training.mixture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.training.metrics.ClusteringMetrics;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** EM for a Bernoulli mixture against a hand-computed step and data drawn from a known mixture. */
class BernoulliMixtureTest {

  @Test
  void oneStepIsTheHandComputedEStepAndMStep() {
    byte[] codes = {1, 0, 1, 1, 0, 0};
    double[] w = {0.4, 0.6};
    double[][] theta = {{0.8, 0.3}, {0.2, 0.5}};
    var fit = BernoulliMixture.em(codes, 2, new BernoulliMixture.Fit(w, theta, Double.NaN, 0), 1);
    // Responsibilities by the product of Bernoullis, written out.
    double[][] r = new double[3][2];
    for (int i = 0; i < 3; i++) {
      double sum = 0;
      for (int c = 0; c < 2; c++) {
        double p = w[c];
        for (int j = 0; j < 2; j++) {
          p *= codes[2 * i + j] == 1 ? theta[c][j] : 1 - theta[c][j];
        }
        r[i][c] = p;
        sum += p;
      }
      r[i][0] /= sum;
      r[i][1] /= sum;
    }
    for (int c = 0; c < 2; c++) {
      double mass = r[0][c] + r[1][c] + r[2][c];
      assertEquals(mass / 3, fit.weights()[c], 1e-12, "π_" + c);
      for (int j = 0; j < 2; j++) {
        double ones = 0;
        for (int i = 0; i < 3; i++) {
          ones += codes[2 * i + j] * r[i][c];
        }
        assertEquals(ones / mass, fit.theta()[c][j], 1e-12, "θ_" + c + j);
      }
    }
    assertEquals(1, fit.iterations());
  }

  @Test
  void recoversAKnownMixtureAndTheLikelihoodNeverFalls() {
    int k = 3;
    int d = 24;
    int n = 3000;
    double[] w = {0.5, 0.3, 0.2};
    double[][] theta = new double[k][d];
    Random r = new Random(4);
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < d; j++) {
        theta[c][j] = (j / 8 == c) ? 0.9 : 0.1;
      }
    }
    byte[] codes = new byte[n * d];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      double u = r.nextDouble();
      labels[i] = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : 2;
      for (int j = 0; j < d; j++) {
        codes[i * d + j] = (byte) (r.nextDouble() < theta[labels[i]][j] ? 1 : 0);
      }
    }
    var fit = BernoulliMixture.start(k, d, 1);
    double previous = Double.NEGATIVE_INFINITY;
    for (int step = 0; step < 30; step++) {
      fit = BernoulliMixture.em(codes, d, fit, 1);
      assertTrue(fit.meanLogLikelihood() >= previous - 1e-12,
          "step " + step + ": " + previous + " -> " + fit.meanLogLikelihood());
      previous = fit.meanLogLikelihood();
    }
    fit = BernoulliMixture.em(codes, d, fit, 300);
    int[] clusters = BernoulliMixture.assign(codes, d, fit);
    assertTrue(ClusteringMetrics.accuracy(labels, clusters).acc() > 0.99);
    // Match each fitted component to the true one by its θ, then compare.
    for (int c = 0; c < k; c++) {
      int truth = 0;
      for (int t = 1; t < k; t++) {
        if (distance(fit.theta()[c], theta[t]) < distance(fit.theta()[c], theta[truth])) {
          truth = t;
        }
      }
      assertEquals(w[truth], fit.weights()[c], 0.03, "π of component " + c);
      for (int j = 0; j < d; j++) {
        assertEquals(theta[truth][j], fit.theta()[c][j], 0.06, "θ " + c + "," + j);
      }
    }
  }

  @Test
  void aCodeThatIsNotBinaryOrAShortArrayIsRefused() {
    var start = BernoulliMixture.start(2, 2, 1);
    var e = assertThrows(IllegalArgumentException.class,
        () -> BernoulliMixture.em(new byte[] {0, 2}, 2, start, 5));
    assertTrue(e.getMessage().contains("0 or 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> BernoulliMixture.em(new byte[] {0, 1, 1}, 2, start, 5));
  }

  private static double distance(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return s;
  }
}
