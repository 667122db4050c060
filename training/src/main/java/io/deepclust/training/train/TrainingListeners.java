package io.deepclust.training.train;

import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;

/** The listeners every training run has: metrics line, checkpoint policy, console line. */
final class TrainingListeners {
  private TrainingListeners() {}

  /** One metrics.jsonl line per epoch: phase, epochs, step, terms, rate, scores, seconds. */
  static TrainingListener metricsLine(RunDirectory run) {
    return e -> {
      JsonObject line = new JsonObject();
      line.addProperty("phase", e.phase().name());
      line.addProperty("epoch", e.overallEpoch());
      line.addProperty("phase_epoch", e.phaseEpoch() + 1);
      line.addProperty("step", e.step());
      e.terms().forEach(line::addProperty);
      line.addProperty("learning_rate", e.learningRate());
      e.scores().forEach((set, v) -> {
        line.addProperty(set + "_acc", v[0]);
        line.addProperty(set + "_nmi", v[1]);
        line.addProperty(set + "_ari", v[2]);
      });
      e.extra().forEach(line::addProperty);
      line.addProperty("train_seconds", e.trainSeconds());
      line.addProperty("seconds", e.seconds());
      run.appendMetrics(line);
    };
  }

  /** The console's line per epoch: terms, scores, seconds and the ETA of the whole run. */
  static TrainingListener consoleLine(PrintStream out) {
    return e -> {
      StringBuilder line = new StringBuilder(String.format("%s %d/%d", e.phase().name(),
          e.phaseEpoch() + 1, e.phase().epochs()));
      e.terms().forEach((name, v) -> line.append(String.format(" %s %.4g", name, v)));
      e.scores().forEach((set, v) -> line.append(String.format("  %s ACC %.4f NMI %.4f ARI %.4f",
          set, v[0], v[1], v[2])));
      e.extra().forEach((name, v) -> line.append(String.format("  %s %.2f", name, v)));
      int left = e.epochsTotal() - e.overallEpoch();
      out.printf("%s  %.1fs  ETA %s%n", line, e.seconds(), Trainer.eta(left * e.seconds()));
    };
  }

  /**
   * The checkpoint policy: a checkpoint every {@code every} epochs (counted over the run), at the
   * end of every phase and when a stop was requested; the newest {@code keep} are kept. At a
   * phase's end the checkpoint says the next phase starts (so a resume runs its begin, e.g. the
   * GMM fit, and not this one's resume).
   */
  static final class Checkpoints implements TrainingListener {
    private final RunDirectory run;
    private final TrainingModel model;
    private final int every;
    private final int keep;
    private Path lastSaved;

    Checkpoints(RunDirectory run, TrainingModel model, int every, int keep) {
      this.run = run;
      this.model = model;
      this.every = every;
      this.keep = keep;
    }

    @Override
    public void onEpoch(TrainingListener.Epoch e) {
      if (!(e.phaseEnds() || e.stopping() || e.overallEpoch() % every == 0)) {
        return;
      }
      int p = e.phaseIndex();
      save(e.phase(), e.runStep(), e.phaseEnds() && !e.lastPhase()
          ? new RunDirectory.State(p + 1, 0, 0)
          : new RunDirectory.State(p, e.phaseEpoch() + 1, e.step()));
    }

    /** Saves the model at {@code runStep} as {@code state} (inside an epoch too). */
    Path save(Phase phase, long runStep, RunDirectory.State state) {
      phase.beforeCheckpoint();
      lastSaved = run.saveCheckpoint(model.session(), runStep, state, keep);
      return lastSaved;
    }

    /** The newest checkpoint this run saved (null before the first). */
    Path lastSaved() {
      return lastSaved;
    }
  }
}
