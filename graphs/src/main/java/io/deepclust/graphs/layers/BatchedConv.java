package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.layers.Conv2d.Spec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * K independent {@link CompactConv} nets at once, for k-DVAE's K encoder/decoder pairs (the conv
 * backbone of {@link BatchedDense}'s K dense layers). The variables are CompactConv's with a
 * leading K axis: conv kernels [K, k, k, in, out] (Glorot from one kernel's fans, {@link
 * Params.Init#GLOROT_UNIFORM}), biases [K, out]; the decoder's reshape is a {@link BatchedDense}.
 * TensorFlow's convolutions take one kernel, so each pair's slice runs its own ops and the K
 * results are stacked.
 */
public final class BatchedConv {
  private BatchedConv() {}

  /** Rows xk [K, B, H·W·C] → each pair's conv features [K, B, H/4·W/4·64]. */
  public static Operand<TFloat32> encode(Ops tf, Params p, String prefix, Operand<TFloat32> xk,
      int k, int[] inputShape, UnaryOperator<Operand<TFloat32>> act) {
    List<Operand<TFloat32>> h = new ArrayList<>();
    for (var rows : tf.unstack(xk, (long) k).output()) {
      h.add(tf.reshape(rows, tf.constant(new int[] {-1, inputShape[0], inputShape[1],
          inputShape[2]})));
    }
    int in = inputShape[2];
    for (int i = 0; i < CompactConv.ENCODER.size(); i++) {
      Spec s = CompactConv.ENCODER.get(i);
      var layer = layer(tf, p, prefix + "_conv" + (i + 1), k, s.kernel(), in, s.filters(),
          s.filters());
      for (int j = 0; j < k; j++) {
        h.set(j, act.apply(Conv2d.convolve(tf, h.get(j), layer.kernels.get(j),
            layer.biases.get(j), s)));
      }
      in = s.filters();
    }
    var flat = tf.constant(new int[] {-1, CompactConv.featureDim(inputShape)});
    return tf.stack(h.stream().map(x -> (Operand<TFloat32>) tf.reshape(x, flat)).toList());
  }

  /**
   * Each pair's last hidden rows hk [K, N, in] → its output layers: a function from an output
   * layer's name to that layer's values over the pixels [K, N, H·W·C].
   */
  public static Function<String, Operand<TFloat32>> decode(Ops tf, Params p, String prefix,
      Operand<TFloat32> hk, int in, int k, int[] inputShape,
      UnaryOperator<Operand<TFloat32>> act) {
    int height = inputShape[0] / 4;
    int width = inputShape[1] / 4;
    var dense = act.apply(BatchedDense.apply(tf, p, prefix + "_reshape", hk, k, in,
        CompactConv.featureDim(inputShape)));
    Spec d = CompactConv.DECONV;
    var deconv = layer(tf, p, prefix + "_deconv1", k, d.kernel(), d.filters(), 64, d.filters());
    List<Operand<TFloat32>> images = new ArrayList<>();
    var shape = tf.constant(new int[] {-1, height, width, 64});
    var pairs = tf.unstack(dense, (long) k).output();
    for (int j = 0; j < k; j++) {
      images.add(act.apply(Conv2d.convolveTransposed(tf, tf.reshape(pairs.get(j), shape), height,
          width, deconv.kernels.get(j), deconv.biases.get(j), d)));
    }
    Spec o = CompactConv.output(inputShape);
    var rows = tf.constant(new int[] {-1, inputShape[0] * inputShape[1] * inputShape[2]});
    return name -> {
      var out = layer(tf, p, name, k, o.kernel(), o.filters(), d.filters(), o.filters());
      List<Operand<TFloat32>> y = new ArrayList<>();
      for (int j = 0; j < k; j++) {
        y.add(tf.reshape(Conv2d.convolveTransposed(tf, images.get(j), d.transposedOut(height),
            d.transposedOut(width), out.kernels.get(j), out.biases.get(j), o), rows));
      }
      return tf.stack(y);
    };
  }

  /** One layer's K kernels and biases, from its stacked variables. */
  private record Layer(List<Operand<TFloat32>> kernels, List<Operand<TFloat32>> biases) {}

  /**
   * {@code name}'s kernel [K, size, size, a, b] and bias [K, out]: out is a convolution's b, a
   * transposed convolution's a (its kernel is [size, size, out, in]).
   */
  private static Layer layer(Ops tf, Params p, String name, int k, int size, int a, int b,
      int out) {
    var kernel = p.get(name + "_kernel", Shape.of(k, size, size, a, b),
        Params.Init.GLOROT_UNIFORM, true);
    var bias = p.get(name + "_bias", Shape.of(k, out), Params.Init.ZEROS, true);
    return new Layer(new ArrayList<>(tf.unstack(kernel, (long) k).output()),
        new ArrayList<>(tf.unstack(bias, (long) k).output()));
  }
}
