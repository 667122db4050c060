package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
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
    // The ref variable is read first: the op infers its input types from its operands.
    return tf.math.add(batchMatMul(tf, x, tf.identity(kernel)), bias);
  }

  /**
   * x·y over the leading batch axes as the op {@code BatchMatMulV2}, the one Python's {@code
   * tf.linalg.matmul} makes. TF-Java's {@code tf.train.batchMatMul} makes {@code BatchMatMulV3},
   * which TensorFlow 2.18's oneDNN pass leaves on the Eigen kernel while it runs V2 as {@code
   * _MklBatchMatMulV2} (k-DVAE's step on the 2-core Xeon of bench/perf: 1.32× Python's with V3,
   * 1.18× with V2, workers taking turns). The gradients TensorFlow's C++ registry builds for either
   * are V3 ops, and a registered gradient cannot be replaced from Java; k-DVAE's training session
   * therefore uses XLA (see {@code Models.xlaByDefault}).
   */
  @SuppressWarnings("unchecked")
  public static Operand<TFloat32> batchMatMul(Ops tf, Operand<TFloat32> x, Operand<TFloat32> y) {
    Scope scope = tf.scope();
    var op = scope.opBuilder("BatchMatMulV2", "BatchMatMulV2").addInput(x.asOutput())
        .addInput(y.asOutput()).build();
    return (Output<TFloat32>) (Output<?>) op.output(0);
  }
}
