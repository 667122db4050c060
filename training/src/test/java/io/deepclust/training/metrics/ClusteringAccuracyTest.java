package io.deepclust.training.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ClusteringMetrics#accuracy} against exhaustive search over one-to-one maps. */
class ClusteringAccuracyTest {
  private static final double TOL = 1e-12;

  /** Largest number of samples matched by any injective map between clusters and classes. */
  private static long bruteForceMatched(
      int[] labels, int[] clusters, int numClasses, int numClusters) {
    long[][] counts = new long[numClusters][numClasses];
    for (int i = 0; i < labels.length; i++) {
      counts[clusters[i]][labels[i]]++;
    }
    // Map each member of the smaller side to a distinct member of the larger side.
    boolean clustersSmaller = numClusters <= numClasses;
    int small = clustersSmaller ? numClusters : numClasses;
    int large = clustersSmaller ? numClasses : numClusters;
    return best(counts, clustersSmaller, 0, small, new boolean[large]);
  }

  private static long best(
      long[][] counts, boolean clustersSmaller, int s, int small, boolean[] used) {
    if (s == small) {
      return 0;
    }
    long best = 0;
    for (int t = 0; t < used.length; t++) {
      if (!used[t]) {
        used[t] = true;
        long here = clustersSmaller ? counts[s][t] : counts[t][s];
        best = Math.max(best, here + best(counts, clustersSmaller, s + 1, small, used));
        used[t] = false;
      }
    }
    return best;
  }

  private static int[] random(Random random, int n, int bound) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = random.nextInt(bound);
    }
    return ids;
  }

  /** Noisy clusters: a random relabelling of the classes, with some samples moved at random. */
  private static int[] noisyClusters(Random random, int[] labels, int numClusters) {
    int[] relabel = new int[10];
    for (int c = 0; c < relabel.length; c++) {
      relabel[c] = random.nextInt(numClusters);
    }
    int[] clusters = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      clusters[i] = random.nextDouble() < 0.4 ? random.nextInt(numClusters) : relabel[labels[i]];
    }
    return clusters;
  }

  /** The mapping is injective, -1 only where a cluster is unmatched, and reproduces acc. */
  private static void assertMappingConsistent(
      ClusteringMetrics.Accuracy accuracy, int[] labels, int[] clusters, int numClasses) {
    int[] map = accuracy.clusterToLabel();
    boolean[] taken = new boolean[numClasses];
    int unmatched = 0;
    for (int label : map) {
      if (label < 0) {
        unmatched++;
        continue;
      }
      assertFalse(taken[label], "label " + label + " mapped twice in " + Arrays.toString(map));
      taken[label] = true;
    }
    assertEquals(Math.max(0, map.length - numClasses), unmatched, Arrays.toString(map));
    long hits = 0;
    for (int i = 0; i < labels.length; i++) {
      hits += accuracy.labelOf(clusters[i]) == labels[i] ? 1 : 0;
    }
    assertEquals((double) hits / labels.length, accuracy.acc(), TOL);
  }

  private static void checkAgainstBruteForce(
      int[] labels, int[] clusters, int numClasses, int numClusters) {
    ClusteringMetrics.Accuracy accuracy = ClusteringMetrics.accuracy(labels, clusters);
    double expected =
        (double) bruteForceMatched(labels, clusters, numClasses, numClusters) / labels.length;
    assertEquals(
        expected,
        accuracy.acc(),
        TOL,
        "labels " + Arrays.toString(labels) + " clusters " + Arrays.toString(clusters));
    assertMappingConsistent(accuracy, labels, clusters, numClasses);
  }

  @Test
  void accuracyEqualsBruteForceOverAllPermutationsForFourToSixClusters() {
    Random random = new Random(20240601);
    for (int k = 4; k <= 6; k++) {
      for (int trial = 0; trial < 20; trial++) {
        int[] labels = random(random, 60, k);
        int[] clusters = trial % 2 == 0 ? random(random, 60, k) : noisyClusters(random, labels, k);
        // Make every id occur so that K = C = k exactly.
        for (int i = 0; i < k; i++) {
          labels[i] = i;
          clusters[i] = i;
        }
        checkAgainstBruteForce(labels, clusters, k, k);
      }
    }
  }

  @Test
  void accuracyEqualsBruteForceOverInjectiveMapsWhenClusterAndClassCountsDiffer() {
    Random random = new Random(7);
    int[][] shapes = {{3, 5}, {5, 3}, {2, 6}, {6, 4}, {1, 4}, {4, 1}, {7, 5}};
    for (int[] shape : shapes) {
      int numClusters = shape[0];
      int numClasses = shape[1];
      for (int trial = 0; trial < 15; trial++) {
        int[] labels = random(random, 50, numClasses);
        int[] clusters =
            trial % 2 == 0
                ? random(random, 50, numClusters)
                : noisyClusters(random, labels, numClusters);
        for (int i = 0; i < Math.max(numClasses, numClusters); i++) {
          labels[i] = i % numClasses;
          clusters[i] = i % numClusters;
        }
        checkAgainstBruteForce(labels, clusters, numClasses, numClusters);
      }
    }
  }

  @Test
  void perfectClusteringUnderRelabellingHasAccuracyOneAndTheInverseMap() {
    int[] labels = {0, 0, 1, 1, 2, 2, 3};
    int[] clusters = {2, 2, 0, 0, 3, 3, 1};

    ClusteringMetrics.Accuracy accuracy = ClusteringMetrics.accuracy(labels, clusters);

    assertEquals(1.0, accuracy.acc());
    assertArrayEquals(new int[] {1, 3, 0, 2}, accuracy.clusterToLabel());
  }

  @Test
  void extraClustersAreUnmatchedAndMapToMinusOne() {
    // Clusters 0, 1, 2 match labels 0, 1, 2; cluster 5 holds 3 mixed samples; ids 3, 4 are unused.
    int[] labels = {0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1};
    int[] clusters = {0, 0, 0, 1, 1, 1, 2, 2, 5, 5, 5};

    ClusteringMetrics.Accuracy accuracy = ClusteringMetrics.accuracy(labels, clusters);

    assertEquals(8.0 / 11, accuracy.acc(), TOL);
    assertArrayEquals(new int[] {0, 1, 2, -1, -1, -1}, accuracy.clusterToLabel());
    assertEquals(-1, accuracy.labelOf(99));
  }

  @Test
  void accuracyMatchesScipyLinearSumAssignmentWithMoreClustersThanClasses() {
    /* python -c "from scipy.optimize import linear_sum_assignment as h; from sklearn.metrics.cluster import contingency_matrix as cm; m=cm([2,1,3,0,0,0,2,0,1,0,0,3,3,0,1,0,3,0,0,1,0,3,0,1],[0,4,1,2,3,1,4,0,4,2,4,5,1,0,4,4,5,1,2,0,4,5,0,4]); r,c=h(-m); print(m[r,c].sum()/m.sum())" */
    // 0.4583333333333333
    int[] labels = {2, 1, 3, 0, 0, 0, 2, 0, 1, 0, 0, 3, 3, 0, 1, 0, 3, 0, 0, 1, 0, 3, 0, 1};
    int[] clusters = {0, 4, 1, 2, 3, 1, 4, 0, 4, 2, 4, 5, 1, 0, 4, 4, 5, 1, 2, 0, 4, 5, 0, 4};

    assertEquals(0.4583333333333333, ClusteringMetrics.accuracy(labels, clusters).acc(), 1e-9);
  }

  @Test
  void emptyInputIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClusteringMetrics.accuracy(new int[0], new int[0]));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }
}
