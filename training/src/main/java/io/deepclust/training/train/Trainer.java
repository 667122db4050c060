package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.inference.Contract;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ProgressBar;

/**
 * The training loop every model shares: its phases in order, seeded batches, a progress bar per
 * epoch, test-split ACC/NMI/ARI after each epoch, one metrics.jsonl line per epoch, a checkpoint
 * every {@link Options#checkpointEvery} epochs and at the end of every phase (see {@link
 * RunDirectory} for what one holds), and the SavedModel export at the end.
 *
 * <p>{@link #requestStop} (Ctrl-C, SIGTERM) ends training after the current optimizer step with a
 * checkpoint of that exact step, even inside an epoch, and throws {@link Stopped}. A resume
 * continues from the newest complete checkpoint at that step, with the same batches and noise: the
 * run's metrics lines and weights are those of a run never stopped.
 */
public final class Trainer {
  public static final int CHECKPOINT_EVERY_DEFAULT = 1;
  public static final int KEEP_CHECKPOINTS_DEFAULT = 2;

  /**
   * How to run; {@code out} receives one summary line per epoch.
   *
   * @param checkpointEvery a checkpoint after every this many epochs (and at each phase's end)
   * @param keepCheckpoints how many of the newest checkpoints to keep
   */
  public record Options(boolean resume, boolean progress, PrintStream out, String datasetName,
      int checkpointEvery, int keepCheckpoints) {
    public Options {
      if (checkpointEvery < 1) {
        throw new IllegalArgumentException("checkpoint every must be at least 1 epoch, not "
            + checkpointEvery);
      }
      if (keepCheckpoints < 1) {
        throw new IllegalArgumentException("keep at least 1 checkpoint, not " + keepCheckpoints);
      }
    }

    /** A checkpoint every epoch, the last two kept. */
    public Options(boolean resume, boolean progress, PrintStream out, String datasetName) {
      this(resume, progress, out, datasetName, CHECKPOINT_EVERY_DEFAULT,
          KEEP_CHECKPOINTS_DEFAULT);
    }
  }

  /** Training ended early at {@link #requestStop}; the checkpoint holds the exact step. */
  public static final class Stopped extends RuntimeException {
    private final Path checkpoint;

    Stopped(String message, Path checkpoint) {
      super(message);
      this.checkpoint = checkpoint;
    }

    public Path checkpoint() {
      return checkpoint;
    }
  }

  /** What a run ended with. */
  public record Result(int epochs, double testAcc, double testNmi, double testAri,
      double secondsPerEpoch, Path export) {}

  private final Options options;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<TrainingListener> listeners = new ArrayList<>();

  public Trainer(Options options) {
    this.options = options;
  }

  /**
   * Asks a running {@link #train} (from any thread) to stop after its current optimizer step, save
   * a checkpoint of that step and throw {@link Stopped}. A request before training starts stops it
   * after its first step.
   */
  public void requestStop() {
    stop.set(true);
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
    List<Phase> phases = model.phases();
    checkData(model, phases, train, evals);
    JsonObject runConfig = runConfig(model, train, evals);
    RunDirectory.State at = startingPoint(model, run, phases);
    run.writeConfig(runConfig);
    var checkpoints = new TrainingListeners.Checkpoints(run, model, options.checkpointEvery(),
        options.keepCheckpoints());
    var timing = new Timing();
    List<TrainingListener> all = new ArrayList<>(List.of(TrainingListeners.metricsLine(run),
        checkpoints, TrainingListeners.consoleLine(options.out()), timing));
    all.addAll(listeners);
    int epochsTotal = phases.stream().mapToInt(Phase::epochs).sum();
    int epochsBefore = 0;
    long stepsBefore = 0;  // optimizer steps of the phases before: checkpoints are named by them
    for (int p = 0; p < phases.size(); p++) {
      Phase phase = phases.get(p);
      Batcher batcher = Batcher.forTraining(train.n(), phase.batchSize(), model.seed() + p);
      boolean here = p == at.phase();
      boolean fresh = !here || at.epochsDone() == 0 && at.batchesDone() == 0;
      if (p < at.phase() || fresh && skipRestored(phase, p, phases.size(), train, run, model,
          stepsBefore)) {
        epochsBefore += phase.epochs();
        stepsBefore += p < at.phase() ? (long) phase.epochs() * batcher.batchesPerEpoch() : 0;
        continue;
      }
      if (!fresh) {
        phase.resume(train, options.out());
      }
      long step = here ? at.steps() : 0;
      int skip = here ? at.batchesDone() : 0;
      for (int epoch = here ? at.epochsDone() : 0; epoch < phase.epochs(); epoch++) {
        long start = System.nanoTime();
        double[] sums = skip > 0 ? runningSums(at, phase) : new double[phase.termNames().size()];
        int done = runEpoch(phase, batcher, train, epoch, step, skip, sums,
            epochsBefore + epoch + 1, epochsTotal, run);
        step += done - skip;
        skip = 0;
        if (done < batcher.batchesPerEpoch()) {
          Path saved = checkpoints.save(phase, stepsBefore + step,
              new RunDirectory.State(p, epoch, step, done, sums));
          throw new Stopped(String.format("stopped in %s epoch %d/%d after batch %d of %d (step"
              + " %d); saved %s: continue with --resume", phase.name(), epoch + 1,
              phase.epochs(), done, batcher.batchesPerEpoch(), stepsBefore + step, saved), saved);
        }
        var e = finishEpoch(model, phase, p, epoch, sums, batcher.batchesPerEpoch(), train, evals,
            new long[] {epochsBefore + epoch + 1, epochsTotal, step, stepsBefore + step}, start,
            p + 1 == phases.size());
        all.forEach(l -> l.onEpoch(e));
        if (e.phaseEnds()) {
          phase.end(train, options.out());
        }
        if (e.stopping() && !(e.phaseEnds() && e.lastPhase())) {
          throw new Stopped(String.format("stopped after %s epoch %d/%d (step %d); saved %s:"
              + " continue with --resume", phase.name(), epoch + 1, phase.epochs(),
              e.runStep(), checkpoints.lastSaved()), checkpoints.lastSaved());
        }
      }
      epochsBefore += phase.epochs();
      stepsBefore += step;
    }
    return export(model, evals, runConfig, timing, run, epochsTotal);
  }

  /** Adds a listener called after every epoch, after the standard ones. */
  public Trainer addListener(TrainingListener listener) {
    listeners.add(listener);
    return this;
  }

  /** config.json's run description: model, dataset, set sizes, the model's config, provenance. */
  private JsonObject runConfig(TrainingModel model, Dataset train, Map<String, Dataset> evals) {
    JsonObject runConfig = new JsonObject();
    runConfig.addProperty("model", model.modelName());
    runConfig.addProperty("dataset", options.datasetName());
    runConfig.addProperty("train_size", train.n());
    for (var e : evals.entrySet()) {
      runConfig.addProperty(e.getKey() + "_size", e.getValue().n());
    }
    runConfig.add("config", model.configJson());
    SessionSettings session = model.sessionSettings();
    JsonObject provenance = Provenance.now(session.device().provenanceName(), session.threads());
    provenance.addProperty("precision", session.bf16() ? "bf16" : "fp32");
    runConfig.add("provenance", provenance);
    return runConfig;
  }

  /**
   * Where training starts: the newest complete checkpoint when resuming (restored into the
   * model), else the beginning (an earlier run's checkpoints removed); metrics.jsonl is cut back
   * to the lines before that point.
   */
  private RunDirectory.State startingPoint(TrainingModel model, RunDirectory run,
      List<Phase> phases) {
    RunDirectory.State at = RunDirectory.State.START;
    PrintStream out = options.out();
    if (options.resume()) {
      Optional<RunDirectory.Checkpoint> saved = run.latestCheckpoint(out::println, true);
      if (saved.isPresent()) {
        run.restoreCheckpoint(model.session(), saved.get());
        at = saved.get().state();
        out.printf("resumed %s at phase %d, epoch %d (step %d%s) from %s%n", run.path(),
            at.phase(), at.epochsDone(), at.steps(), at.batchesDone() > 0
                ? ", batch " + at.batchesDone() + " of the next epoch" : "", saved.get().name());
      } else {
        out.printf("no checkpoint in %s: starting at the beginning%n", run.path());
      }
    } else {
      int removed = run.removeCheckpoints();
      if (removed > 0) {
        out.printf("removed %d checkpoint(s) of an earlier run in %s (--resume continues"
            + " one)%n", removed, run.path());
      }
    }
    // Lines are counted by phase: a phase restored from a cache wrote none.
    Set<String> phasesBefore = new HashSet<>();
    for (int p = 0; p < at.phase(); p++) {
      phasesBefore.add(phases.get(p).name());
    }
    run.truncateMetrics(phasesBefore, at.phase() < phases.size()
        ? phases.get(at.phase()).name() : "", at.epochsDone(), out::println);
    return at;
  }

  /**
   * Starts phase p at its epoch 0: true when it restored its result from elsewhere (e.g. a
   * pretraining cache), so its epochs are skipped and a checkpoint says the next phase starts;
   * else its begin runs (and its start report is written).
   */
  private boolean skipRestored(Phase phase, int p, int phaseCount, Dataset train,
      RunDirectory run, TrainingModel model, long stepsBefore) {
    if (phase.restore(train, options.out())) {
      if (p + 1 < phaseCount) {
        run.saveCheckpoint(model.session(), stepsBefore, new RunDirectory.State(p + 1, 0, 0),
            options.keepCheckpoints());
      }
      return true;
    }
    phase.begin(train, options.out());
    if (phase.startReport() != null) {
      run.writeJson(phase.name() + "-start.json", phase.startReport());
    }
    return false;
  }

  /**
   * An epoch's record after its steps (begun at {@code start}, System.nanoTime): term means, and
   * when the phase evaluates, its scores on every evaluation set. {@code counts}: overall epoch,
   * epochs total, phase step, run step.
   */
  private TrainingListener.Epoch finishEpoch(TrainingModel model, Phase phase, int p, int epoch,
      double[] sums, int batches, Dataset train, Map<String, Dataset> evals, long[] counts,
      long start, boolean lastPhase) {
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    Map<String, Double> terms = new LinkedHashMap<>();
    for (int i = 0; i < sums.length; i++) {
      terms.put(phase.termNames().get(i), sums[i] / batches);
    }
    Map<String, double[]> scores = new LinkedHashMap<>();
    Map<String, Double> extra = new LinkedHashMap<>();
    if (phase.evaluates()) {
      phase.beforeEvaluation(train, epoch, options.out());
      for (var e : evals.entrySet()) {
        scores.put(e.getKey(), evaluate(phase.assign(model, e.getValue()), e.getValue()));
        model.extraMetrics(e.getValue()).forEach((k, v) -> extra.put(e.getKey() + "_" + k, v));
      }
    }
    return new TrainingListener.Epoch(phase, p, epoch, (int) counts[0], (int) counts[1],
        counts[2], counts[3], terms, phase.learningRate(epoch), scores, extra, trainSeconds,
        (System.nanoTime() - start) / 1e9, lastPhase, stop.get());
  }

  /** The training seconds per epoch and each set's last scores, for the result. */
  private static final class Timing implements TrainingListener {
    private double trainSeconds;
    private int epochs;
    private final Map<String, double[]> lastScores = new LinkedHashMap<>();

    @Override
    public void onEpoch(Epoch e) {
      trainSeconds += e.trainSeconds();
      epochs++;
      lastScores.putAll(e.scores());
    }
  }

  /** Exports the SavedModel with the primary set's last scores (evaluated now if none). */
  private Result export(TrainingModel model, Map<String, Dataset> evals, JsonObject runConfig,
      Timing timing, RunDirectory run, int epochsTotal) {
    String primary = evals.keySet().iterator().next();
    double[] last = timing.lastScores.containsKey(primary) ? timing.lastScores.get(primary)
        : evaluate(model, evals.get(primary));
    JsonObject info = CheckpointExport.info(options.datasetName(), runConfig.get("provenance"));
    JsonObject metrics = new JsonObject();
    metrics.addProperty("acc", last[0]);
    metrics.addProperty("nmi", last[1]);
    metrics.addProperty("ari", last[2]);
    metrics.addProperty("split", primary);
    info.add(Contract.JSON_METRICS, metrics);
    model.export(info, run.exportPath());
    return new Result(epochsTotal, last[0], last[1], last[2],
        timing.epochs > 0 ? timing.trainSeconds / timing.epochs : Double.NaN, run.exportPath());
  }

  /**
   * The optimizer steps of one epoch after its first {@code skip} batches (done before a resume),
   * adding each term to {@code sums}; returns the batches done, fewer than the epoch's when a stop
   * was requested.
   */
  private int runEpoch(Phase phase, Batcher batcher, Dataset train, int epoch, long stepsBefore,
      int skip, double[] sums, int overallEpoch, int epochsTotal, RunDirectory run) {
    long step = stepsBefore;
    int steps = batcher.batchesPerEpoch();
    List<int[]> batches = batcher.batches(epoch);
    try (ProgressBar bar = Progress.bar(String.format("%s %d/%d", phase.name(), overallEpoch,
        epochsTotal), steps, "batch", options.progress());
        Prefetch next = new Prefetch(train, batches, skip)) {
      bar.stepTo(skip);
      for (int b = skip; b < steps; b++) {
        int[] batch = batches.get(b);
        step++;
        float[] terms = phase.step(next.take(b), batch, epoch, step);
        if (!Float.isFinite(terms[0])) {
          throw new IllegalStateException("the " + phase.name() + " loss became " + terms[0]
              + " at epoch " + (epoch + 1) + ", step " + step + "; the last checkpoint is in "
              + run.path());
        }
        for (int i = 0; i < sums.length; i++) {
          sums[i] += terms[i];
        }
        bar.step();
        if (stop.get() && b + 1 < steps) {
          return b + 1;
        }
      }
    }
    return steps;
  }

  /** The term sums of the epoch a checkpoint stopped inside. */
  private static double[] runningSums(RunDirectory.State at, Phase phase) {
    double[] sums = at.termSums();
    if (sums == null || sums.length != phase.termNames().size()) {
      throw new IllegalStateException("the checkpoint stopped inside a " + phase.name()
          + " epoch but does not hold the sums of its " + phase.termNames().size() + " terms");
    }
    return sums.clone();
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

  /**
   * Refuses data that cannot train or be evaluated: an image shape other than the model's, no
   * images, fewer training images than a phase's batch. It runs before anything in the run
   * directory changes, so a refused run leaves an earlier run there as it was.
   */
  private static void checkData(TrainingModel model, List<Phase> phases, Dataset train,
      Map<String, Dataset> evals) {
    checkShape(model, train);
    if (train.n() == 0) {
      throw new IllegalArgumentException("the training set " + train.name() + " has no images");
    }
    for (Phase phase : phases) {
      if (train.n() < phase.batchSize()) {
        throw new IllegalArgumentException("the training set " + train.name() + " has "
            + train.n() + " images, fewer than one batch of " + phase.batchSize() + " ("
            + phase.name() + " phase)");
      }
    }
    for (var e : evals.entrySet()) {
      checkShape(model, e.getValue());
      if (e.getValue().n() == 0) {
        throw new IllegalArgumentException("the evaluation set '" + e.getKey() + "' ("
            + e.getValue().name() + ") has no images");
      }
    }
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
