package io.deepclust.training.report;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.SingularValueDecomposition;

/**
 * Principal component analysis of rows x_i ∈ ℝ^d: the eigenvectors of the sample covariance C =
 * Σ (x_i − μ)(x_i − μ)ᵀ / (n − 1) (n for a single row), by decreasing eigenvalue (the variance
 * along each). Each component's sign is fixed so that its entry of largest magnitude is positive,
 * so a fit is reproducible. Meant for the latent codes of a run report, d ≤ a few hundred.
 *
 * @param mean μ, length d
 * @param components the d unit eigenvectors of C, rows, by decreasing variance
 * @param variances their eigenvalues, decreasing (tiny negative round-off clipped to 0)
 */
public record Pca(double[] mean, double[][] components, double[] variances) {
  /**
   * Fits the components of {@code rows}.
   *
   * @throws IllegalArgumentException for no rows, rows of different lengths or a non-finite value
   */
  public static Pca fit(float[][] rows) {
    if (rows == null || rows.length == 0) {
      throw new IllegalArgumentException("PCA needs at least one row");
    }
    int n = rows.length;
    int d = rows[0].length;
    double[] mean = new double[d];
    for (int i = 0; i < n; i++) {
      if (rows[i].length != d) {
        throw new IllegalArgumentException("row " + i + " has " + rows[i].length
            + " values, row 0 has " + d);
      }
      for (int j = 0; j < d; j++) {
        if (!Float.isFinite(rows[i][j])) {
          throw new IllegalArgumentException("row " + i + " has a non-finite value at " + j);
        }
        mean[j] += rows[i][j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    double[][] cov = new double[d][d];
    double[] centred = new double[d];
    for (float[] row : rows) {
      for (int j = 0; j < d; j++) {
        centred[j] = row[j] - mean[j];
      }
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          cov[a][b] += centred[a] * centred[b];
        }
      }
    }
    double denominator = Math.max(1, n - 1);
    for (int a = 0; a < d; a++) {
      for (int b = a; b < d; b++) {
        cov[a][b] /= denominator;
        cov[b][a] = cov[a][b];
      }
    }
    // C is symmetric positive semi-definite, so its SVD is its eigendecomposition. Hipparchus'
    // symmetric eigensolver stopped with "convergence failed" on the rank-deficient covariance
    // of 200 GMVAE-Gumbel codes in 150 dimensions (measured); the SVD does not.
    var svd = new SingularValueDecomposition(new Array2DRowRealMatrix(cov, false));
    double[] values = svd.getSingularValues();
    var u = svd.getU();
    Integer[] order = IntStream.range(0, d).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]));
    double[][] components = new double[d][];
    double[] variances = new double[d];
    for (int r = 0; r < d; r++) {
      double[] v = u.getColumn(order[r]);
      int largest = 0;
      for (int j = 1; j < d; j++) {
        if (Math.abs(v[j]) > Math.abs(v[largest])) {
          largest = j;
        }
      }
      if (v[largest] < 0) {
        for (int j = 0; j < d; j++) {
          v[j] = -v[j];
        }
      }
      components[r] = v;
      variances[r] = Math.max(0, values[order[r]]);
    }
    return new Pca(mean, components, variances);
  }

  /** The number of dimensions d. */
  public int dims() {
    return mean.length;
  }

  /**
   * The fraction of the total variance along component {@code r}; 0 when the rows do not vary.
   */
  public double explainedVarianceRatio(int r) {
    double total = Arrays.stream(variances).sum();
    return total > 0 ? variances[r] / total : 0;
  }

  /**
   * The coordinates (x − μ)·v_r of each row along the first {@code count} components; columns past
   * d are 0.
   */
  public double[][] project(float[][] rows, int count) {
    double[][] out = new double[rows.length][count];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != dims()) {
        throw new IllegalArgumentException("row " + i + " has " + rows[i].length
            + " values, the fit had " + dims());
      }
      for (int r = 0; r < Math.min(count, dims()); r++) {
        double s = 0;
        for (int j = 0; j < dims(); j++) {
          s += (rows[i][j] - mean[j]) * components[r][j];
        }
        out[i][r] = s;
      }
    }
    return out;
  }
}
