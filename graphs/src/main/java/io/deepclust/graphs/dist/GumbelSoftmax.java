package io.deepclust.graphs.dist;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The Gumbel-softmax (concrete) relaxation of a categorical sample (Jang et al. 2017, Eq. 1):
 * y = softmax((l + g)/τ), g_k = −log(−log u_k), u ~ U(0, 1); its two-class form for independent
 * bits, and the straight-through estimator of either. GMVAE-Gumbel's category and VAB's code bits
 * both use it.
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

  /**
   * A relaxed Bernoulli sample per entry of logits l [B, d]: the two-class Gumbel-softmax of
   * classes {1, 0} with probabilities μ = sigmoid(l) and 1 − μ, softmax(((log μ + g₁), (log(1 − μ)
   * + g₀))/τ)₁ = sigmoid((l + g₁ − g₀)/τ), since log μ − log(1 − μ) = l. {@code uniform} [B, d, 2]:
   * index 0 of its last axis draws g₁, index 1 draws g₀.
   */
  public static Operand<TFloat32> binarySample(
      Ops tf, Operand<TFloat32> logits, Operand<TFloat32> temperature, Operand<TFloat32> uniform) {
    var g = gumbelNoise(tf, uniform);
    var last = tf.constant(2);
    var gOne = tf.squeeze(tf.gather(g, tf.constant(new int[] {0}), last), SQUEEZE_LAST);
    var gZero = tf.squeeze(tf.gather(g, tf.constant(new int[] {1}), last), SQUEEZE_LAST);
    return tf.math.sigmoid(tf.math.div(tf.math.add(logits, tf.math.sub(gOne, gZero)),
        temperature));
  }

  /** The hard value forward, y's gradient backward: y + stopGradient(hard − y). */
  public static Operand<TFloat32> straightThrough(Ops tf, Operand<TFloat32> y,
      Operand<TFloat32> hard) {
    return tf.math.add(y, tf.stopGradient(tf.math.sub(hard, y)));
  }

  /** straightThrough to the one-hot of each row's argmax (a relaxed category [B, K]). */
  public static Operand<TFloat32> straightThroughOneHot(Ops tf, Operand<TFloat32> y, int k) {
    return straightThrough(tf, y, tf.oneHot(tf.math.argMax(y, tf.constant(1), TInt64.class),
        tf.constant(k), tf.constant(1f), tf.constant(0f)));
  }

  /** straightThrough to round(y) (relaxed bits in [0, 1]: exactly 0 or 1 forward). */
  public static Operand<TFloat32> straightThroughRound(Ops tf, Operand<TFloat32> y) {
    return straightThrough(tf, y, tf.math.round(y));
  }

  private static final Squeeze.Options SQUEEZE_LAST = Squeeze.axis(List.of(2L));
}
