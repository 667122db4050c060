package io.deepclust.training.metrics;

import java.util.Arrays;

/**
 * The contingency table {@code n[c][k]} = number of samples with class {@code c} and cluster {@code
 * k}, over the distinct ids that occur (as scikit-learn's {@code contingency_matrix}), so unused
 * ids cost nothing.
 */
final class Contingency {
  /** Distinct class ids, ascending; row {@code c} of the table is class {@code classIds[c]}. */
  final int[] classIds;

  /** Distinct cluster ids, ascending; column {@code k} is cluster {@code clusterIds[k]}. */
  final int[] clusterIds;

  /** {@code counts[c][k]}. */
  final long[][] counts;

  final long[] classSizes;
  final long[] clusterSizes;
  final long n;

  private Contingency(int[] labels, int[] clusters) {
    classIds = distinct(labels);
    clusterIds = distinct(clusters);
    counts = new long[classIds.length][clusterIds.length];
    classSizes = new long[classIds.length];
    clusterSizes = new long[clusterIds.length];
    for (int i = 0; i < labels.length; i++) {
      int c = Arrays.binarySearch(classIds, labels[i]);
      int k = Arrays.binarySearch(clusterIds, clusters[i]);
      counts[c][k]++;
      classSizes[c]++;
      clusterSizes[k]++;
    }
    n = labels.length;
  }

  /**
   * Validates and tabulates.
   *
   * @throws IllegalArgumentException on null arrays, different lengths or negative ids
   */
  static Contingency of(int[] labels, int[] clusters) {
    if (labels == null || clusters == null) {
      throw new IllegalArgumentException("labels and clusters must not be null");
    }
    if (labels.length != clusters.length) {
      throw new IllegalArgumentException(
          String.format(
              "length mismatch: %d labels but %d cluster assignments",
              labels.length, clusters.length));
    }
    requireNonNegative(labels, "label");
    requireNonNegative(clusters, "cluster id");
    return new Contingency(labels, clusters);
  }

  int numClasses() {
    return classIds.length;
  }

  int numClusters() {
    return clusterIds.length;
  }

  private static void requireNonNegative(int[] ids, String what) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0) {
        throw new IllegalArgumentException(
            String.format("negative %s at index %d: %d (ids must be >= 0)", what, i, ids[i]));
      }
    }
  }

  private static int[] distinct(int[] ids) {
    return Arrays.stream(ids).distinct().sorted().toArray();
  }
}
