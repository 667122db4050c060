package io.deepclust.inference;

/**
 * Cluster assignments of a batch of images: the {@code serving_default} (or {@code classify_bits})
 * signature's outputs, one row per input row.
 *
 * @param clusters the assigned cluster of each row, in [0, K)
 * @param probs q(k|x) of each row, K values that sum to 1
 */
public record Assignment(int[] clusters, float[][] probs) {
  /** The number of rows. */
  public int size() {
    return clusters.length;
  }
}
