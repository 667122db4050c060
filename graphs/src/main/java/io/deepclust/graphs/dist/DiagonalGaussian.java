package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A diagonal Gaussian N(μ, diag σ²), parameterised by its mean and log-variance [B, Z] (or its
 * standard deviation, where a method says so).
 */
public final class DiagonalGaussian {
  /** log 2π, kept in every density so that reported ELBOs are true values. */
  public static final float LOG_2PI = (float) Math.log(2 * Math.PI);

  private DiagonalGaussian() {}

  /** The entropy of N(μ, diag σ²): ½ Σ_j (log 2π + 1 + log σ²_j), one value per row [B]. */
  public static Operand<TFloat32> entropy(Ops tf, Operand<TFloat32> logVar) {
    var perDim = tf.math.add(logVar, tf.constant(LOG_2PI + 1f));
    return tf.math.mul(tf.constant(0.5f), tf.reduceSum(perDim, tf.constant(1)));
  }

  /**
   * KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (σ²_j + μ²_j − 1 − log σ²_j) over the last axis ([B, Z] →
   * [B], [K, B, Z] → [K, B]) (Kingma &amp; Welling 2014, appendix B).
   */
  public static Operand<TFloat32> klToStandardNormal(
      Ops tf, Operand<TFloat32> mean, Operand<TFloat32> logVar) {
    var terms = tf.math.sub(
        tf.math.add(tf.math.exp(logVar), tf.math.square(mean)),
        tf.math.add(tf.constant(1f), logVar));
    return tf.math.mul(tf.constant(0.5f), tf.reduceSum(terms, tf.constant(-1)));
  }

  /**
   * KL(N(μ, diag σ²) ‖ N(μ', diag σ'²)) = Σ_j [log σ'_j − log σ_j + (σ_j² + (μ_j − μ'_j)²) / (2σ'_j²)
   * − ½] over the last axis, the two broadcasting (posteriors [B, K, Z] against priors [1, K, Z]:
   * [B, K]), given standard deviations.
   */
  public static Operand<TFloat32> kl(Ops tf, Operand<TFloat32> mean, Operand<TFloat32> sd,
      Operand<TFloat32> otherMean, Operand<TFloat32> otherSd) {
    var ratio = tf.math.div(tf.math.add(tf.math.square(sd),
        tf.math.squaredDifference(mean, otherMean)),
        tf.math.mul(tf.constant(2f), tf.math.square(otherSd)));
    var terms = tf.math.sub(tf.math.add(tf.math.sub(tf.math.log(otherSd), tf.math.log(sd)),
        ratio), tf.constant(0.5f));
    return tf.reduceSum(terms, tf.constant(-1));
  }

  /**
   * The 2-Wasserstein distance between diagonal Gaussians as Eq. 17 of variational-clustering-w2
   * writes it (the squared distance), ‖μ − μ'‖² + ‖σ − σ'‖² over the last axis.
   */
  public static Operand<TFloat32> wasserstein2(Ops tf, Operand<TFloat32> mean,
      Operand<TFloat32> sd, Operand<TFloat32> otherMean, Operand<TFloat32> otherSd) {
    return tf.reduceSum(tf.math.add(tf.math.squaredDifference(mean, otherMean),
        tf.math.squaredDifference(sd, otherSd)), tf.constant(-1));
  }

  /**
   * −log N(x; m, diag v) = ½ Σ [log 2π + log v + (x − m)² / v] over {@code axes} (rows [B, D]: 1;
   * images [B, H, W, C]: 1, 2, 3), given the variance v itself.
   */
  public static Operand<TFloat32> negativeLogLikelihood(Ops tf, Operand<TFloat32> x,
      Operand<TFloat32> mean, Operand<TFloat32> variance, int... axes) {
    var sq = tf.math.div(tf.math.squaredDifference(x, mean), variance);
    var perDim = tf.math.mul(tf.constant(0.5f), tf.math.add(tf.math.add(tf.math.log(variance), sq),
        tf.constant(LOG_2PI)));
    return tf.reduceSum(perDim, tf.constant(axes));
  }

  /**
   * The reparameterised sample z = μ + σ·ε with ε ~ N(0, I) given; ε is wrapped in stopGradient so
   * the gradient flows through μ and σ only.
   */
  public static Operand<TFloat32> sample(
      Ops tf, Operand<TFloat32> mean, Operand<TFloat32> logVar, Operand<TFloat32> standardNoise) {
    var sigma = tf.math.exp(tf.math.mul(tf.constant(0.5f), logVar));
    return tf.math.add(mean, tf.math.mul(sigma, tf.stopGradient(standardNoise)));
  }
}
