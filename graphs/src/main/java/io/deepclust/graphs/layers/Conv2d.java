package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * 2-D convolutions and transposed convolutions over NHWC images, with variables {@code
 * name_kernel} (Glorot uniform, receptive field counted in the fans) and {@code name_bias} (zero).
 */
public final class Conv2d {
  public static final String VALID = "valid";
  public static final String SAME = "same";

  private Conv2d() {}

  /** One convolution or transposed convolution: filters, square kernel size, stride, padding. */
  public record Spec(int filters, int kernel, int stride, String padding) {
    public Spec {
      if (filters < 1 || kernel < 1 || stride < 1) {
        throw new IllegalArgumentException("conv filters, kernel and stride must be positive");
      }
      if (!VALID.equals(padding) && !SAME.equals(padding)) {
        throw new IllegalArgumentException(
            "conv padding must be \"valid\" or \"same\", not \"" + padding + "\"");
      }
    }

    /** Output size of a convolution over {@code in}: SAME ⌈in / s⌉, VALID ⌊(in − k) / s⌋ + 1. */
    public int convOut(int in) {
      return SAME.equals(padding) ? (in + stride - 1) / stride : (in - kernel) / stride + 1;
    }

    /** Output size of a transposed convolution over {@code in}: SAME in·s, VALID (in − 1)·s + k. */
    public int transposedOut(int in) {
      return SAME.equals(padding) ? in * stride : (in - 1) * stride + kernel;
    }

    String tfPadding() {
      return padding.toUpperCase(java.util.Locale.ROOT);
    }
  }

  /** x [B, H, W, in] → conv(x, W [k, k, in, out]) + b [B, H', W', out]. */
  public static Operand<TFloat32> apply(Ops tf, Params params, String name, Operand<TFloat32> x,
      int in, Spec s) {
    var kernel = params.get(name + "_kernel", Shape.of(s.kernel(), s.kernel(), in, s.filters()),
        Params.Init.GLOROT_UNIFORM, true);
    var bias = params.get(name + "_bias", Shape.of(s.filters()), Params.Init.ZEROS, true);
    return convolve(tf, x, kernel, bias, s);
  }

  /** {@link #apply} with a given kernel [k, k, in, out] and bias [out]. */
  public static Operand<TFloat32> convolve(Ops tf, Operand<TFloat32> x, Operand<TFloat32> kernel,
      Operand<TFloat32> bias, Spec s) {
    var y = tf.nn.conv2d(x, kernel, List.of(1L, (long) s.stride(), (long) s.stride(), 1L),
        s.tfPadding());
    return tf.nn.biasAdd(y, bias);
  }

  /**
   * x [B, h, w, in] → the transposed convolution with W [k, k, out, in] (TensorFlow's {@code
   * conv2d_transpose} layout) + b, [B, h', w', out] with h' = {@link Spec#transposedOut}(h).
   */
  public static Operand<TFloat32> applyTransposed(Ops tf, Params params, String name,
      Operand<TFloat32> x, int h, int w, int in, Spec s) {
    var kernel = params.get(name + "_kernel", Shape.of(s.kernel(), s.kernel(), s.filters(), in),
        Params.Init.GLOROT_UNIFORM, true);
    var bias = params.get(name + "_bias", Shape.of(s.filters()), Params.Init.ZEROS, true);
    return convolveTransposed(tf, x, h, w, kernel, bias, s);
  }

  /** {@link #applyTransposed} with a given kernel [k, k, out, in] and bias [out]. */
  public static Operand<TFloat32> convolveTransposed(Ops tf, Operand<TFloat32> x, int h, int w,
      Operand<TFloat32> kernel, Operand<TFloat32> bias, Spec s) {
    MissingGradients.conv2dBackpropInput();
    // The batch size comes from the input, so the op works for any batch.
    var batch = tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var outShape = tf.concat(List.of(batch, tf.constant(
        new int[] {s.transposedOut(h), s.transposedOut(w), s.filters()})), tf.constant(0));
    var y = tf.nn.conv2dBackpropInput(outShape, kernel, x,
        List.of(1L, (long) s.stride(), (long) s.stride(), 1L), s.tfPadding());
    return tf.nn.biasAdd(y, bias);
  }

  /** Images [B, H, W, C] (H, W, C known), as a stack of layers reads and writes them. */
  public record Images(Operand<TFloat32> x, int height, int width, int channels) {}

  /**
   * x through one convolution per spec, named {@code prefix1} … {@code prefixN}, each followed by
   * {@code act} (a convolutional encoder's trunk).
   */
  public static Images stack(Ops tf, Params params, String prefix, Images x, List<Spec> specs,
      UnaryOperator<Operand<TFloat32>> act) {
    Images h = x;
    for (int i = 0; i < specs.size(); i++) {
      Spec s = specs.get(i);
      h = new Images(act.apply(apply(tf, params, prefix + (i + 1), h.x(), h.channels(), s)),
          s.convOut(h.height()), s.convOut(h.width()), s.filters());
    }
    return h;
  }

  /** {@link #stack} with transposed convolutions (a convolutional decoder's upsampling). */
  public static Images transposedStack(Ops tf, Params params, String prefix, Images x,
      List<Spec> specs, UnaryOperator<Operand<TFloat32>> act) {
    Images h = x;
    for (int i = 0; i < specs.size(); i++) {
      Spec s = specs.get(i);
      h = new Images(act.apply(applyTransposed(tf, params, prefix + (i + 1), h.x(), h.height(),
          h.width(), h.channels(), s)), s.transposedOut(h.height()), s.transposedOut(h.width()),
          s.filters());
    }
    return h;
  }
}
