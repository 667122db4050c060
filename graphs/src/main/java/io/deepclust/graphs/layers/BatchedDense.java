package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * K independent dense layers at once: x [K, B, in] → x·W + b [K, B, out] by one batched matmul;
 * variables {@code name_kernel} [K, in, out] (Glorot uniform from the last two dims) and {@code
 * name_bias} [K, 1, out] (zeros).
 */
public final class BatchedDense {
  private BatchedDense() {}

  public static Operand<TFloat32> apply(Ops tf, Params params, String name, Operand<TFloat32> x,
      int k, int in, int out) {
    var kernel = params.get(name + "_kernel", Shape.of(k, in, out), Params.Init.GLOROT_UNIFORM,
        true);
    var bias = params.get(name + "_bias", Shape.of(k, 1, out), Params.Init.ZEROS, true);
    // BatchMatMul infers its input-type attrs from the operands: read the (ref) variable first.
    return tf.math.add(tf.train.batchMatMul(x, tf.identity(kernel), TFloat32.class), bias);
  }
}
