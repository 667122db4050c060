package io.deepclust.training.mixture;

import java.util.ArrayList;
import java.util.List;
import org.hipparchus.clustering.CentroidCluster;
import org.hipparchus.clustering.DoublePoint;
import org.hipparchus.clustering.KMeansPlusPlusClusterer;
import org.hipparchus.clustering.distance.EuclideanDistance;
import org.hipparchus.random.Well19937c;

/**
 * k-means with k-means++ seeding (Hipparchus), the restart with the least squared error kept.
 * Hipparchus draws one k-means++ candidate per centre (scikit-learn's greedy seeding draws 2 + ln k
 * and keeps the best), so a single run lands in a worse local optimum more often: on a VaDE
 * embedding of MNIST (seed 2), 9 of 40 Java runs reached the least error, 15 of 30 of
 * scikit-learn's. Callers that need the best partition compare {@link Fit#sse()} across restarts.
 */
public final class KMeans {
  public static final int MAX_ITERATIONS = 300;

  private KMeans() {}

  /**
   * A partition and its objective: {@code sse} is the mean over points of the squared distance to
   * the assigned centre (scikit-learn's inertia divided by n).
   */
  public record Fit(int[] labels, double sse) {}

  /** Labels [n] in [0, k) of the best of {@code restarts} seeded runs. */
  public static int[] labels(double[][] points, int k, int restarts, long seed) {
    return fit(points, k, restarts, seed).labels();
  }

  /** The best of {@code restarts} seeded runs (seeds seed + 1000·r), by squared error. */
  public static Fit fit(double[][] points, int k, int restarts, long seed) {
    if (points.length < k) {
      throw new IllegalArgumentException(points.length + " points cannot make " + k + " clusters");
    }
    List<DoublePoint> data = new ArrayList<>(points.length);
    for (double[] p : points) {
      data.add(new DoublePoint(p));
    }
    int[] best = null;
    double bestSse = Double.POSITIVE_INFINITY;
    for (int r = 0; r < restarts; r++) {
      var clusterer = new KMeansPlusPlusClusterer<DoublePoint>(k, MAX_ITERATIONS,
          new EuclideanDistance(), new Well19937c(seed + 1000L * r));
      List<CentroidCluster<DoublePoint>> clusters = clusterer.cluster(data);
      int[] labels = nearest(points, clusters);
      double sse = 0;
      for (int i = 0; i < points.length; i++) {
        sse += squaredDistance(points[i], clusters.get(labels[i]).getCenter().getPoint());
      }
      if (sse < bestSse) {
        bestSse = sse;
        best = labels;
      }
    }
    return new Fit(best, bestSse / points.length);
  }

  static int[] nearest(double[][] points, List<CentroidCluster<DoublePoint>> clusters) {
    int[] out = new int[points.length];
    for (int i = 0; i < points.length; i++) {
      double bestD = Double.POSITIVE_INFINITY;
      for (int c = 0; c < clusters.size(); c++) {
        double d = squaredDistance(points[i], clusters.get(c).getCenter().getPoint());
        if (d < bestD) {
          bestD = d;
          out[i] = c;
        }
      }
    }
    return out;
  }

  private static double squaredDistance(double[] a, double[] b) {
    double d = 0;
    for (int j = 0; j < a.length; j++) {
      double t = a[j] - b[j];
      d += t * t;
    }
    return d;
  }
}
