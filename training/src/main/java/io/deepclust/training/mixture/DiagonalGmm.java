package io.deepclust.training.mixture;

/**
 * A diagonal-covariance Gaussian mixture fitted to points (e.g. an autoencoder's embeddings):
 * k-means++ seeding by Hipparchus, then EM for diagonal covariances (as scikit-learn's
 * {@code covariance_type='diag'}, which the original VaDE code used), the restart with the best
 * log-likelihood kept.
 *
 * <p>Why our own EM: Hipparchus' {@code MultivariateNormalMixtureExpectationMaximization} fits full
 * covariances, and on 10,000 ten-dimensional embeddings it spent about 75 s and then threw
 * "convergence failed" at a 200-iteration cap (measured here); its default start collapsed the
 * means in an earlier probe (DESIGN.md). The diagonal EM below is the textbook one (Bishop 2006,
 * §9.2.2, with diagonal Σ), computed in log space, and stops when the mean log-likelihood gains less
 * than {@link #TOLERANCE}; a variance floor keeps a collapsing component finite.
 */
public final class DiagonalGmm {
  /** Variance floor. */
  public static final double RIDGE = 1e-6;

  /** The fit: weights π [K], means [K][D], variances [K][D], and its mean log-likelihood. */
  public record Fit(double[] weights, double[][] means, double[][] variances,
      double logLikelihood, int[] kmeansLabels) {}

  private DiagonalGmm() {}

  /**
   * Fits K components to the points.
   *
   * @param restarts k-means++ seedings, each followed by EM; the best log-likelihood wins
   */
  public static Fit fit(double[][] points, int k, int restarts, long seed, int maxEmIterations) {
    Fit best = null;
    for (int r = 0; r < restarts; r++) {
      int[] labels = KMeans.labels(points, k, 1, seed + 1000L * r);
      Fit fit = em(points, k, labels, maxEmIterations);
      if (best == null || fit.logLikelihood() > best.logLikelihood()) {
        best = fit;
      }
    }
    return best;
  }

  /** Mean log-likelihood gain below which EM stops. */
  public static final double TOLERANCE = 1e-6;

  /**
   * Diagonal EM started from hard labels, e.g. a k-means result (the M-step of a one-hot
   * responsibility matrix).
   */
  public static Fit em(double[][] x, int k, int[] labels, int maxIterations) {
    int n = x.length;
    int d = x[0].length;
    double[][] resp = new double[n][k];
    for (int i = 0; i < n; i++) {
      resp[i][labels[i]] = 1;
    }
    double[] w = new double[k];
    double[][] mu = new double[k][d];
    double[][] var = new double[k][d];
    double previous = Double.NEGATIVE_INFINITY;
    double ll = Double.NEGATIVE_INFINITY;
    for (int it = 0; it < maxIterations; it++) {
      mStep(x, resp, w, mu, var);
      ll = eStep(x, w, mu, var, resp);
      if (ll - previous < TOLERANCE) {
        break;
      }
      previous = ll;
    }
    return new Fit(w, mu, var, ll, labels);
  }

  /** Weights, means and diagonal variances from responsibilities. */
  private static void mStep(double[][] x, double[][] resp, double[] w, double[][] mu,
      double[][] var) {
    int n = x.length;
    int d = x[0].length;
    int k = w.length;
    for (int c = 0; c < k; c++) {
      double nc = 0;
      double[] sum = new double[d];
      double[] sq = new double[d];
      for (int i = 0; i < n; i++) {
        double r = resp[i][c];
        nc += r;
        for (int j = 0; j < d; j++) {
          sum[j] += r * x[i][j];
          sq[j] += r * x[i][j] * x[i][j];
        }
      }
      double safe = Math.max(nc, 1e-12);
      w[c] = Math.max(nc / n, 1e-12);
      for (int j = 0; j < d; j++) {
        mu[c][j] = sum[j] / safe;
        var[c][j] = Math.max(RIDGE, sq[j] / safe - mu[c][j] * mu[c][j]);
      }
    }
  }

  /** Responsibilities in log space; returns the mean log-likelihood. */
  private static double eStep(double[][] x, double[] w, double[][] mu, double[][] var,
      double[][] resp) {
    int k = w.length;
    int d = x[0].length;
    double[] constant = new double[k];
    for (int c = 0; c < k; c++) {
      double logDet = 0;
      for (int j = 0; j < d; j++) {
        logDet += Math.log(var[c][j]);
      }
      constant[c] = Math.log(w[c]) - 0.5 * (d * Math.log(2 * Math.PI) + logDet);
    }
    double total = 0;
    double[] logp = new double[k];
    for (int i = 0; i < x.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        double q = 0;
        for (int j = 0; j < d; j++) {
          double t = x[i][j] - mu[c][j];
          q += t * t / var[c][j];
        }
        logp[c] = constant[c] - 0.5 * q;
        max = Math.max(max, logp[c]);
      }
      double z = 0;
      for (int c = 0; c < k; c++) {
        z += Math.exp(logp[c] - max);
      }
      double logZ = max + Math.log(z);
      total += logZ;
      for (int c = 0; c < k; c++) {
        resp[i][c] = Math.exp(logp[c] - logZ);
      }
    }
    return total / x.length;
  }
}
