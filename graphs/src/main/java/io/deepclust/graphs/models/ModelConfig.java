package io.deepclust.graphs.models;

import io.deepclust.graphs.layers.Backbone;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** What every model's config record states: the image shape and the seed of every random draw. */
public interface ModelConfig {
  int[] inputShape();

  long seed();

  /** Adam's ε of the model's training. */
  float adamEpsilon();

  /**
   * The encoder's and decoder's image end ({@link Backbone#KINDS}); configs with a {@code backbone}
   * key override this, the others have the paper's dense nets.
   */
  default String backbone() {
    return Backbone.MLP;
  }

  /**
   * The augmentation loss ({@link io.deepclust.graphs.dist.AugmentationLoss#NONE} or {@code W2});
   * configs with an {@code aug} key override this.
   */
  default String aug() {
    return io.deepclust.graphs.dist.AugmentationLoss.NONE;
  }

  /** Whether the loss has the augmentation term ({@link #aug()} = w2). */
  default boolean augmented() {
    return io.deepclust.graphs.dist.AugmentationLoss.W2.equals(aug());
  }

  /** The {@link Backbone} of this config's {@link #backbone()} and image shape. */
  default Backbone backboneLayers() {
    return new Backbone(backbone(), inputShape());
  }

  /** Pixels per image, H·W·C. */
  default int inputDim() {
    int[] s = inputShape();
    return s[0] * s[1] * s[2];
  }

  /** A placeholder named {@code name} for a batch of images [-1, H, W, C] of this config. */
  static Placeholder<TFloat32> imageInput(Ops tf, ModelConfig c, String name) {
    int[] s = c.inputShape();
    return tf.withName(name)
        .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, s[0], s[1], s[2])));
  }

  /** Images [B, H, W, C] as rows [B, H·W·C]. */
  static Operand<TFloat32> flatten(Ops tf, ModelConfig c, Operand<TFloat32> images) {
    return tf.reshape(images, tf.constant(new int[] {-1, c.inputDim()}));
  }

  /** Rows [B, H·W·C] as images [B, H, W, C]. */
  static Operand<TFloat32> toImage(Ops tf, ModelConfig c, Operand<TFloat32> rows) {
    int[] s = c.inputShape();
    return tf.reshape(rows, tf.constant(new int[] {-1, s[0], s[1], s[2]}));
  }
}
