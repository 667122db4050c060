package io.deepclust.training.mixture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KMeansTest {
  /** Five Gaussian blobs in 3-d, some close enough that k-means++ runs end in different optima. */
  static double[][] blobs(int n, long seed) {
    Random rnd = new Random(seed);
    double[][] centres = {{0, 0, 0}, {2.5, 0, 0}, {0, 2.5, 0}, {6, 6, 6}, {6, 8.5, 6}};
    double[][] points = new double[n][3];
    for (int i = 0; i < n; i++) {
      double[] c = centres[i % centres.length];
      for (int j = 0; j < 3; j++) {
        points[i][j] = c[j] + rnd.nextGaussian();
      }
    }
    return points;
  }

  /** Mean squared distance to the mean of each point's cluster, computed from the labels alone. */
  static double sseFromLabels(double[][] x, int[] labels, int k) {
    double[][] sum = new double[k][x[0].length];
    int[] count = new int[k];
    for (int i = 0; i < x.length; i++) {
      count[labels[i]]++;
      for (int j = 0; j < x[i].length; j++) {
        sum[labels[i]][j] += x[i][j];
      }
    }
    double sse = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double d = x[i][j] - sum[labels[i]][j] / count[labels[i]];
        sse += d * d;
      }
    }
    return sse / x.length;
  }

  @Test
  void theErrorIsTheMeanSquaredDistanceToTheClusterMeans() {
    double[][] x = blobs(500, 3);
    for (long seed = 0; seed < 5; seed++) {
      KMeans.Fit fit = KMeans.fit(x, 5, 1, seed);
      // At convergence each centre is its cluster's mean, so the error follows from the labels.
      assertEquals(sseFromLabels(x, fit.labels(), 5), fit.sse(), 1e-9 * fit.sse());
    }
  }

  @Test
  void theBestOfRestartsIsTheLeastErrorOfItsRuns() {
    double[][] x = blobs(500, 4);
    long seed = 11;
    int restarts = 6;
    double least = Double.POSITIVE_INFINITY;
    double most = 0;
    for (int r = 0; r < restarts; r++) {
      double sse = KMeans.fit(x, 5, 1, seed + 1000L * r).sse();
      least = Math.min(least, sse);
      most = Math.max(most, sse);
    }
    KMeans.Fit best = KMeans.fit(x, 5, restarts, seed);
    assertEquals(least, best.sse(), 0.0);
    assertTrue(least <= most);
    assertEquals(sseFromLabels(x, best.labels(), 5), best.sse(), 1e-9 * best.sse());
  }
}
