package io.deepclust.training.report;

import io.deepclust.training.metrics.ClusteringMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The cluster × label contingency table with its rows (clusters) reordered by the one-to-one
 * matching of clusters to labels that ACC uses ({@link ClusteringMetrics#accuracy}, Kuhn–Munkres):
 * first the matched clusters by their label, then the unmatched ones (more clusters than labels, or
 * clusters no sample was assigned to) by id. With K = C and every cluster used, the matched counts
 * form the diagonal and ACC is its sum over n.
 *
 * @param clusters the cluster id of each row
 * @param matchedLabels the label each row's cluster is matched to, or -1
 * @param counts {@code counts[row][label]}: samples of that label assigned to the row's cluster
 * @param acc the accuracy of the matching, in [0, 1]
 */
public record MatchedConfusion(int[] clusters, int[] matchedLabels, long[][] counts, double acc) {
  /**
   * Tabulates and reorders.
   *
   * @param numClusters K: rows 0..K−1 all appear, empty or not (ids past K are added when present)
   * @param numLabels C: columns 0..C−1 (labels past C are added when present)
   * @throws IllegalArgumentException for empty input, different lengths or negative ids
   */
  public static MatchedConfusion of(int[] labels, int[] clusters, int numClusters,
      int numLabels) {
    ClusteringMetrics.Accuracy matching = ClusteringMetrics.accuracy(labels, clusters);
    int k = numClusters;
    int c = numLabels;
    for (int i = 0; i < labels.length; i++) {
      k = Math.max(k, clusters[i] + 1);
      c = Math.max(c, labels[i] + 1);
    }
    List<Integer> order = new ArrayList<>();
    for (int id = 0; id < k; id++) {
      order.add(id);
    }
    // Matched clusters first, by label; then the rest by id (a stable sort keeps them in order).
    order.sort(Comparator.comparingInt((Integer id) -> {
      int label = matching.labelOf(id);
      return label < 0 ? Integer.MAX_VALUE : label;
    }));
    int[] rowOf = new int[k];
    int[] ids = new int[k];
    int[] matched = new int[k];
    for (int row = 0; row < k; row++) {
      ids[row] = order.get(row);
      matched[row] = matching.labelOf(ids[row]);
      rowOf[ids[row]] = row;
    }
    long[][] counts = new long[k][c];
    for (int i = 0; i < labels.length; i++) {
      counts[rowOf[clusters[i]]][labels[i]]++;
    }
    return new MatchedConfusion(ids, matched, counts, matching.acc());
  }

  /** The number of rows (clusters). */
  public int rows() {
    return clusters.length;
  }

  /** The number of columns (labels). */
  public int columns() {
    return counts.length == 0 ? 0 : counts[0].length;
  }
}
