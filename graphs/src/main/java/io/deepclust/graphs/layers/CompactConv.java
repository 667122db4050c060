package io.deepclust.graphs.layers;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.layers.Conv2d.Images;
import io.deepclust.graphs.layers.Conv2d.Spec;
import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The compact convolutional backbone (config {@code backbone: "conv"}): InfoGAN's MNIST networks
 * (Chen et al. 2016, appendix C) without batch norm and with ReLU. Encoder: two 4×4 convolutions
 * of stride 2, "same", with 32 and 64 filters (H×W×C → H/4×W/4×64), flattened. Decoder, the mirror:
 * a dense layer to H/4·W/4·64 features, reshaped, a 4×4 transposed convolution of stride 2 to 32
 * filters, then the model's output layer(s), a 4×4 transposed convolution of stride 2 to C
 * channels ({@link #OUTPUT}). For images whose height and width are multiples of 4 (28×28×1,
 * 32×32×3). Variables: {@code <prefix>_conv1}, {@code <prefix>_conv2} (encoder), {@code
 * <prefix>_reshape} (dense) and {@code <prefix>_deconv1} (decoder).
 */
public final class CompactConv {
  public static final List<Spec> ENCODER = List.of(new Spec(32, 4, 2, Conv2d.SAME),
      new Spec(64, 4, 2, Conv2d.SAME));
  public static final Spec DECONV = new Spec(32, 4, 2, Conv2d.SAME);

  private CompactConv() {}

  /** Why a shape cannot take the backbone, or null when it can. */
  public static String unsupported(int[] inputShape) {
    return inputShape[0] % 4 == 0 && inputShape[1] % 4 == 0 ? null
        : "the conv backbone needs a height and width that are multiples of 4, not "
            + inputShape[0] + "x" + inputShape[1];
  }

  /** The encoder's flattened feature count, H/4·W/4·64. */
  public static int featureDim(int[] inputShape) {
    return inputShape[0] / 4 * (inputShape[1] / 4) * 64;
  }

  /** The output layer's spec for images of {@code inputShape}: C channels, 4×4, stride 2. */
  public static Spec output(int[] inputShape) {
    return new Spec(inputShape[2], 4, 2, Conv2d.SAME);
  }

  /** Images [B, H, W, C] → features [B, {@link #featureDim}]. */
  public static Operand<TFloat32> encode(Ops tf, Params p, String prefix, Operand<TFloat32> images,
      int[] inputShape, UnaryOperator<Operand<TFloat32>> act) {
    var h = Conv2d.stack(tf, p, prefix + "_conv",
        new Images(images, inputShape[0], inputShape[1], inputShape[2]), ENCODER, act);
    return tf.reshape(h.x(), tf.constant(new int[] {-1, featureDim(inputShape)}));
  }

  /**
   * Rows h [N, in] → the decoder's last hidden images [N, H/2, W/2, 32], ready for the output
   * layer ({@link #output}).
   */
  public static Images decode(Ops tf, Params p, String prefix, Operand<TFloat32> h, int in,
      int[] inputShape, UnaryOperator<Operand<TFloat32>> act) {
    int height = inputShape[0] / 4;
    int width = inputShape[1] / 4;
    var dense = act.apply(Dense.apply(tf, p, prefix + "_reshape", h, in,
        featureDim(inputShape)));
    var images = new Images(tf.reshape(dense, tf.constant(new int[] {-1, height, width, 64})),
        height, width, 64);
    return Conv2d.transposedStack(tf, p, prefix + "_deconv", images, List.of(DECONV), act);
  }

  /** The output layer {@code name} on the decoder's images: [N, H, W, C]. */
  public static Operand<TFloat32> outputLayer(Ops tf, Params p, String name, Images h,
      int[] inputShape) {
    return Conv2d.applyTransposed(tf, p, name, h.x(), h.height(), h.width(), h.channels(),
        output(inputShape));
  }
}
