package io.deepclust.training.train;

import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;

/** A training graph whose phases can also run eagerly ({@link EagerTraining}). */
interface EagerTrainable {
  /** The optimizer of phase {@code phase}, whose slots eager training carries over. */
  AdamStep adamOf(String phase);

  /** What a step of {@code phase} at (epoch, t) feeds besides the weights. */
  StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t);
}
