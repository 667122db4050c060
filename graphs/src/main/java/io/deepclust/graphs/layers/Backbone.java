package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The image end of every model's encoder and decoder, chosen by a config's {@code backbone} key
 * (issue 20): what turns an image into the rows the model's dense layers read, and the model's
 * last hidden rows into its output layer(s) over the pixels.
 *
 * <ul>
 *   <li>{@value #MLP} (every paper's own, the default): the flattened pixels are the rows, and
 *       each output layer is a dense layer to H·W·C;
 *   <li>{@value #CONV}: {@link CompactConv}'s convolutions before the encoder's dense layers
 *       ({@code <prefix>_conv1}, {@code _conv2}) and, after the decoder's, its dense reshape
 *       ({@code <prefix>_reshape}), transposed convolution ({@code <prefix>_deconv1}) and a
 *       transposed-convolution output layer per output.
 * </ul>
 *
 * <p>A model composes it in three calls: {@link #unsupported} in its config's check, {@link
 * #encode} before its encoder's dense layers and {@link #decode} after its decoder's; the Python
 * twin's {@code layers.backbone_encode} / {@code backbone_decode} mirror them. A new backbone is
 * one more case here and there (and its layers).
 *
 * @param kind {@value #MLP} or {@value #CONV}
 * @param inputShape H, W, C of an image
 */
public record Backbone(String kind, int[] inputShape) {
  public static final String MLP = "mlp";
  public static final String CONV = "conv";
  public static final List<String> KINDS = List.of(MLP, CONV);

  /** The encoder's rows [B, width] ({@link #encode}). */
  public record Rows(Operand<TFloat32> rows, int width) {}

  /** A layer's name and its kernel's shape (its bias is [last dim of the kernel's output]). */
  public record LayerShape(String name, long[] kernel, long bias) {}

  /**
   * The encoder end's layers, in creation order, for a model that creates its variables before
   * it builds the graph (VaDE): none for {@value #MLP}; the conv kernels [k, k, in, out].
   */
  public List<LayerShape> encoderLayers(String prefix) {
    List<LayerShape> out = new ArrayList<>();
    if (conv()) {
      long in = inputShape[2];
      for (int i = 0; i < CompactConv.ENCODER.size(); i++) {
        var s = CompactConv.ENCODER.get(i);
        out.add(new LayerShape(prefix + "_conv" + (i + 1),
            new long[] {s.kernel(), s.kernel(), in, s.filters()}, s.filters()));
        in = s.filters();
      }
    }
    return out;
  }

  /**
   * The decoder end's layers after a last hidden width {@code in}, in creation order, ending with
   * the {@code outputs}: a dense [in, H·W·C] each for {@value #MLP}; the conv net's reshape,
   * transposed convolution [k, k, out, in] and transposed-convolution outputs for {@value #CONV}.
   */
  public List<LayerShape> decoderLayers(String prefix, int in, List<String> outputs) {
    List<LayerShape> out = new ArrayList<>();
    if (!conv()) {
      for (String name : outputs) {
        out.add(new LayerShape(name, new long[] {in, inputDim()}, inputDim()));
      }
      return out;
    }
    int features = CompactConv.featureDim(inputShape);
    out.add(new LayerShape(prefix + "_reshape", new long[] {in, features}, features));
    var d = CompactConv.DECONV;
    out.add(new LayerShape(prefix + "_deconv1", new long[] {d.kernel(), d.kernel(), d.filters(),
        CompactConv.ENCODER.get(CompactConv.ENCODER.size() - 1).filters()}, d.filters()));
    var o = CompactConv.output(inputShape);
    for (String name : outputs) {
      out.add(new LayerShape(name, new long[] {o.kernel(), o.kernel(), o.filters(), d.filters()},
          o.filters()));
    }
    return out;
  }

  /** Why a config cannot take {@code kind} for images of {@code inputShape}, or null. */
  public static String unsupported(String kind, int[] inputShape) {
    if (!KINDS.contains(kind)) {
      return "backbone must be one of " + KINDS + ", not " + kind;
    }
    return CONV.equals(kind) ? CompactConv.unsupported(inputShape) : null;
  }

  /** Whether this is {@link CompactConv}'s backbone. */
  public boolean conv() {
    return CONV.equals(kind);
  }

  private int inputDim() {
    return inputShape[0] * inputShape[1] * inputShape[2];
  }

  /** The width of {@link #encode}'s rows: H·W·C, or the conv features' H/4·W/4·64. */
  public int encodedWidth() {
    return conv() ? CompactConv.featureDim(inputShape) : inputDim();
  }

  /** Rows of pixels [B, H·W·C] → the encoder's rows: the pixels, or the conv features. */
  public Rows encode(Ops tf, Params p, String prefix, Operand<TFloat32> flat,
      UnaryOperator<Operand<TFloat32>> act) {
    if (!conv()) {
      return new Rows(flat, encodedWidth());
    }
    var images = tf.reshape(flat,
        tf.constant(new int[] {-1, inputShape[0], inputShape[1], inputShape[2]}));
    return new Rows(CompactConv.encode(tf, p, prefix, images, inputShape, act), encodedWidth());
  }

  /**
   * {@link #encode} for K independent pairs at once (k-DVAE): rows xk [K, B, H·W·C] → [K, B,
   * width], {@link BatchedConv}'s K conv nets for {@value #CONV}.
   */
  public Rows encodeBatched(Ops tf, Params p, String prefix, Operand<TFloat32> xk, int k,
      UnaryOperator<Operand<TFloat32>> act) {
    return conv() ? new Rows(BatchedConv.encode(tf, p, prefix, xk, k, inputShape, act),
        encodedWidth()) : new Rows(xk, encodedWidth());
  }

  /**
   * {@link #decode} for K independent pairs at once: hk [K, N, in] → name → [K, N, H·W·C], a
   * {@link BatchedDense} per output for {@value #MLP}.
   */
  public Function<String, Operand<TFloat32>> decodeBatched(Ops tf, Params p, String prefix,
      Operand<TFloat32> hk, int in, int k, UnaryOperator<Operand<TFloat32>> act) {
    if (conv()) {
      return BatchedConv.decode(tf, p, prefix, hk, in, k, inputShape, act);
    }
    return name -> BatchedDense.apply(tf, p, name, hk, k, in, inputDim());
  }

  /**
   * The decoder's last hidden rows h [N, in] → its output layers: a function from an output
   * layer's name to that layer's values over the pixels [N, H·W·C] (logits, a mean, ...). The
   * conv backbone's hidden layers are made once, however many outputs are asked for.
   */
  public Function<String, Operand<TFloat32>> decode(Ops tf, Params p, String prefix,
      Operand<TFloat32> h, int in, UnaryOperator<Operand<TFloat32>> act) {
    if (!conv()) {
      return name -> Dense.apply(tf, p, name, h, in, inputDim());
    }
    var images = CompactConv.decode(tf, p, prefix, h, in, inputShape, act);
    var rows = tf.constant(new int[] {-1, inputDim()});
    return name -> tf.reshape(CompactConv.outputLayer(tf, p, name, images, inputShape), rows);
  }
}
