package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A stack of hidden layers, one per width of a config's list, named {@code prefix_1} …
 * {@code prefix_n}: every MLP encoder and decoder of the models is one (their output heads are
 * separate layers). The kind of layer is a parameter: {@link #denseRelu}, {@link
 * #batchedDenseRelu} (k-DVAE's K networks at once) or a model's own (GMVAE-Gumbel's dense → batch
 * norm → ReLU).
 */
public final class Mlp {
  private Mlp() {}

  /** One hidden layer named {@code name} taking x [..., in] to [..., out]. */
  @FunctionalInterface
  public interface Layer {
    Operand<TFloat32> apply(String name, Operand<TFloat32> x, int in, int out);
  }

  /** x [..., in] through {@code layer} once per width: [..., widths[n − 1]] (x itself if none). */
  public static Operand<TFloat32> apply(String prefix, Operand<TFloat32> x, int in, int[] widths,
      Layer layer) {
    Operand<TFloat32> h = x;
    int from = in;
    for (int i = 0; i < widths.length; i++) {
      h = layer.apply(prefix + "_" + (i + 1), h, from, widths[i]);
      from = widths[i];
    }
    return h;
  }

  /** The width of {@link #apply}'s output: the last of {@code widths}, or {@code in}. */
  public static int outWidth(int in, int[] widths) {
    return widths.length == 0 ? in : widths[widths.length - 1];
  }

  /** ReLU(x·W + b) ({@link Dense}). */
  public static Layer denseRelu(Ops tf, Params p) {
    return (name, x, in, out) -> tf.nn.relu(Dense.apply(tf, p, name, x, in, out));
  }

  /** ReLU of K dense layers at once, x [K, B, in] ({@link BatchedDense}). */
  public static Layer batchedDenseRelu(Ops tf, Params p, int k) {
    return (name, x, in, out) -> tf.nn.relu(BatchedDense.apply(tf, p, name, x, k, in, out));
  }
}
