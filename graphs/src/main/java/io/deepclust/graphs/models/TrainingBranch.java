package io.deepclust.graphs.models;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * A model's training branch as a trainer sees it: what a step feeds and what it fetches, each by
 * name. Every model's {@code Training} record implements it, so that its loss-term names are
 * written once, there, and the session trainer, the eager step and the cross-check read them.
 */
public interface TrainingBranch {
  /** Feed name of the images. */
  String X = "x";
  /** Feed name of the [seed, step] pair of the stateless noise. */
  String NOISE_SEED = "noise_seed";
  /** Feed name of the Gumbel temperature (models with a relaxed discrete latent). */
  String TEMPERATURE = "temperature";
  /** Feed name of the augmented images (models with the augmentation loss). */
  String X_AUG = "x_aug";
  /** Feed name of λ_recons. */
  String RECONS_SCALE = "recons_scale";
  /** Feed name of the augmentation loss's weight. */
  String AUG_WEIGHT = "aug_weight";
  /** Name of the objective a step minimises, the first of {@link #terms()}. */
  String LOSS = "loss";

  /** The placeholders a step feeds, by feed name, {@link #X} first. */
  Map<String, Operand<?>> inputs();

  /** The scalars a step fetches and logs, by name: {@link #LOSS} first, then its terms. */
  Map<String, Operand<TFloat32>> terms();

  /** An ordered map of alternating names and values; a name given twice is an error. */
  @SuppressWarnings("unchecked")
  static <T> Map<String, T> named(Object... namesAndValues) {
    Map<String, T> out = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      String name = (String) namesAndValues[i];
      if (out.putIfAbsent(name, (T) namesAndValues[i + 1]) != null) {
        throw new IllegalArgumentException("'" + name + "' named twice");
      }
    }
    return out;
  }
}
