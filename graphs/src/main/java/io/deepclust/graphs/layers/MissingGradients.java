package io.deepclust.graphs.layers;

import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.nn.Conv2dBackpropInput;

/**
 * Graph gradients that TensorFlow's C++ registry (which TF-Java's {@code tf.gradients} uses) lacks,
 * registered once per JVM. Only the transposed convolution's op, Conv2DBackpropInput, is needed.
 */
final class MissingGradients {
  private static boolean registered;

  private MissingGradients() {}

  /**
   * Conv2DBackpropInput(sizes, W, dy) → dx. Its gradient, as TensorFlow's Python
   * {@code _Conv2DBackpropInputGrad}: none for sizes; conv2d_backprop_filter(g, shape(W), dy) for
   * W; conv2d(g, W) for dy (same strides and padding).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static synchronized void conv2dBackpropInput() {
    if (registered) {
      return;
    }
    // false when a gradient exists already (a later TensorFlow may add one): nothing to do then.
    TensorFlow.registerCustomGradient(Conv2dBackpropInput.Inputs.class, (tf, op, grads) -> {
      var in = (Conv2dBackpropInput.Inputs) op;
      Operand g = grads.get(0);
      List<Long> strides = Arrays.stream(in.strides).boxed().toList();
      Operand filterGrad = tf.nn.conv2dBackpropFilter(g, tf.shape(in.filter), in.outBackprop,
          strides, in.padding);
      Operand inputGrad = tf.nn.conv2d(g, in.filter, strides, in.padding);
      return Arrays.asList(null, filterGrad, inputGrad);
    });
    registered = true;
  }
}
