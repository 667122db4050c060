package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.inference.Contract;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    String primary = evals.keySet().iterator().next();
    Dataset test = evals.get(primary);
    List<Phase> phases = model.phases();
    checkData(model, phases, train, evals);
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

    RunDirectory.State at = RunDirectory.State.START;
    if (options.resume()) {
      Optional<RunDirectory.Checkpoint> saved =
          run.latestCheckpoint(options.out()::println, true);
      if (saved.isPresent()) {
        run.restoreCheckpoint(model.session(), saved.get());
        at = saved.get().state();
        options.out().printf("resumed %s at phase %d, epoch %d (step %d%s) from %s%n", run.path(),
            at.phase(), at.epochsDone(), at.steps(), at.batchesDone() > 0
                ? ", batch " + at.batchesDone() + " of the next epoch" : "", saved.get().name());
      } else {
        options.out().printf("no checkpoint in %s: starting at the beginning%n", run.path());
      }
    } else {
      int removed = run.removeCheckpoints();
      if (removed > 0) {
        options.out().printf("removed %d checkpoint(s) of an earlier run in %s (--resume continues"
            + " one)%n", removed, run.path());
      }
    }
    // Lines are counted by phase: a phase restored from a cache wrote none.
    Set<String> phasesBefore = new HashSet<>();
    for (int p = 0; p < at.phase(); p++) {
      phasesBefore.add(phases.get(p).name());
    }
    run.truncateMetrics(phasesBefore, at.phase() < phases.size()
        ? phases.get(at.phase()).name() : "", at.epochsDone(), options.out()::println);
    run.writeConfig(runConfig);

    double[] last = {Double.NaN, Double.NaN, Double.NaN};
    double totalSeconds = 0;
    int epochsRun = 0;
    int epochsTotal = phases.stream().mapToInt(Phase::epochs).sum();
    int epochsBefore = 0;
    // Optimizer steps of the phases before: checkpoints are named by the run's step count.
    long stepsBefore = 0;
    for (int p = 0; p < at.phase(); p++) {
      epochsBefore += phases.get(p).epochs();
      stepsBefore += (long) phases.get(p).epochs() * Batcher.forTraining(train.n(),
          phases.get(p).batchSize(), model.seed() + p).batchesPerEpoch();
    }
    for (int p = at.phase(); p < phases.size(); p++) {
      Phase phase = phases.get(p);
      int startEpoch = p == at.phase() ? at.epochsDone() : 0;
      long step = p == at.phase() ? at.steps() : 0;
      int skip = p == at.phase() ? at.batchesDone() : 0;
      if (startEpoch == 0 && skip == 0) {
        if (phase.restore(train, options.out())) {
          // Restored (e.g. from a pretraining cache): the checkpoint says the next phase starts.
          if (p + 1 < phases.size()) {
            run.saveCheckpoint(model.session(), stepsBefore, new RunDirectory.State(p + 1, 0, 0),
                options.keepCheckpoints());
          }
          epochsBefore += phase.epochs();
          continue;
        }
        phase.begin(train, options.out());
        if (phase.startReport() != null) {
          run.writeJson(phase.name() + "-start.json", phase.startReport());
        }
      } else {
        phase.resume(train, options.out());
      }
      Batcher batcher = Batcher.forTraining(train.n(), phase.batchSize(), model.seed() + p);
      int batches = batcher.batchesPerEpoch();
      for (int epoch = startEpoch; epoch < phase.epochs(); epoch++) {
        long start = System.nanoTime();
        double[] sums = skip > 0 ? runningSums(at, phase) : new double[phase.termNames().size()];
        int done = runEpoch(phase, batcher, train, epoch, step, skip, sums,
            epochsBefore + epoch + 1, epochsTotal, run);
        step += done - skip;
        skip = 0;
        if (done < batches) {
          phase.beforeCheckpoint();
          Path saved = run.saveCheckpoint(model.session(), stepsBefore + step,
              new RunDirectory.State(p, epoch, step, done, sums), options.keepCheckpoints());
          throw new Stopped(String.format("stopped in %s epoch %d/%d after batch %d of %d (step"
              + " %d); saved %s: continue with --resume", phase.name(), epoch + 1,
              phase.epochs(), done, batches, stepsBefore + step, saved), saved);
        }
        double[] means = new double[sums.length];
        for (int i = 0; i < sums.length; i++) {
          means[i] = sums[i] / batches;
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, Double> extra = new LinkedHashMap<>();
        if (phase.evaluates()) {
          phase.beforeEvaluation(train, epoch, options.out());
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
        boolean phaseEnds = epoch + 1 == phase.epochs();
        boolean stopping = stop.get();
        Path saved = null;
        if (phaseEnds || stopping
            || (epochsBefore + epoch + 1) % options.checkpointEvery() == 0) {
          // At a phase's end the checkpoint says the next phase starts (so a resume runs its
          // begin, e.g. the GMM fit, and not this one's resume).
          RunDirectory.State state = phaseEnds && p + 1 < phases.size()
              ? new RunDirectory.State(p + 1, 0, 0) : new RunDirectory.State(p, epoch + 1, step);
          phase.beforeCheckpoint();
          saved = run.saveCheckpoint(model.session(), stepsBefore + step, state,
              options.keepCheckpoints());
        }
        int left = epochsTotal - (epochsBefore + epoch + 1);
        options.out().printf("%s %d/%d%s%s  %.1fs  ETA %s%n", phase.name(), epoch + 1,
            phase.epochs(), terms, shown, seconds, eta(left * seconds));
        if (phaseEnds) {
          phase.end(train, options.out());
        }
        if (stopping && !(phaseEnds && p + 1 == phases.size())) {
          throw new Stopped(String.format("stopped after %s epoch %d/%d (step %d); saved %s:"
              + " continue with --resume", phase.name(), epoch + 1, phase.epochs(),
              stepsBefore + step, saved), saved);
        }
      }
      epochsBefore += phase.epochs();
      stepsBefore += step;
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

  /**
   * The input pipeline: while the step of batch b runs, a background thread gathers the pixels of
   * batch b + 1 (a copy of B·H·W·C floats: 0.2-0.3 ms per 100 MNIST images on the 2-core Xeon,
   * 1-3% of an MLP model's step), so the step loop does not wait for its next batch. System
   * property {@code deepclust.prefetch=false} gathers in the step loop instead (for measuring).
   */
  private static final class Prefetch implements AutoCloseable {
    private static final boolean ASYNC =
        Boolean.parseBoolean(System.getProperty("deepclust.prefetch", "true"));
    private final ExecutorService thread = ASYNC ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deepclust-prefetch");
      t.setDaemon(true);
      return t;
    }) : null;
    private final Dataset data;
    private final List<int[]> batches;
    private Future<float[]> pending;
    private int pendingIndex;

    Prefetch(Dataset data, List<int[]> batches, int first) {
      this.data = data;
      this.batches = batches;
      submit(first);
    }

    private void submit(int b) {
      pendingIndex = b;
      if (b >= batches.size()) {
        pending = null;
      } else if (ASYNC) {
        pending = thread.submit(() -> Batcher.gatherPixels(data, batches.get(b)));
      } else {
        pending = CompletableFuture.completedFuture(Batcher.gatherPixels(data, batches.get(b)));
      }
    }

    /** The pixels of batch b (the one asked for last, plus one), and starts gathering b + 1. */
    float[] take(int b) {
      if (pending == null || pendingIndex != b) {
        throw new IllegalStateException("batch " + b + " asked, " + pendingIndex + " prepared");
      }
      float[] pixels;
      try {
        pixels = pending.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while gathering a batch", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r
            : new IllegalStateException(e.getCause());
      }
      submit(b + 1);
      return pixels;
    }

    @Override
    public void close() {
      if (thread != null) {
        thread.shutdownNow();
      }
    }
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

  /**
   * Exports the newest complete checkpoint of a run directory to {@code target} (the same
   * SavedModel that training writes at its end); skipped checkpoints are reported on stderr.
   */
  public static Path exportCheckpoint(RunDirectory run, Path target) {
    return exportCheckpoint(run, target, System.err);
  }

  /**
   * {@link #exportCheckpoint(RunDirectory, Path)}, telling {@code notes} which checkpoint it took
   * and which newer ones it skipped and why (the run directory is left as it is).
   */
  public static Path exportCheckpoint(RunDirectory run, Path target, PrintStream notes) {
    JsonObject runConfig = run.readConfig().orElseThrow(() -> new IllegalArgumentException(
        run.path() + " has no " + RunDirectory.CONFIG + ": not a training run directory"));
    RunDirectory.Checkpoint checkpoint = run.latestCheckpoint(notes::println, false)
        .orElseThrow(() -> new IllegalArgumentException(run.path()
            + " has no complete checkpoint yet"));
    RunDirectory.State at = checkpoint.state();
    notes.printf("exporting %s (phase %d, epoch %d, step %d)%n", checkpoint.name(), at.phase(),
        at.epochsDone(), at.steps());
    try (TrainingModel model = Models.open(runConfig.get("model").getAsString(),
        runConfig.get("config"))) {
      run.restoreCheckpoint(model.session(), checkpoint);
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
