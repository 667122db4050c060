package io.deepclust.graphs.dist;

import static io.deepclust.graphs.dist.DiagonalGaussian.LOG_2PI;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A mixture of K diagonal Gaussians p(z) = Σ_c π_c N(z; μ_c, diag σ²_c), with μ [K, Z] and log σ²
 * [K, Z]; per-sample quantities are [B, K].
 */
public final class GaussianMixture {
  private GaussianMixture() {}

  /** log N(z; μ_c, σ²_c) = −½ Σ_j [log 2π + log σ²_cj + (z_j − μ_cj)² / σ²_cj], [B, K]. */
  public static Operand<TFloat32> logDensities(
      Ops tf, Operand<TFloat32> z, Operand<TFloat32> means, Operand<TFloat32> logVars) {
    var diff = tf.math.sub(tf.expandDims(z, tf.constant(1)), tf.expandDims(means, tf.constant(0)));
    var quad = tf.math.div(tf.math.square(diff), tf.expandDims(tf.math.exp(logVars),
        tf.constant(0)));
    var perDim = tf.math.add(tf.math.add(quad, tf.expandDims(logVars, tf.constant(0))),
        tf.constant(LOG_2PI));
    return tf.math.mul(tf.constant(-0.5f), tf.reduceSum(perDim, tf.constant(2)));
  }

  /**
   * E_{N(z; μ̃, σ̃²)}[log N(z; μ_c, σ²_c)] in closed form, [B, K]:
   * −½ Σ_j [log 2π + log σ²_cj + σ̃²_j / σ²_cj + (μ̃_j − μ_cj)² / σ²_cj].
   */
  public static Operand<TFloat32> expectedLogDensities(Ops tf, Operand<TFloat32> mean,
      Operand<TFloat32> logVar, Operand<TFloat32> means, Operand<TFloat32> logVars) {
    var one = tf.constant(1);
    var zero = tf.constant(0);
    var diff = tf.math.sub(tf.expandDims(mean, one), tf.expandDims(means, zero));
    var numerator = tf.math.add(tf.math.square(diff), tf.expandDims(tf.math.exp(logVar), one));
    var ratio = tf.math.div(numerator, tf.expandDims(tf.math.exp(logVars), zero));
    var perDim = tf.math.add(tf.math.add(ratio, tf.expandDims(logVars, zero)),
        tf.constant(LOG_2PI));
    return tf.math.mul(tf.constant(-0.5f), tf.reduceSum(perDim, tf.constant(2)));
  }

  /**
   * log q(c|z) = log_softmax_c(log π_c + log N(z; μ_c, σ²_c)) (vade Eq. 11-12 with one sample),
   * with log π = log_softmax(free logits); [B, K], in log space throughout.
   */
  public static Operand<TFloat32> logResponsibilities(Ops tf, Operand<TFloat32> z,
      Operand<TFloat32> priorLogits, Operand<TFloat32> means, Operand<TFloat32> logVars) {
    var logPi = tf.nn.logSoftmax(tf.expandDims(priorLogits, tf.constant(0)));
    return tf.nn.logSoftmax(tf.math.add(logPi, logDensities(tf, z, means, logVars)));
  }
}
