package io.deepclust.graphs.dist;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The augmentation loss of variational-clustering-w2 (Eq. 14, 17): images x and their augmented
 * copies x̂ should get the same cluster posterior and the same Gaussian posteriors,
 * L_aug = Σ_k (q(k|x) − q(k|x̂))² + Σ_k q(k|x) W₂(q(z|x, k), q(z|x̂, k)), each a batch mean.
 */
public record AugmentationLoss(Operand<TFloat32> l2, Operand<TFloat32> w2) {
  /** A config's {@code aug}: no augmentation loss. */
  public static final String NONE = "none";
  /** A config's {@code aug}: L2 on the cluster posteriors + the 2-Wasserstein term (Eq. 14, 17). */
  public static final String W2 = "w2";
  /**
   * The augmentations of the paper (§V-A), made on each training batch in Java: {@code rotation}
   * ±3° (MNIST), {@code brightness_binarise} (Fashion-MNIST), {@code affine_flip} (32×32×3).
   */
  public static final List<String> TRANSFORMS =
      List.of("none", "rotation", "brightness_binarise", "affine_flip");
  /** λ_aug: 0.01, 0.5 from epoch 40, 1 from epoch 80 (§V), as {@code [v0, e1, v1, ...]}. */
  public static final float[] WEIGHT = {0.01f, 40, 0.5f, 80, 1f};

  /** The paper's augmentation of images of {@code shape} from {@code dataset} (§V-A). */
  public static String transformFor(int[] shape, String dataset) {
    if (shape[2] == 3) {
      return "affine_flip";
    }
    return dataset != null && dataset.startsWith("fashion") ? "brightness_binarise" : "rotation";
  }

  /** λ_aug at {@code epoch} of {@link #WEIGHT}. */
  public static float weightAt(int epoch) {
    float v = WEIGHT[0];
    for (int i = 1; i + 1 < WEIGHT.length; i += 2) {
      if (epoch >= WEIGHT[i]) {
        v = WEIGHT[i + 1];
      }
    }
    return v;
  }

  /** Why a config's {@code aug} and {@code augmentation} are wrong, or null. */
  public static String unsupported(String aug, String augmentation) {
    if (!NONE.equals(aug) && !W2.equals(aug)) {
      return "aug must be none or w2, not " + aug;
    }
    return TRANSFORMS.contains(augmentation) ? null
        : "augmentation must be one of " + TRANSFORMS + ", not " + augmentation;
  }

  /**
   * The Bernoulli analogue (VAB, whose code is binary): cluster posteriors [B, K] and code
   * probabilities μ [B, d] of x and of x̂; l2 as above and w2 = mean_b Σ_j |μ_j − μ̂_j|, the
   * squared 2-Wasserstein distance between the factorised Bernoulli codes (between Bernoulli(p) and
   * Bernoulli(p') it is |p − p'|, the mass moved by a distance 1, and it adds over independent
   * bits).
   */
  public static AugmentationLoss bernoulli(Ops tf, Operand<TFloat32> probs, Operand<TFloat32> mu,
      Operand<TFloat32> probsAug, Operand<TFloat32> muAug) {
    var zero = tf.constant(0);
    var one = tf.constant(1);
    var l2 = tf.math.mean(tf.reduceSum(tf.math.squaredDifference(probs, probsAug), one), zero);
    return new AugmentationLoss(l2,
        tf.math.mean(tf.reduceSum(tf.math.abs(tf.math.sub(mu, muAug)), one), zero));
  }

  /**
   * The two terms for one Gaussian posterior per image (a model whose q(z|x) does not depend on
   * the cluster): cluster posteriors [B, K], Gaussian mean and σ [B, Z] of x and of x̂;
   * w2 = mean_b W₂(q(z|x), q(z|x̂)).
   */
  public static AugmentationLoss single(Ops tf, Operand<TFloat32> probs, Operand<TFloat32> mean,
      Operand<TFloat32> sd, Operand<TFloat32> probsAug, Operand<TFloat32> meanAug,
      Operand<TFloat32> sdAug) {
    var zero = tf.constant(0);
    var l2 = tf.math.mean(tf.reduceSum(tf.math.squaredDifference(probs, probsAug),
        tf.constant(1)), zero);
    return new AugmentationLoss(l2,
        tf.math.mean(DiagonalGaussian.wasserstein2(tf, mean, sd, meanAug, sdAug), zero));
  }

  /**
   * The two terms for cluster posteriors [B, K] and per-cluster Gaussian posteriors (mean, σ)
   * [B, K, Z] of x and of x̂. The x side may be a stopGradient target (the caller's choice).
   */
  public static AugmentationLoss perCluster(Ops tf, Operand<TFloat32> probs,
      Operand<TFloat32> mean, Operand<TFloat32> sd, Operand<TFloat32> probsAug,
      Operand<TFloat32> meanAug, Operand<TFloat32> sdAug) {
    var zero = tf.constant(0);
    var one = tf.constant(1);
    var l2 = tf.math.mean(tf.reduceSum(tf.math.squaredDifference(probs, probsAug), one), zero);
    var w2 = DiagonalGaussian.wasserstein2(tf, mean, sd, meanAug, sdAug);
    return new AugmentationLoss(l2,
        tf.math.mean(tf.reduceSum(tf.math.mul(probs, w2), one), zero));
  }
}
