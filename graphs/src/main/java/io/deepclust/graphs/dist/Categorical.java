package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A categorical distribution q = softmax(l) over K classes given by logits l [B, K]. */
public final class Categorical {
  private Categorical() {}

  /**
   * KL(q ‖ U(K)) = Σ_k q_k log q_k + log K, one value per row [B]; log q by log-softmax, so no
   * log of a rounded-to-zero probability.
   */
  public static Operand<TFloat32> klToUniform(Ops tf, Operand<TFloat32> logits, int k) {
    var logQ = tf.nn.logSoftmax(logits);
    var q = tf.math.exp(logQ);
    var negEntropy = tf.reduceSum(tf.math.mul(q, logQ), tf.constant(1));
    return tf.math.add(negEntropy, tf.constant((float) Math.log(k)));
  }
}
