package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A fully connected layer y = x·W + b, with variables {@code name_kernel} and {@code name_bias}. */
public final class Dense {
  private Dense() {}

  /** x [B, in] → x·W + b [B, out]; W Glorot-uniform, b zero. */
  public static Operand<TFloat32> apply(
      Ops tf, Params params, String name, Operand<TFloat32> x, int in, int out) {
    var kernel = params.get(name + "_kernel", Shape.of(in, out), Params.Init.GLOROT_UNIFORM, true);
    var bias = params.get(name + "_bias", Shape.of(out), Params.Init.ZEROS, true);
    return tf.nn.biasAdd(tf.linalg.matMul(x, kernel), bias);
  }

  /** As {@link #apply} without a bias (a bias followed by batch norm is redundant). */
  public static Operand<TFloat32> applyNoBias(
      Ops tf, Params params, String name, Operand<TFloat32> x, int in, int out) {
    var kernel = params.get(name + "_kernel", Shape.of(in, out), Params.Init.GLOROT_UNIFORM, true);
    return tf.linalg.matMul(x, kernel);
  }
}
