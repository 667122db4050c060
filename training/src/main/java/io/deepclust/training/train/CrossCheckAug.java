package io.deepclust.training.train;

import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.Map;

/**
 * The cross-check's augmented batches for a model with the augmentation loss: the reference's
 * fixed x̂ of the forward batch ({@code in__x_aug}) and of the training steps' batches ({@code
 * in__x_train_aug}), and its λ_aug (manifest {@code aug_weight}). Before {@link #read} (outside a
 * cross-check) x̂ is the batch itself.
 */
final class CrossCheckAug {
  private float weight = 1f;
  private float[] xAug;
  private float[] xTrainAug;

  /** Reads the reference's inputs; {@code model} names it in an error. */
  void read(JsonObject manifest, Map<String, float[]> inputs, String model) {
    weight = manifest.get("aug_weight").getAsFloat();
    xAug = require(inputs, "x_aug", model);
    xTrainAug = require(inputs, "x_train_aug", model);
  }

  /** λ_aug of the cross-check. */
  float weight() {
    return weight;
  }

  /** x̂ of the forward batch, or null before {@link #read}. */
  float[] forward() {
    return xAug;
  }

  /** x̂ of training step t (from 1) whose batch is {@code pixels}. */
  float[] step(float[] pixels, long t) {
    if (xTrainAug == null) {
      return pixels;
    }
    int n = pixels.length;
    return Arrays.copyOfRange(xTrainAug, (int) ((t - 1) * n), (int) (t * n));
  }

  private static float[] require(Map<String, float[]> inputs, String name, String model) {
    float[] v = inputs.get(name);
    if (v == null) {
      throw new IllegalArgumentException("the " + model + " reference has no tensor 'in__" + name
          + "'");
    }
    return v;
  }
}
