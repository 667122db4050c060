package io.deepclust.training.mixture;

import java.util.Random;

/**
 * A mixture of K products of d Bernoullis fitted by EM to binary codes: the post-hoc clustering of
 * VAB's public code (its {@code bmm_implement}, applied to the codes after each epoch). As there,
 * a start draws θ_kj and the weights from Beta(2, 2) (the weights normalised), and EM stops after
 * {@code maxIterations} or when the mean squared change of θ plus that of π falls below {@link
 * #TOLERANCE}. θ is kept in [{@link #FLOOR}, 1 − FLOOR] so that every log is finite (the public
 * code has no floor and would give log 0 for a bit constant within a component).
 */
public final class BernoulliMixture {
  public static final double TOLERANCE = 1e-5;
  public static final double FLOOR = 1e-6;

  private BernoulliMixture() {}

  /**
   * A fit: weights π [K], θ [K][d] = p(b_j = 1 | k), the mean log-likelihood per code and the EM
   * iterations run.
   */
  public record Fit(double[] weights, double[][] theta, double meanLogLikelihood,
      int iterations) {
    public int clusters() {
      return weights.length;
    }
  }

  /**
   * log π_k + log p(b | k) = base_k + Σ_{j: b_j = 1} delta_kj with base_k = log π_k + Σ_j log(1 −
   * θ_kj) and delta_kj = log θ_kj − log(1 − θ_kj): the logs once per iteration, not per code.
   */
  private record Scorer(double[] base, double[][] delta) {
    static Scorer of(double[] w, double[][] theta) {
      int k = w.length;
      double[] base = new double[k];
      double[][] delta = new double[k][];
      for (int c = 0; c < k; c++) {
        int d = theta[c].length;
        delta[c] = new double[d];
        double b = Math.log(w[c]);
        for (int j = 0; j < d; j++) {
          double off = Math.log(1 - theta[c][j]);
          b += off;
          delta[c][j] = Math.log(theta[c][j]) - off;
        }
        base[c] = b;
      }
      return new Scorer(base, delta);
    }

    void scores(byte[] codes, int i, int d, double[] out) {
      int off = i * d;
      for (int c = 0; c < base.length; c++) {
        double s = base[c];
        double[] dc = delta[c];
        for (int j = 0; j < d; j++) {
          if (codes[off + j] != 0) {
            s += dc[j];
          }
        }
        out[c] = s;
      }
    }
  }

  /** θ and π drawn from Beta(2, 2), π normalised (the public code's start). */
  public static Fit start(int k, int d, long seed) {
    Random r = new Random(seed);
    double[][] theta = new double[k][d];
    double[] w = new double[k];
    double sum = 0;
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < d; j++) {
        theta[c][j] = clamp(beta22(r));
      }
      w[c] = beta22(r);
      sum += w[c];
    }
    for (int c = 0; c < k; c++) {
      w[c] /= sum;
    }
    return new Fit(w, theta, Double.NaN, 0);
  }

  /**
   * EM from {@code from} on N binary codes (row-major [N, d], each byte 0 or 1) until convergence
   * or {@code maxIterations}.
   */
  public static Fit em(byte[] codes, int d, Fit from, int maxIterations) {
    int n = codes.length / d;
    int k = from.clusters();
    if (n < 1 || codes.length != n * d) {
      throw new IllegalArgumentException("codes must hold N·d values, N ≥ 1; got "
          + codes.length + " for d = " + d);
    }
    for (byte b : codes) {
      if (b != 0 && b != 1) {
        throw new IllegalArgumentException("codes must be 0 or 1, found " + b);
      }
    }
    double[] w = from.weights().clone();
    double[][] theta = new double[k][];
    for (int c = 0; c < k; c++) {
      theta[c] = from.theta()[c].clone();
    }
    double[] resp = new double[k];
    double logLik = Double.NaN;
    int it = 0;
    while (it < maxIterations) {
      it++;
      double[] mass = new double[k];
      double[][] ones = new double[k][d];
      logLik = 0;
      Scorer scorer = Scorer.of(w, theta);
      for (int i = 0; i < n; i++) {
        logLik += posterior(codes, i, d, scorer, resp);
        int off = i * d;
        for (int c = 0; c < k; c++) {
          double r = resp[c];
          if (r == 0) {
            continue;
          }
          mass[c] += r;
          double[] row = ones[c];
          for (int j = 0; j < d; j++) {
            if (codes[off + j] != 0) {
              row[j] += r;
            }
          }
        }
      }
      logLik /= n;
      double change = 0;
      double changeW = 0;
      for (int c = 0; c < k; c++) {
        double nw = mass[c] / n;
        changeW += (nw - w[c]) * (nw - w[c]);
        w[c] = nw;
        for (int j = 0; j < d; j++) {
          double t = mass[c] > 0 ? clamp(ones[c][j] / mass[c]) : theta[c][j];
          change += (t - theta[c][j]) * (t - theta[c][j]);
          theta[c][j] = t;
        }
      }
      if (change / (k * d) + changeW / k < TOLERANCE) {
        break;
      }
    }
    // The log-likelihood above is that of the parameters before the last update; report the
    // fitted ones'.
    return new Fit(w, theta, meanLogLikelihood(codes, d, w, theta), it);
  }

  /** Mean over codes of log Σ_k π_k p(b | k). */
  public static double meanLogLikelihood(byte[] codes, int d, double[] w, double[][] theta) {
    int n = codes.length / d;
    double[] resp = new double[w.length];
    Scorer scorer = Scorer.of(w, theta);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += posterior(codes, i, d, scorer, resp);
    }
    return sum / n;
  }

  /** The argmax cluster of each code. */
  public static int[] assign(byte[] codes, int d, Fit fit) {
    int n = codes.length / d;
    int[] out = new int[n];
    double[] s = new double[fit.clusters()];
    Scorer scorer = Scorer.of(fit.weights(), fit.theta());
    for (int i = 0; i < n; i++) {
      scorer.scores(codes, i, d, s);
      int best = 0;
      for (int c = 1; c < s.length; c++) {
        if (s[c] > s[best]) {
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /** Fills {@code resp} with p(k | b_i); returns log p(b_i). */
  private static double posterior(byte[] codes, int i, int d, Scorer scorer, double[] resp) {
    scorer.scores(codes, i, d, resp);
    double max = Double.NEGATIVE_INFINITY;
    for (double v : resp) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int c = 0; c < resp.length; c++) {
      resp[c] = Math.exp(resp[c] - max);
      sum += resp[c];
    }
    for (int c = 0; c < resp.length; c++) {
      resp[c] /= sum;
    }
    return max + Math.log(sum);
  }

  /** Beta(2, 2) as the median of three uniforms. */
  private static double beta22(Random r) {
    double a = r.nextDouble();
    double b = r.nextDouble();
    double c = r.nextDouble();
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }

  private static double clamp(double t) {
    return Math.min(1 - FLOOR, Math.max(FLOOR, t));
  }
}
