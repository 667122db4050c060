package io.deepclust.training.metrics;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jgrapht.Graph;
import org.jgrapht.alg.interfaces.MatchingAlgorithm;
import org.jgrapht.alg.matching.KuhnMunkresMinimalWeightBipartitePerfectMatching;
import org.jgrapht.graph.DefaultWeightedEdge;
import org.jgrapht.graph.SimpleWeightedGraph;

/**
 * External clustering metrics: unsupervised accuracy (ACC), normalised mutual information (NMI) and
 * the adjusted Rand index (ARI), with scikit-learn's definitions.
 *
 * <p>With {@code n[c][k]} the contingency table of classes {@code c} and clusters {@code k}, row
 * sums {@code a_c}, column sums {@code b_k} and {@code N} samples:
 *
 * <ul>
 *   <li>{@code ACC = max_m sum_k n[m(k)][k] / N} over one-to-one maps {@code m} of clusters to
 *       classes, found by Kuhn–Munkres;
 *   <li>{@code NMI = I(U;V) / ((H(U) + H(V)) / 2)}, natural log, {@code I = sum n/N log(N n / (a_c
 *       b_k))}, {@code H(U) = -sum a_c/N log(a_c/N)} ({@code normalized_mutual_info_score}, {@code
 *       average_method="arithmetic"});
 *   <li>{@code ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))} from the pair
 *       confusion matrix ({@code adjusted_rand_score}).
 * </ul>
 *
 * <p>Ids need not be contiguous: only those that occur count. All three throw {@link
 * IllegalArgumentException} for arrays of different lengths or negative ids.
 */
public final class ClusteringMetrics {
  private static final double EPS = Math.ulp(1.0);

  private ClusteringMetrics() {}

  /**
   * The best one-to-one matching of clusters to classes and the accuracy it achieves.
   *
   * @param acc fraction of samples whose cluster maps to their class, in {@code [0, 1]}
   * @param clusterToLabel for each cluster id {@code 0 .. max cluster id}, the class it maps to, or
   *     -1 when the id does not occur or is left unmatched (more clusters than classes)
   */
  public record Accuracy(double acc, int[] clusterToLabel) {
    /** The class cluster {@code cluster} maps to, or -1. */
    public int labelOf(int cluster) {
      return cluster < clusterToLabel.length ? clusterToLabel[cluster] : -1;
    }

    @Override
    public String toString() {
      return "Accuracy[acc=" + acc + ", clusterToLabel=" + Arrays.toString(clusterToLabel) + "]";
    }
  }

  /**
   * Unsupervised clustering accuracy: Kuhn–Munkres on the square {@code max(K, C)} cost matrix
   * {@code max - n[c][k]}, padded with zero-count dummy classes or clusters so {@code K != C}
   * works.
   *
   * @throws IllegalArgumentException for empty input, different lengths or negative ids
   */
  public static Accuracy accuracy(int[] labels, int[] clusters) {
    Contingency table = Contingency.of(labels, clusters);
    if (table.n == 0) {
      throw new IllegalArgumentException("accuracy of an empty clustering is undefined");
    }
    int numClasses = table.numClasses();
    int numClusters = table.numClusters();
    int m = Math.max(numClasses, numClusters);
    long max = 0;
    for (long[] row : table.counts) {
      for (long count : row) {
        max = Math.max(max, count);
      }
    }
    // Vertices 0..m-1 are clusters, m..2m-1 classes; indices past the real ones are dummies.
    Graph<Integer, DefaultWeightedEdge> graph =
        new SimpleWeightedGraph<>(DefaultWeightedEdge.class);
    Set<Integer> clusterSide = new LinkedHashSet<>();
    Set<Integer> classSide = new LinkedHashSet<>();
    for (int i = 0; i < m; i++) {
      graph.addVertex(i);
      clusterSide.add(i);
      graph.addVertex(m + i);
      classSide.add(m + i);
    }
    for (int k = 0; k < m; k++) {
      for (int c = 0; c < m; c++) {
        DefaultWeightedEdge edge = graph.addEdge(k, m + c);
        graph.setEdgeWeight(edge, (double) (max - count(table, c, k)));
      }
    }
    MatchingAlgorithm.Matching<Integer, DefaultWeightedEdge> matching =
        new KuhnMunkresMinimalWeightBipartitePerfectMatching<>(graph, clusterSide, classSide)
            .getMatching();

    int[] clusterToLabel = new int[table.clusterIds[numClusters - 1] + 1];
    Arrays.fill(clusterToLabel, -1);
    long matched = 0;
    for (DefaultWeightedEdge edge : matching.getEdges()) {
      int a = graph.getEdgeSource(edge);
      int b = graph.getEdgeTarget(edge);
      int k = Math.min(a, b);
      int c = Math.max(a, b) - m;
      if (k < numClusters && c < numClasses) {
        clusterToLabel[table.clusterIds[k]] = table.classIds[c];
        matched += table.counts[c][k];
      }
    }
    return new Accuracy((double) matched / table.n, clusterToLabel);
  }

  /**
   * Normalised mutual information with the arithmetic mean of the entropies, as scikit-learn's
   * {@code normalized_mutual_info_score(labels, clusters)}: 1.0 when both labellings have a single
   * value (or none), 0.0 when the mutual information is 0.
   */
  public static double nmi(int[] labels, int[] clusters) {
    Contingency table = Contingency.of(labels, clusters);
    int numClasses = table.numClasses();
    int numClusters = table.numClusters();
    if (numClasses == numClusters && numClasses <= 1) {
      return 1.0;
    }
    double mi = mutualInformation(table);
    if (mi == 0.0) {
      return 0.0;
    }
    double normaliser =
        (entropy(table.classSizes, table.n) + entropy(table.clusterSizes, table.n)) / 2;
    return mi / normaliser;
  }

  /**
   * Adjusted Rand index as scikit-learn's {@code adjusted_rand_score(labels, clusters)}, computed
   * exactly in integers before the final division: 1.0 for empty input or when the two partitions
   * agree on every pair.
   */
  public static double ari(int[] labels, int[] clusters) {
    Contingency table = Contingency.of(labels, clusters);
    // Ordered-pair counts as sklearn's pair_confusion_matrix; all fit in a long for n < 3e9.
    long n = table.n;
    long sumSquares = 0;
    long classDot = 0;
    long clusterDot = 0;
    for (int c = 0; c < table.numClasses(); c++) {
      for (int k = 0; k < table.numClusters(); k++) {
        long count = table.counts[c][k];
        sumSquares += count * count;
        clusterDot += count * table.clusterSizes[k];
        classDot += count * table.classSizes[c];
      }
    }
    BigInteger tp = BigInteger.valueOf(sumSquares - n);
    BigInteger fp = BigInteger.valueOf(clusterDot - sumSquares);
    BigInteger fn = BigInteger.valueOf(classDot - sumSquares);
    BigInteger tn =
        BigInteger.valueOf(n)
            .multiply(BigInteger.valueOf(n))
            .subtract(fp)
            .subtract(fn)
            .subtract(BigInteger.valueOf(sumSquares));
    if (fn.signum() == 0 && fp.signum() == 0) {
      return 1.0;
    }
    BigInteger numerator = tp.multiply(tn).subtract(fn.multiply(fp)).shiftLeft(1);
    BigInteger denominator = tp.add(fn).multiply(fn.add(tn)).add(tp.add(fp).multiply(fp.add(tn)));
    return new BigDecimal(numerator)
        .divide(new BigDecimal(denominator), MathContext.DECIMAL128)
        .doubleValue();
  }

  private static long count(Contingency table, int c, int k) {
    return c < table.numClasses() && k < table.numClusters() ? table.counts[c][k] : 0;
  }

  /**
   * {@code sum n/N (log n - log N) + n/N (log N + log N - log(a_c b_k))} over non-zero cells, each
   * term below machine epsilon set to 0 and the sum clipped at 0, as sklearn's {@code
   * mutual_info_score}.
   */
  private static double mutualInformation(Contingency table) {
    if (table.numClasses() == 1 || table.numClusters() == 1) {
      return 0.0;
    }
    double total = table.n;
    double logTotal = Math.log(total);
    double mi = 0;
    for (int c = 0; c < table.numClasses(); c++) {
      for (int k = 0; k < table.numClusters(); k++) {
        long count = table.counts[c][k];
        if (count == 0) {
          continue;
        }
        double p = count / total;
        double logOuter =
            -Math.log((double) (table.classSizes[c] * table.clusterSizes[k])) + logTotal + logTotal;
        double term = p * (Math.log(count) - logTotal) + p * logOuter;
        mi += Math.abs(term) < EPS ? 0.0 : term;
      }
    }
    return Math.max(mi, 0.0);
  }

  /** {@code -sum p log p} over the non-empty groups, as sklearn's {@code entropy}. */
  private static double entropy(long[] sizes, long n) {
    if (sizes.length <= 1) {
      return 0.0;
    }
    double total = n;
    double logTotal = Math.log(total);
    double h = 0;
    for (long size : sizes) {
      h -= (size / total) * (Math.log(size) - logTotal);
    }
    return h;
  }
}
