package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A factorised Bernoulli distribution given by logits l [B, D]. */
public final class Bernoulli {
  private Bernoulli() {}

  /**
   * Binary cross-entropy from logits summed over the last axis, one value per row [B]:
   * Σ_d [softplus(l_d) − x_d·l_d] = −log p(x|l). Exact for x ∈ [0, 1] and stable for large |l|
   * (softplus, never log(sigmoid(·))).
   */
  public static Operand<TFloat32> crossEntropyFromLogits(
      Ops tf, Operand<TFloat32> logits, Operand<TFloat32> x) {
    var perDim = tf.math.sub(tf.math.softplus(logits), tf.math.mul(x, logits));
    return tf.reduceSum(perDim, tf.constant(1));
  }
}
