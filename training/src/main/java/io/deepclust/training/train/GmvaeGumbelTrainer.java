package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.inference.Contract;
import io.deepclust.savedmodels.GmvaeGumbelExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import me.tongfei.progressbar.ProgressBar;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Trains GMVAE-Gumbel in session mode: Adam on all model variables, Gumbel temperature from the
 * config's schedule, test-split ACC/NMI/ARI after every epoch, a checkpoint after every epoch (a
 * run directory with a checkpoint resumes where it stopped, with the same batches and noise), and
 * the SavedModel export at the end.
 */
public final class GmvaeGumbelTrainer {
  /** Batch size for evaluation passes (inference only, so larger than training batches). */
  public static final int EVAL_BATCH = 1000;

  /** How to run; {@code out} receives one summary line per epoch. */
  public record Options(boolean resume, boolean progress, PrintStream out, String datasetName) {}

  /** What a run ended with. */
  public record Result(int epochs, double testAcc, double testNmi, double testAri,
      double secondsPerEpoch, Path export) {}

  private final GmvaeGumbelConfig config;
  private final Options options;

  public GmvaeGumbelTrainer(GmvaeGumbelConfig config, Options options) {
    this.config = config;
    this.options = options;
  }

  public Result train(Dataset train, Dataset test, RunDirectory run) {
    checkShape(train);
    checkShape(test);
    if (train.n() < config.batchSize()) {
      throw new IllegalArgumentException("the training set has " + train.n()
          + " images, fewer than one batch of " + config.batchSize());
    }
    Gson gson = new Gson();
    JsonObject runConfig = new JsonObject();
    runConfig.addProperty("model", GmvaeGumbel.MODEL);
    runConfig.addProperty("dataset", options.datasetName());
    runConfig.addProperty("train_size", train.n());
    runConfig.addProperty("test_size", test.n());
    runConfig.add("config", gson.toJsonTree(config));
    runConfig.add("provenance", Provenance.now());

    try (GmvaeGumbelTrainingGraph m = new GmvaeGumbelTrainingGraph(config)) {
      int startEpoch = 0;
      long step = 0;
      var state = options.resume() ? run.checkpointState() : Optional.<RunDirectory.State>empty();
      if (state.isPresent()) {
        run.restoreCheckpoint(m.session);
        startEpoch = state.get().epochsDone();
        step = state.get().steps();
        options.out().printf("resumed %s at epoch %d (step %d)%n", run.path(), startEpoch, step);
      }
      run.truncateMetrics(startEpoch);
      run.writeConfig(runConfig);

      Batcher batcher = Batcher.forTraining(train.n(), config.batchSize(), config.seed());
      double[] last = {Double.NaN, Double.NaN, Double.NaN};
      double totalSeconds = 0;
      for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
        long start = System.nanoTime();
        float temperature = config.temperature(epoch);
        double[] means = runEpoch(m, batcher, train, epoch, temperature, step, run);
        step += batcher.batchesPerEpoch();
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        last = evaluate(m, test);
        double seconds = (System.nanoTime() - start) / 1e9;
        totalSeconds += trainSeconds;
        JsonObject line = new JsonObject();
        line.addProperty("epoch", epoch + 1);
        line.addProperty("step", step);
        line.addProperty("loss", means[0]);
        line.addProperty("reconstruction", means[1]);
        line.addProperty("categorical_kl", means[2]);
        line.addProperty("gaussian_kl", means[3]);
        line.addProperty("temperature", temperature);
        line.addProperty("test_acc", last[0]);
        line.addProperty("test_nmi", last[1]);
        line.addProperty("test_ari", last[2]);
        line.addProperty("train_seconds", trainSeconds);
        line.addProperty("seconds", seconds);
        run.appendMetrics(line);
        run.saveCheckpoint(m.session, new RunDirectory.State(epoch + 1, step));
        int left = config.epochs() - epoch - 1;
        options.out().printf("epoch %d/%d  loss %.2f (rec %.2f, cat-KL %.3f, gauss-KL %.2f)  "
                + "tau %.3f  test ACC %.4f NMI %.4f ARI %.4f  %.1fs  ETA %s%n", epoch + 1,
            config.epochs(), means[0], means[1], means[2], means[3], temperature, last[0],
            last[1], last[2], seconds, eta(left * seconds));
      }
      int epochsRun = config.epochs() - startEpoch;
      if (Double.isNaN(last[0])) {
        last = evaluate(m, test);
      }
      JsonObject metrics = new JsonObject();
      metrics.addProperty("acc", last[0]);
      metrics.addProperty("nmi", last[1]);
      metrics.addProperty("ari", last[2]);
      metrics.addProperty("split", "test");
      export(m, options.datasetName(), metrics, runConfig.get("provenance"), run.exportPath());
      return new Result(config.epochs(), last[0], last[1], last[2],
          epochsRun > 0 ? totalSeconds / epochsRun : Double.NaN, run.exportPath());
    }
  }

  /** One epoch of Adam steps after {@code stepsBefore} steps; returns the mean loss terms. */
  private double[] runEpoch(GmvaeGumbelTrainingGraph m, Batcher batcher, Dataset train,
      int epoch, float temperature, long stepsBefore, RunDirectory run) {
    double[] sums = new double[4];
    long step = stepsBefore;
    int steps = batcher.batchesPerEpoch();
    try (ProgressBar bar = Progress.bar(String.format("epoch %d/%d", epoch + 1, config.epochs()),
        steps, "batch", options.progress())) {
      for (int[] batch : batcher.batches(epoch)) {
        step++;
        float[] terms = m.trainStep(Batcher.gatherPixels(train, batch), batch.length,
            temperature, config.learningRate(), config.seed(), step);
        if (!Float.isFinite(terms[0])) {
          throw new IllegalStateException("the loss became " + terms[0] + " at epoch "
              + (epoch + 1) + ", step " + step + "; the last checkpoint is in " + run.path());
        }
        for (int i = 0; i < 4; i++) {
          sums[i] += terms[i];
        }
        bar.step();
      }
    }
    for (int i = 0; i < 4; i++) {
      sums[i] /= steps;
    }
    return sums;
  }

  /** Test-split ACC, NMI, ARI of the inference branch. */
  private static double[] evaluate(GmvaeGumbelTrainingGraph m, Dataset test) {
    int[] clusters = toInt(assign(m.session, m.x, m.inference.cluster(), test));
    return new double[] {ClusteringMetrics.accuracy(test.labels(), clusters).acc(),
        ClusteringMetrics.nmi(test.labels(), clusters),
        ClusteringMetrics.ari(test.labels(), clusters)};
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
    GmvaeGumbelConfig config = new Gson().fromJson(runConfig.get("config"),
        GmvaeGumbelConfig.class);
    try (GmvaeGumbelTrainingGraph m = new GmvaeGumbelTrainingGraph(config)) {
      run.restoreCheckpoint(m.session);
      String dataset = runConfig.get("dataset").getAsString();
      export(m, dataset, new JsonObject(), runConfig.get("provenance"), target);
    }
    return target;
  }

  private static void export(GmvaeGumbelTrainingGraph m, String dataset, JsonObject metrics,
      com.google.gson.JsonElement provenance, Path target) {
    Map<String, TFloat32> weights = m.params.read(m.session);
    try {
      JsonObject info = new JsonObject();
      info.addProperty(Contract.JSON_MADE_BY, "java");
      info.addProperty(Contract.JSON_DATASET, dataset);
      info.add(Contract.JSON_METRICS, metrics);
      info.add("provenance", provenance);
      GmvaeGumbelExport.export(m.config, weights, info, target);
    } finally {
      weights.values().forEach(Tensor::close);
    }
  }

  /** Hard assignments of every image of {@code data} by the inference branch. */
  static long[] assign(Session s, Placeholder<TFloat32> x, org.tensorflow.Operand<TInt64> cluster,
      Dataset data) {
    long[] out = new long[data.n()];
    Batcher batches = Batcher.forEvaluation(data.n(), EVAL_BATCH);
    int offset = 0;
    for (int[] batch : batches.batches(0)) {
      float[] pixels = Batcher.gatherPixels(data, batch);
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(batch.length, data.height(), data.width(),
              data.channels()), DataBuffers.of(pixels, true, false));
          var r = s.runner().feed(x, xs).fetch(cluster).run()) {
        long[] part = new long[batch.length];
        ((TInt64) r.get(0)).asRawTensor().data().asLongs().read(part);
        System.arraycopy(part, 0, out, offset, part.length);
        offset += part.length;
      }
    }
    return out;
  }

  private void checkShape(Dataset d) {
    int[] s = config.inputShape();
    if (d.height() != s[0] || d.width() != s[1] || d.channels() != s[2]) {
      throw new IllegalArgumentException(String.format("dataset %s has images %dx%dx%d, the model"
          + " expects %dx%dx%d", d.name(), d.height(), d.width(), d.channels(), s[0], s[1], s[2]));
    }
  }

  static int[] toInt(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (int) v[i];
    }
    return out;
  }

  static String eta(double seconds) {
    long s = Math.round(seconds);
    return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
