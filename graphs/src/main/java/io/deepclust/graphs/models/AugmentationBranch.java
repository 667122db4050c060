package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * A training branch's augmentation loss where the config has it ({@code aug} = w2; docs/models.md,
 * "The augmentation loss"): x̂ and λ_aug, both fed ({@link TrainingBranch#X_AUG}, {@link
 * TrainingBranch#AUG_WEIGHT}), and the loss's two terms.
 */
public record AugmentationBranch(Placeholder<TFloat32> xAug, Placeholder<TFloat32> weight,
    AugmentationLoss loss) {
  /** The terms' names, in every model that has the loss (written here only). */
  public static final String L2 = "aug_l2";
  public static final String W2 = "aug_w2";

  /** The placeholder of x̂, images of config {@code c}. */
  public static Placeholder<TFloat32> augmentedInput(Ops tf, ModelConfig c) {
    return ModelConfig.imageInput(tf, c, TrainingBranch.X_AUG);
  }

  /** The branch of x̂ (from {@link #augmentedInput}) and {@code loss}; λ_aug's placeholder. */
  public static AugmentationBranch of(Ops tf, Placeholder<TFloat32> xAug, AugmentationLoss loss) {
    return new AugmentationBranch(xAug, tf.withName(TrainingBranch.AUG_WEIGHT)
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar())), loss);
  }

  /** loss + λ_aug·(aug_l2 + aug_w2). */
  public Operand<TFloat32> addTo(Ops tf, Operand<TFloat32> loss) {
    return tf.math.add(loss, tf.math.mul(weight, tf.math.add(this.loss.l2(), this.loss.w2())));
  }

  /** Adds x̂ and λ_aug to a branch's inputs. */
  public void addInputs(Map<String, Operand<?>> inputs) {
    inputs.put(TrainingBranch.X_AUG, xAug);
    inputs.put(TrainingBranch.AUG_WEIGHT, weight);
  }

  /** Adds {@code aug_l2} and {@code aug_w2} to a branch's terms. */
  public void addTerms(Map<String, Operand<TFloat32>> terms) {
    terms.put(L2, loss.l2());
    terms.put(W2, loss.w2());
  }
}
