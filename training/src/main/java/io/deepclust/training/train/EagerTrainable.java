package io.deepclust.training.train;

import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;

/** A training graph whose main objective (its last phase) can also run eagerly. */
interface EagerTrainable {
  /** The main phase's optimizer, whose slots eager training carries over. */
  AdamStep mainAdam();

  /** What a main-phase step at (epoch, t) feeds besides the weights. */
  StepInputs stepInputs(float[] pixels, int batch, int epoch, long t);
}
