package io.deepclust.graphs.models;

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

  /** A placeholder named {@code name} for a batch of images [-1, H, W, C] of this config. */
  static Placeholder<TFloat32> imageInput(Ops tf, ModelConfig c, String name) {
    int[] s = c.inputShape();
    return tf.withName(name)
        .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, s[0], s[1], s[2])));
  }
}
