package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A factorised Bernoulli distribution given by logits l: μ = sigmoid(l). Every model's Bernoulli
 * term comes from here; each method sums over the last axis unless it is given the axes.
 */
public final class Bernoulli {
  private static final int[] LAST_AXIS = {-1};

  private Bernoulli() {}

  /**
   * Binary cross-entropy from logits summed over the last axis ([B, D] → [B], [K, B, D] → [K, B]):
   * Σ_d [softplus(l_d) − x_d·l_d] = −log p(x|l). Exact for x ∈ [0, 1] and stable for large |l|
   * (softplus, never log(sigmoid(·))).
   */
  public static Operand<TFloat32> crossEntropyFromLogits(
      Ops tf, Operand<TFloat32> logits, Operand<TFloat32> x) {
    return crossEntropyFromLogits(tf, logits, x, LAST_AXIS);
  }

  /**
   * As {@link #crossEntropyFromLogits(Ops, Operand, Operand)}, summed over {@code axes} (images
   * [B, H, W, C]: 1, 2, 3).
   */
  public static Operand<TFloat32> crossEntropyFromLogits(
      Ops tf, Operand<TFloat32> logits, Operand<TFloat32> x, int... axes) {
    var perDim = tf.math.sub(tf.math.softplus(logits), tf.math.mul(x, logits));
    return tf.reduceSum(perDim, tf.constant(axes));
  }

  /** log μ = −softplus(−l), elementwise. */
  public static Operand<TFloat32> logMean(Ops tf, Operand<TFloat32> logits) {
    return tf.math.neg(tf.math.softplus(tf.math.neg(logits)));
  }

  /** log(1 − μ) = −softplus(l), elementwise. */
  public static Operand<TFloat32> logOneMinusMean(Ops tf, Operand<TFloat32> logits) {
    return tf.math.neg(tf.math.softplus(logits));
  }

  /**
   * log p(y|l) = Σ_j [y_j log μ_j + (1 − y_j) log(1 − μ_j)] over the last axis; y may be relaxed
   * (any value in [0, 1]). With y = μ it is the negative entropy of the distribution.
   */
  public static Operand<TFloat32> logProb(Ops tf, Operand<TFloat32> y, Operand<TFloat32> logits) {
    return tf.reduceSum(tf.math.add(tf.math.mul(y, logMean(tf, logits)),
        tf.math.mul(tf.math.sub(tf.constant(1f), y), logOneMinusMean(tf, logits))),
        tf.constant(-1));
  }
}
