package io.deepclust.training.train;

import java.util.Map;

/**
 * Acts after each finished training epoch, around {@link Trainer}'s loop (as DJL's
 * TrainingListener): the run's metrics line, its checkpoint policy and the console line are
 * listeners ({@link TrainingListeners}); a caller adds its own with {@link
 * Trainer#addListener}. Listeners run in the order added, the standard three first.
 */
@FunctionalInterface
public interface TrainingListener {
  /**
   * What one finished epoch measured.
   *
   * @param phaseIndex the phase's place in the model's phases (from 0)
   * @param phaseEpoch the epoch within the phase (from 0)
   * @param overallEpoch the epoch over all phases (from 1), metrics.jsonl's {@code epoch}
   * @param step optimizer steps of this phase so far
   * @param runStep optimizer steps of the run so far (checkpoints are named by it)
   * @param terms each loss term's mean over the epoch's batches, in the phase's order
   * @param scores ACC, NMI, ARI per evaluation set (empty when the phase does not evaluate)
   * @param extra the model's own metrics per evaluation set ({@code <set>_<name>})
   * @param trainSeconds the optimizer steps' time; {@code seconds} adds the evaluation
   * @param stopping whether a stop was requested (the loop ends after the listeners)
   */
  record Epoch(Phase phase, int phaseIndex, int phaseEpoch, int overallEpoch, int epochsTotal,
      long step, long runStep, Map<String, Double> terms, double learningRate,
      Map<String, double[]> scores, Map<String, Double> extra, double trainSeconds,
      double seconds, boolean lastPhase, boolean stopping) {
    /** Whether this is the phase's last epoch. */
    public boolean phaseEnds() {
      return phaseEpoch + 1 == phase.epochs();
    }
  }

  void onEpoch(Epoch epoch);
}
