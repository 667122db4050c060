package io.deepclust.graphs.models;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The inference outputs every model's graph provides (the contract's x → outputs signatures). */
public interface ClusterInference {
  /** q(k|x) [B, K], rows summing to 1. */
  Operand<TFloat32> probs();

  /** The assigned cluster [B]. */
  Operand<TInt64> cluster();

  /** The posterior mean of z (under the assigned cluster where z depends on it) [B, Z]. */
  Operand<TFloat32> embedding();

  /** The mean of p(x|z) at the posterior mean, as images [B, H, W, C]. */
  Operand<TFloat32> reconstruction();
}
