package io.deepclust.training.train;

import io.deepclust.training.data.Dataset;
import java.util.List;

/**
 * One phase of a model's training (e.g. autoencoder pretraining, then the joint ELBO): a number of
 * epochs of optimizer steps with its own variables, optimizer state and learning-rate schedule.
 */
public interface Phase {
  /** Short name, written to metrics.jsonl ("train", "pretrain", "joint", ...). */
  String name();

  int epochs();

  int batchSize();

  /** Names of the values {@link #step} returns, the first being the loss. */
  List<String> termNames();

  /** Learning rate at epoch e (from 0) of this phase (its value after any warm-up). */
  float learningRate(int epoch);

  /** Learning rate of step t (from 1) in epoch e: {@link #learningRate(int)} unless warming up. */
  default float learningRate(int epoch, long t) {
    return learningRate(epoch);
  }

  /**
   * Called once when the phase starts at its epoch 0 (not when resuming inside it): e.g. fitting
   * a mixture on the embeddings that pretraining produced.
   */
  default void begin(Dataset train, java.io.PrintStream out) {}

  /** Called instead of {@link #begin} when a run resumes inside this phase. */
  default void resume(Dataset train, java.io.PrintStream out) {}

  /**
   * Called when the phase would start at its epoch 0, before {@link #begin}: true when it took its
   * result from elsewhere (e.g. a cached pretrained autoencoder), so its epochs are skipped and
   * training goes on with the next phase.
   */
  default boolean restore(Dataset train, java.io.PrintStream out) {
    return false;
  }

  /**
   * Called after the phase's last epoch and its checkpoint (e.g. to cache its result); a run
   * stopped in between resumes at the next phase without calling it.
   */
  default void end(Dataset train, java.io.PrintStream out) {}

  /**
   * What {@link #begin} measured (e.g. every restart of an initialisation), written to the run
   * directory as {@code <phase>-start.json}; null when there is nothing.
   */
  default com.google.gson.JsonObject startReport() {
    return null;
  }

  /**
   * Called after each epoch, before its evaluation (when the phase evaluates): e.g. fitting a
   * clustering of the training set's codes that the evaluation then uses.
   */
  default void beforeEvaluation(Dataset train, int epoch, java.io.PrintStream out) {}

  /** Hard assignments for the evaluation after an epoch: the model's, unless a phase trains another. */
  default int[] assign(TrainingModel model, Dataset data) {
    return model.assign(data);
  }

  /**
   * Called before a checkpoint of the session is saved during or at the end of this phase: a phase
   * that trains outside the session (eager mode) copies its weights and optimizer state back.
   */
  default void beforeCheckpoint() {}

  /** Whether test-split metrics are computed after each epoch of this phase. */
  default boolean evaluates() {
    return true;
  }

  /**
   * One optimizer step on a batch (NHWC images flattened; {@code indices} are the images' rows in
   * the training set) at step t of this phase (from 1); returns the values named by {@link
   * #termNames}, computed before the update.
   */
  float[] step(float[] pixels, int[] indices, int epoch, long t);
}
