package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The Gumbel-softmax (concrete) relaxation of a categorical sample (Jang et al. 2017, Eq. 1):
 * y = softmax((l + g)/τ), g_k = −log(−log u_k), u ~ U(0, 1).
 */
public final class GumbelSoftmax {
  /** Keeps u away from 0 and 1, where −log(−log u) is infinite. */
  public static final float TINY = 1e-20f;

  private GumbelSoftmax() {}

  /** Gumbel(0, 1) noise −log(−log u) from uniform draws u, wrapped in stopGradient. */
  public static Operand<TFloat32> gumbelNoise(Ops tf, Operand<TFloat32> uniform) {
    var tiny = tf.constant(TINY);
    var inner = tf.math.neg(tf.math.log(tf.math.add(uniform, tiny)));
    return tf.stopGradient(tf.math.neg(tf.math.log(tf.math.add(inner, tiny))));
  }

  /** A relaxed one-hot sample [B, K] at temperature τ (a scalar operand, fed per step). */
  public static Operand<TFloat32> sample(
      Ops tf, Operand<TFloat32> logits, Operand<TFloat32> temperature, Operand<TFloat32> uniform) {
    var perturbed = tf.math.add(logits, gumbelNoise(tf, uniform));
    return tf.nn.softmax(tf.math.div(perturbed, temperature));
  }
}
