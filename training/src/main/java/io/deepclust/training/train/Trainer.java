package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.inference.Contract;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import me.tongfei.progressbar.ProgressBar;

/**
 * The training loop every model shares: its phases in order, seeded batches, a progress bar per
 * epoch, test-split ACC/NMI/ARI after each epoch, one metrics.jsonl line and a checkpoint per epoch
 * (a run directory with a checkpoint resumes where it stopped, with the same batches and noise),
 * and the SavedModel export at the end.
 */
public final class Trainer {
  /** How to run; {@code out} receives one summary line per epoch. */
  public record Options(boolean resume, boolean progress, PrintStream out, String datasetName) {}

  /** What a run ended with. */
  public record Result(int epochs, double testAcc, double testNmi, double testAri,
      double secondsPerEpoch, Path export) {}

  private final Options options;

  public Trainer(Options options) {
    this.options = options;
  }

  public Result train(TrainingModel model, Dataset train, Dataset test, RunDirectory run) {
    Map<String, Dataset> evals = new LinkedHashMap<>();
    evals.put("test", test);
    return train(model, train, evals, run);
  }

  /**
   * Trains, evaluating after each epoch on every set of {@code evals} (metrics.jsonl keys
   * {@code <name>_acc}, {@code <name>_nmi}, {@code <name>_ari}); the first is the one the result and
   * the export report.
   */
  public Result train(TrainingModel model, Dataset train, Map<String, Dataset> evals,
      RunDirectory run) {
    String primary = evals.keySet().iterator().next();
    Dataset test = evals.get(primary);
    checkShape(model, train);
    for (Dataset d : evals.values()) {
      checkShape(model, d);
    }
    JsonObject runConfig = new JsonObject();
    runConfig.addProperty("model", model.modelName());
    runConfig.addProperty("dataset", options.datasetName());
    runConfig.addProperty("train_size", train.n());
    for (var e : evals.entrySet()) {
      runConfig.addProperty(e.getKey() + "_size", e.getValue().n());
    }
    runConfig.add("config", model.configJson());
    runConfig.add("provenance", Provenance.now());

    RunDirectory.State at = new RunDirectory.State(0, 0, 0);
    Optional<RunDirectory.State> saved =
        options.resume() ? run.checkpointState() : Optional.empty();
    if (saved.isPresent()) {
      run.restoreCheckpoint(model.session());
      at = saved.get();
      options.out().printf("resumed %s at phase %d, epoch %d (step %d)%n", run.path(),
          at.phase(), at.epochsDone(), at.steps());
    }
    List<Phase> phases = model.phases();
    int linesBefore = at.epochsDone();
    for (int p = 0; p < at.phase(); p++) {
      linesBefore += phases.get(p).epochs();
    }
    run.truncateMetrics(linesBefore);
    run.writeConfig(runConfig);

    double[] last = {Double.NaN, Double.NaN, Double.NaN};
    double totalSeconds = 0;
    int epochsRun = 0;
    int epochsTotal = phases.stream().mapToInt(Phase::epochs).sum();
    int epochsBefore = 0;
    for (int p = 0; p < at.phase(); p++) {
      epochsBefore += phases.get(p).epochs();
    }
    for (int p = at.phase(); p < phases.size(); p++) {
      Phase phase = phases.get(p);
      if (train.n() < phase.batchSize()) {
        throw new IllegalArgumentException("the training set has " + train.n()
            + " images, fewer than one batch of " + phase.batchSize());
      }
      int startEpoch = p == at.phase() ? at.epochsDone() : 0;
      long step = p == at.phase() ? at.steps() : 0;
      if (startEpoch == 0) {
        phase.begin(train, options.out());
      } else {
        phase.resume(train, options.out());
      }
      Batcher batcher = Batcher.forTraining(train.n(), phase.batchSize(), model.seed() + p);
      for (int epoch = startEpoch; epoch < phase.epochs(); epoch++) {
        long start = System.nanoTime();
        double[] means = runEpoch(phase, batcher, train, epoch, step, epochsBefore + epoch + 1,
            epochsTotal, run);
        step += batcher.batchesPerEpoch();
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, Double> extra = new LinkedHashMap<>();
        if (phase.evaluates()) {
          for (var e : evals.entrySet()) {
            scores.put(e.getKey(), evaluate(phase.assign(model, e.getValue()), e.getValue()));
            model.extraMetrics(e.getValue()).forEach((k, v) -> extra.put(e.getKey() + "_" + k, v));
          }
          last = scores.get(primary);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        totalSeconds += trainSeconds;
        epochsRun++;
        JsonObject line = new JsonObject();
        line.addProperty("phase", phase.name());
        line.addProperty("epoch", epochsBefore + epoch + 1);
        line.addProperty("phase_epoch", epoch + 1);
        line.addProperty("step", step);
        StringBuilder terms = new StringBuilder();
        for (int i = 0; i < means.length; i++) {
          line.addProperty(phase.termNames().get(i), means[i]);
          terms.append(String.format(" %s %.4g", phase.termNames().get(i), means[i]));
        }
        line.addProperty("learning_rate", phase.learningRate(epoch));
        StringBuilder shown = new StringBuilder();
        for (var e : scores.entrySet()) {
          double[] v = e.getValue();
          line.addProperty(e.getKey() + "_acc", v[0]);
          line.addProperty(e.getKey() + "_nmi", v[1]);
          line.addProperty(e.getKey() + "_ari", v[2]);
          shown.append(String.format("  %s ACC %.4f NMI %.4f ARI %.4f", e.getKey(), v[0], v[1],
              v[2]));
        }
        extra.forEach((k, v) -> {
          line.addProperty(k, v);
          shown.append(String.format("  %s %.2f", k, v));
        });
        line.addProperty("train_seconds", trainSeconds);
        line.addProperty("seconds", seconds);
        run.appendMetrics(line);
        run.saveCheckpoint(model.session(), new RunDirectory.State(p, epoch + 1, step));
        int left = epochsTotal - (epochsBefore + epoch + 1);
        options.out().printf("%s %d/%d%s%s  %.1fs  ETA %s%n", phase.name(), epoch + 1,
            phase.epochs(), terms, shown, seconds, eta(left * seconds));
      }
      epochsBefore += phase.epochs();
      // The next phase starts at its epoch 0: record that, so a resume does not rerun this one.
      if (p + 1 < phases.size()) {
        run.saveCheckpoint(model.session(), new RunDirectory.State(p + 1, 0, 0));
      }
    }
    if (Double.isNaN(last[0])) {
      last = evaluate(model, test);
    }
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, options.datasetName());
    JsonObject metrics = new JsonObject();
    metrics.addProperty("acc", last[0]);
    metrics.addProperty("nmi", last[1]);
    metrics.addProperty("ari", last[2]);
    metrics.addProperty("split", primary);
    info.add(Contract.JSON_METRICS, metrics);
    info.add("provenance", runConfig.get("provenance"));
    model.export(info, run.exportPath());
    return new Result(epochsTotal, last[0], last[1], last[2],
        epochsRun > 0 ? totalSeconds / epochsRun : Double.NaN, run.exportPath());
  }

  /** One epoch of optimizer steps after {@code stepsBefore}; returns the mean of each term. */
  private double[] runEpoch(Phase phase, Batcher batcher, Dataset train, int epoch,
      long stepsBefore, int overallEpoch, int epochsTotal, RunDirectory run) {
    double[] sums = new double[phase.termNames().size()];
    long step = stepsBefore;
    int steps = batcher.batchesPerEpoch();
    try (ProgressBar bar = Progress.bar(String.format("%s %d/%d", phase.name(), overallEpoch,
        epochsTotal), steps, "batch", options.progress())) {
      for (int[] batch : batcher.batches(epoch)) {
        step++;
        float[] terms = phase.step(Batcher.gatherPixels(train, batch), batch, epoch, step);
        if (!Float.isFinite(terms[0])) {
          throw new IllegalStateException("the " + phase.name() + " loss became " + terms[0]
              + " at epoch " + (epoch + 1) + ", step " + step + "; the last checkpoint is in "
              + run.path());
        }
        for (int i = 0; i < sums.length; i++) {
          sums[i] += terms[i];
        }
        bar.step();
      }
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i] /= steps;
    }
    return sums;
  }

  /**
   * Exports the last checkpoint of a run directory to {@code target} (the same SavedModel that
   * training writes at its end).
   */
  public static Path exportCheckpoint(RunDirectory run, Path target) {
    JsonObject runConfig = run.readConfig().orElseThrow(() -> new IllegalArgumentException(
        run.path() + " has no " + RunDirectory.CONFIG + ": not a training run directory"));
    if (run.checkpointState().isEmpty()) {
      throw new IllegalArgumentException(run.path() + " has no checkpoint yet");
    }
    try (TrainingModel model = Models.open(runConfig.get("model").getAsString(),
        runConfig.get("config"))) {
      run.restoreCheckpoint(model.session());
      JsonObject info = new JsonObject();
      info.addProperty(Contract.JSON_MADE_BY, "java");
      info.addProperty(Contract.JSON_DATASET, runConfig.get("dataset").getAsString());
      info.add("provenance", runConfig.get("provenance"));
      model.export(info, target);
    }
    return target;
  }

  /** Test-split ACC, NMI, ARI of the model's hard assignments. */
  static double[] evaluate(TrainingModel model, Dataset test) {
    return evaluate(model.assign(test), test);
  }

  static double[] evaluate(int[] clusters, Dataset test) {
    return new double[] {ClusteringMetrics.accuracy(test.labels(), clusters).acc(),
        ClusteringMetrics.nmi(test.labels(), clusters),
        ClusteringMetrics.ari(test.labels(), clusters)};
  }

  private static void checkShape(TrainingModel model, Dataset d) {
    int[] s = model.inputShape();
    if (d.height() != s[0] || d.width() != s[1] || d.channels() != s[2]) {
      throw new IllegalArgumentException(String.format("dataset %s has images %dx%dx%d, the model"
          + " expects %dx%dx%d", d.name(), d.height(), d.width(), d.channels(), s[0], s[1], s[2]));
    }
  }

  static String eta(double seconds) {
    long s = Math.round(seconds);
    return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
