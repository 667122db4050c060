package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Batch normalisation over the batch axis of a [B, D] input (Ioffe &amp; Szegedy 2015):
 * y = γ·(x − μ)/√(σ² + ε) + β.
 *
 * <p>In training μ, σ² are the batch mean and (biased) variance, and the moving averages m ← d·m +
 * (1−d)·μ are updated by ops appended to the caller's list, to run with the training step. At
 * inference μ, σ² are the moving averages. Variables: {@code name_gamma}, {@code name_beta}
 * (trainable), {@code name_moving_mean}, {@code name_moving_variance}. ε and d as Keras' defaults,
 * which the Python reference uses.
 */
public final class BatchNorm {
  public static final float EPSILON = 1e-3f;
  public static final float MOMENTUM = 0.99f;

  private BatchNorm() {}

  public static Operand<TFloat32> apply(
      Ops tf, Params params, String name, Operand<TFloat32> x, int dim, boolean training,
      List<Op> updates) {
    var gamma = params.get(name + "_gamma", Shape.of(dim), Params.Init.ONES, true);
    var beta = params.get(name + "_beta", Shape.of(dim), Params.Init.ZEROS, true);
    var movingMean = params.get(name + "_moving_mean", Shape.of(dim), Params.Init.ZEROS, false);
    var movingVar = params.get(name + "_moving_variance", Shape.of(dim), Params.Init.ONES, false);
    Operand<TFloat32> mean;
    Operand<TFloat32> variance;
    if (training) {
      var axis = tf.constant(new int[] {0});
      mean = tf.math.mean(x, axis);
      variance = tf.math.mean(tf.math.squaredDifference(x, mean), axis);
      var decay = tf.constant(MOMENTUM);
      var keep = tf.constant(1f - MOMENTUM);
      updates.add(params.update(name + "_moving_mean",
          tf.math.add(tf.math.mul(movingMean, decay), tf.math.mul(tf.stopGradient(mean), keep))));
      updates.add(params.update(name + "_moving_variance",
          tf.math.add(tf.math.mul(movingVar, decay), tf.math.mul(tf.stopGradient(variance), keep))));
    } else {
      mean = movingMean;
      variance = movingVar;
    }
    var scale = tf.math.mul(gamma, tf.math.rsqrt(tf.math.add(variance, tf.constant(EPSILON))));
    return tf.math.add(tf.math.mul(tf.math.sub(x, mean), scale), beta);
  }
}
