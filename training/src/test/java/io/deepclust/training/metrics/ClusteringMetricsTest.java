package io.deepclust.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleBiFunction;
import org.junit.jupiter.api.Test;

/**
 * NMI and ARI against scikit-learn. Each expected value is what the Python one-liner in the comment
 * above it printed, run as {@code /tmp/skvenv/bin/python -c ...} in a throwaway venv made with
 * {@code python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn} (scikit-learn
 * 1.9.1, numpy 2.4.6, scipy 1.17.1).
 */
class ClusteringMetricsTest {
  private static final double TOL = 1e-9;

  // K = C = 3.
  private static final int[] L3 = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  private static final int[] K3 = {0, 0, 1, 2, 1, 1, 1, 0, 2, 2, 0, 2};
  // C = 4 classes, K = 6 clusters, unrelated.
  private static final int[] L4 = {
    2, 1, 3, 0, 0, 0, 2, 0, 1, 0, 0, 3, 3, 0, 1, 0, 3, 0, 0, 1, 0, 3, 0, 1
  };
  private static final int[] K6 = {
    0, 4, 1, 2, 3, 1, 4, 0, 4, 2, 4, 5, 1, 0, 4, 4, 5, 1, 2, 0, 4, 5, 0, 4
  };
  // C = 5 classes, K = 3 clusters, unrelated (negative ARI).
  private static final int[] L5 = {
    0, 4, 1, 3, 4, 3, 2, 3, 4, 3, 2, 2, 1, 1, 1, 0, 4, 2, 4, 3, 2, 3, 2, 4, 0
  };
  private static final int[] K3B = {
    0, 2, 1, 0, 1, 0, 1, 1, 0, 2, 0, 2, 2, 1, 1, 2, 1, 2, 1, 2, 1, 0, 0, 1, 1
  };
  // C = 3 classes, K = 5 clusters, mostly aligned with two split-off clusters.
  private static final int[] L3C = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
  private static final int[] K5 = {0, 0, 0, 3, 3, 1, 1, 1, 1, 4, 2, 2, 2, 2, 0};
  // Non-contiguous ids on both sides.
  private static final int[] LS = {0, 0, 5, 5, 5, 9, 9, 9, 9};
  private static final int[] KS = {3, 3, 7, 7, 11, 11, 11, 3, 7};

  @Test
  void nmiMatchesScikitLearnWithEqualClassAndClusterCounts() {
    /* python -c "from sklearn.metrics import normalized_mutual_info_score; print(repr(normalized_mutual_info_score([0,0,0,0,1,1,1,1,2,2,2,2], [0,0,1,2,1,1,1,0,2,2,0,2])))" */
    assertEquals(0.3432954517856615, ClusteringMetrics.nmi(L3, K3), TOL);
  }

  @Test
  void nmiMatchesScikitLearnWithMoreClustersThanClasses() {
    /* python -c "from sklearn.metrics import normalized_mutual_info_score; print(repr(normalized_mutual_info_score([2,1,3,0,0,0,2,0,1,0,0,3,3,0,1,0,3,0,0,1,0,3,0,1], [0,4,1,2,3,1,4,0,4,2,4,5,1,0,4,4,5,1,2,0,4,5,0,4])))" */
    assertEquals(0.39911695400158265, ClusteringMetrics.nmi(L4, K6), TOL);
    /* python -c "from sklearn.metrics import normalized_mutual_info_score; print(repr(normalized_mutual_info_score([0,0,0,0,0,1,1,1,1,1,2,2,2,2,2], [0,0,0,3,3,1,1,1,1,4,2,2,2,2,0])))" */
    assertEquals(0.7282769567990622, ClusteringMetrics.nmi(L3C, K5), TOL);
  }

  @Test
  void nmiMatchesScikitLearnWithFewerClustersThanClasses() {
    /* python -c "from sklearn.metrics import normalized_mutual_info_score; print(repr(normalized_mutual_info_score([0,4,1,3,4,3,2,3,4,3,2,2,1,1,1,0,4,2,4,3,2,3,2,4,0], [0,2,1,0,1,0,1,1,0,2,0,2,2,1,1,2,1,2,1,2,1,0,0,1,1])))" */
    assertEquals(0.10392784540157883, ClusteringMetrics.nmi(L5, K3B), TOL);
  }

  @Test
  void nmiMatchesScikitLearnWithNonContiguousIds() {
    /* python -c "from sklearn.metrics import normalized_mutual_info_score; print(repr(normalized_mutual_info_score([0,0,5,5,5,9,9,9,9], [3,3,7,7,11,11,11,3,7])))" */
    assertEquals(0.3930065516315366, ClusteringMetrics.nmi(LS, KS), TOL);
  }

  @Test
  void nmiSpecialCasesMatchScikitLearn() {
    /* python -c "from sklearn.metrics import normalized_mutual_info_score as f; print(f([1,1,1],[4,4,4]), f([],[]), f([0,0,0,0],[0,1,2,3]), f([0,1,2,3],[0,0,0,0]), f([0,0,1,1],[0,1,0,1]), f([0,1,2,3],[3,2,1,0]))" */
    // 1.0 1.0 0.0 0.0 0.0 1.0
    assertEquals(1.0, ClusteringMetrics.nmi(new int[] {1, 1, 1}, new int[] {4, 4, 4}));
    assertEquals(1.0, ClusteringMetrics.nmi(new int[0], new int[0]));
    assertEquals(0.0, ClusteringMetrics.nmi(new int[] {0, 0, 0, 0}, new int[] {0, 1, 2, 3}));
    assertEquals(0.0, ClusteringMetrics.nmi(new int[] {0, 1, 2, 3}, new int[] {0, 0, 0, 0}));
    assertEquals(0.0, ClusteringMetrics.nmi(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}));
    assertEquals(1.0, ClusteringMetrics.nmi(new int[] {0, 1, 2, 3}, new int[] {3, 2, 1, 0}), TOL);
  }

  @Test
  void ariMatchesScikitLearnWithEqualClassAndClusterCounts() {
    /* python -c "from sklearn.metrics import adjusted_rand_score; print(repr(adjusted_rand_score([0,0,0,0,1,1,1,1,2,2,2,2], [0,0,1,2,1,1,1,0,2,2,0,2])))" */
    assertEquals(0.1597222222222222, ClusteringMetrics.ari(L3, K3), TOL);
  }

  @Test
  void ariMatchesScikitLearnWithMoreClustersThanClasses() {
    /* python -c "from sklearn.metrics import adjusted_rand_score; print(repr(adjusted_rand_score([2,1,3,0,0,0,2,0,1,0,0,3,3,0,1,0,3,0,0,1,0,3,0,1], [0,4,1,2,3,1,4,0,4,2,4,5,1,0,4,4,5,1,2,0,4,5,0,4])))" */
    assertEquals(0.08037922506183018, ClusteringMetrics.ari(L4, K6), TOL);
    /* python -c "from sklearn.metrics import adjusted_rand_score; print(repr(adjusted_rand_score([0,0,0,0,0,1,1,1,1,1,2,2,2,2,2], [0,0,0,3,3,1,1,1,1,4,2,2,2,2,0])))" */
    assertEquals(0.5543071161048689, ClusteringMetrics.ari(L3C, K5), TOL);
  }

  @Test
  void ariMatchesScikitLearnWithFewerClustersThanClassesIncludingNegativeValues() {
    /* python -c "from sklearn.metrics import adjusted_rand_score; print(repr(adjusted_rand_score([0,4,1,3,4,3,2,3,4,3,2,2,1,1,1,0,4,2,4,3,2,3,2,4,0], [0,2,1,0,1,0,1,1,0,2,0,2,2,1,1,2,1,2,1,2,1,0,0,1,1])))" */
    assertEquals(-0.025155065472088216, ClusteringMetrics.ari(L5, K3B), TOL);
  }

  @Test
  void ariMatchesScikitLearnWithNonContiguousIds() {
    /* python -c "from sklearn.metrics import adjusted_rand_score; print(repr(adjusted_rand_score([0,0,5,5,5,9,9,9,9], [3,3,7,7,11,11,11,3,7])))" */
    assertEquals(0.07142857142857142, ClusteringMetrics.ari(LS, KS), TOL);
  }

  @Test
  void ariSpecialCasesMatchScikitLearn() {
    /* python -c "from sklearn.metrics import adjusted_rand_score as f; print(f([1,1,1],[4,4,4]), f([],[]), f([0,0,0,0],[0,1,2,3]), f([0,1,2,3],[0,0,0,0]), f([0,0,1,1],[0,1,0,1]), f([0,1,2,3],[3,2,1,0]))" */
    // 1.0 1.0 0.0 0.0 -0.5 1.0
    assertEquals(1.0, ClusteringMetrics.ari(new int[] {1, 1, 1}, new int[] {4, 4, 4}));
    assertEquals(1.0, ClusteringMetrics.ari(new int[0], new int[0]));
    assertEquals(0.0, ClusteringMetrics.ari(new int[] {0, 0, 0, 0}, new int[] {0, 1, 2, 3}));
    assertEquals(0.0, ClusteringMetrics.ari(new int[] {0, 1, 2, 3}, new int[] {0, 0, 0, 0}));
    assertEquals(-0.5, ClusteringMetrics.ari(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}), TOL);
    assertEquals(1.0, ClusteringMetrics.ari(new int[] {0, 1, 2, 3}, new int[] {3, 2, 1, 0}));
  }

  @Test
  void metricsMatchScikitLearnOnMnistSizedInputs() {
    // 70000 samples: ARI's pair-count products exceed a long, so this guards the BigInteger path.
    int n = 70000;
    int[] labels = new int[n];
    int[] clusters = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 10;
      clusters[i] = (i % 10 + (i % 7 == 0 ? 1 : 0)) % 10;
    }
    /* python -c "from sklearn.metrics import adjusted_rand_score as f; n=70000; print(repr(f([i%10 for i in range(n)], [(i%10+(i%7==0))%10 for i in range(n)])))" */
    assertEquals(0.7278561660412128, ClusteringMetrics.ari(labels, clusters), TOL);
    /* python -c "from sklearn.metrics import normalized_mutual_info_score as f; n=70000; print(repr(f([i%10 for i in range(n)], [(i%10+(i%7==0))%10 for i in range(n)])))" */
    assertEquals(0.8218887460288661, ClusteringMetrics.nmi(labels, clusters), TOL);
    assertEquals(1.0, ClusteringMetrics.ari(labels, labels));
  }

  @Test
  void lengthMismatchIsRejectedWithBothLengths() {
    for (ToDoubleBiFunction<int[], int[]> metric : metrics()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> metric.applyAsDouble(new int[] {0, 1, 2}, new int[] {0, 1}));
      assertTrue(e.getMessage().contains("length mismatch: 3 labels but 2"), e.getMessage());
    }
  }

  @Test
  void negativeIdsAreRejectedWithIndexAndValue() {
    for (ToDoubleBiFunction<int[], int[]> metric : metrics()) {
      IllegalArgumentException labels =
          assertThrows(
              IllegalArgumentException.class,
              () -> metric.applyAsDouble(new int[] {0, -1}, new int[] {0, 1}));
      assertTrue(
          labels.getMessage().contains("negative label at index 1: -1"), labels.getMessage());
      IllegalArgumentException clusters =
          assertThrows(
              IllegalArgumentException.class,
              () -> metric.applyAsDouble(new int[] {0, 1}, new int[] {-3, 1}));
      assertTrue(
          clusters.getMessage().contains("negative cluster id at index 0: -3"),
          clusters.getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  private static ToDoubleBiFunction<int[], int[]>[] metrics() {
    return new ToDoubleBiFunction[] {
      (ToDoubleBiFunction<int[], int[]>) (l, k) -> ClusteringMetrics.accuracy(l, k).acc(),
      (ToDoubleBiFunction<int[], int[]>) ClusteringMetrics::nmi,
      (ToDoubleBiFunction<int[], int[]>) ClusteringMetrics::ari
    };
  }
}
