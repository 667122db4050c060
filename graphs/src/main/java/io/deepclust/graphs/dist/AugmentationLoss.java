package io.deepclust.graphs.dist;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The augmentation loss of variational-clustering-w2 (Eq. 14, 17): images x and their augmented
 * copies x̂ should get the same cluster posterior and the same Gaussian posteriors,
 * L_aug = Σ_k (q(k|x) − q(k|x̂))² + Σ_k q(k|x) W₂(q(z|x, k), q(z|x̂, k)), each a batch mean.
 */
public record AugmentationLoss(Operand<TFloat32> l2, Operand<TFloat32> w2) {

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
