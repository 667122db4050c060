package io.deepclust.training.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deepclust.training.metrics.ClusteringMetrics;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contingency table reordered by the Hungarian matching of clusters to labels. */
class MatchedConfusionTest {
  /** Samples with {@code counts[k][c]} of cluster k and label c. */
  static int[][] samples(int[][] counts) {
    List<int[]> pairs = new ArrayList<>();
    for (int k = 0; k < counts.length; k++) {
      for (int c = 0; c < counts[k].length; c++) {
        for (int i = 0; i < counts[k][c]; i++) {
          pairs.add(new int[] {c, k});
        }
      }
    }
    int[][] out = new int[2][pairs.size()];
    for (int i = 0; i < pairs.size(); i++) {
      out[0][i] = pairs.get(i)[0];
      out[1][i] = pairs.get(i)[1];
    }
    return out;
  }

  @Test
  void rowsFollowTheOptimalMatchingNotEachClustersMajorityLabel() {
    // Clusters 0 and 1 both hold most of label 2; greedy would give both to it. The optimum is
    // 0 -> 2, 1 -> 0, 2 -> 1 (10 + 8 + 7 = 25 of 40), against 0 -> 0, 1 -> 2 (5 + 9 + 7 = 21).
    int[][] counts = {{5, 0, 10}, {8, 0, 9}, {0, 7, 1}};
    int[][] s = samples(counts);
    MatchedConfusion m = MatchedConfusion.of(s[0], s[1], 3, 3);
    assertArrayEquals(new int[] {1, 2, 0}, m.clusters());
    assertArrayEquals(new int[] {0, 1, 2}, m.matchedLabels());
    assertArrayEquals(new long[] {8, 0, 9}, m.counts()[0]);
    assertArrayEquals(new long[] {0, 7, 1}, m.counts()[1]);
    assertArrayEquals(new long[] {5, 0, 10}, m.counts()[2]);
    assertEquals(25 / 40.0, m.acc(), 1e-12);
    assertEquals(ClusteringMetrics.accuracy(s[0], s[1]).acc(), m.acc(), 0.0);
  }

  @Test
  void unmatchedAndEmptyClustersComeLastByIdWithEveryCount() {
    // K = 4 clusters, 2 labels: 2 -> 0, 0 -> 1; cluster 1 is empty, cluster 3 is left over.
    int[][] counts = {{0, 6}, {0, 0}, {5, 0}, {1, 1}};
    int[][] s = samples(counts);
    MatchedConfusion m = MatchedConfusion.of(s[0], s[1], 4, 2);
    assertArrayEquals(new int[] {2, 0, 1, 3}, m.clusters());
    assertArrayEquals(new int[] {0, 1, -1, -1}, m.matchedLabels());
    assertArrayEquals(new long[][] {{5, 0}, {0, 6}, {0, 0}, {1, 1}}, m.counts());
    assertEquals(11 / 13.0, m.acc(), 1e-12);
  }

  @Test
  void labelsWithoutSamplesStillGetAColumn() {
    MatchedConfusion m = MatchedConfusion.of(new int[] {0, 0, 1}, new int[] {1, 1, 0}, 2, 4);
    assertEquals(4, m.columns());
    assertArrayEquals(new int[] {1, 0}, m.clusters());
    assertArrayEquals(new long[][] {{2, 0, 0, 0}, {0, 1, 0, 0}}, m.counts());
  }
}
