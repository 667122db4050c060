package io.deepclust.training.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ModelInfo;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.io.AtomicFile;
import io.deepclust.training.io.ImageGrid;
import io.deepclust.training.train.RunDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The report of a training run: {@code RUN_DIR/report/report.md} with PNG figures beside it, made
 * from the run's {@code config.json}, {@code metrics.jsonl} and {@code export/} SavedModel and the
 * test images of its dataset. Each file is written atomically, the PNGs first and {@code
 * report.md} last; draws use {@link #SEED}, so writing it again gives the same files.
 *
 * <ul>
 *   <li>{@value #LOSSES}: every loss term per epoch ({@link RunCharts#losses});
 *   <li>{@value #METRICS}: ACC, NMI, ARI (%) of each evaluated set per epoch;
 *   <li>{@value #RECONSTRUCTIONS}: the first {@value #RECONSTRUCTED} test images above their
 *       reconstructions;
 *   <li>{@value #SAMPLES}: one row per cluster, {@value #SAMPLES_PER_CLUSTER} draws of p(z|k)
 *       decoded ({@link PriorSamples});
 *   <li>{@value #EMBEDDING}: the 2-D PCA of the embeddings of the first {@value #EMBEDDED} test
 *       images, by cluster and by label;
 *   <li>{@value #CONFUSION}: the cluster × label table after Hungarian matching.
 * </ul>
 */
public final class RunReport {
  public static final String DIR = "report";
  public static final String MARKDOWN = "report.md";
  public static final String LOSSES = "losses.png";
  public static final String METRICS = "metrics.png";
  public static final String RECONSTRUCTIONS = "reconstructions.png";
  public static final String SAMPLES = "samples.png";
  public static final String EMBEDDING = "embedding.png";
  public static final String CONFUSION = "confusion.png";
  /** The PNGs, in the order the report shows them. */
  public static final List<String> IMAGES =
      List.of(LOSSES, METRICS, RECONSTRUCTIONS, SAMPLES, EMBEDDING, CONFUSION);
  public static final int RECONSTRUCTED = 16;
  public static final int SAMPLES_PER_CLUSTER = 10;
  public static final int EMBEDDED = 5000;
  /** Seed of the prior draws of {@value #SAMPLES}. */
  public static final long SEED = 1;
  /** Image tiles are upscaled to about this many pixels on their longer side. */
  static final int TILE_PIXELS = 56;

  /** What was written: report.md and the PNGs, in {@link #IMAGES} order. */
  public record Result(Path markdown, List<Path> images) {}

  private RunReport() {}

  /**
   * The test images the report of a run uses: the test split of the dataset named by its {@code
   * config.json}, its first {@code limit} images, or when {@code limit} is null as many as the run
   * evaluated on ({@code test_size}).
   *
   * @throws IllegalArgumentException if the run directory is incomplete (see {@link #check})
   */
  public static Dataset testSet(Path runDir, Integer limit) {
    JsonObject config = check(runDir);
    Dataset test = Datasets.byName(config.get("dataset").getAsString(), Split.TEST);
    int n = limit != null ? limit
        : config.has("test_size") ? config.get("test_size").getAsInt() : test.n();
    if (n < 1) {
      throw new IllegalArgumentException("the test limit must be ≥ 1, not " + n);
    }
    return n < test.n() ? test.first(n) : test;
  }

  /**
   * Checks that {@code runDir} holds what a report needs and returns its {@code config.json}.
   *
   * @throws IllegalArgumentException naming what is missing, and for a missing export the command
   *     that makes it
   */
  public static JsonObject check(Path runDir) {
    if (!Files.isDirectory(runDir)) {
      throw new IllegalArgumentException("run directory " + runDir + " does not exist");
    }
    Path config = runDir.resolve(RunDirectory.CONFIG);
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException(runDir + " has no " + RunDirectory.CONFIG
          + ": not a training run directory");
    }
    if (!Files.isRegularFile(runDir.resolve(RunDirectory.METRICS))) {
      throw new IllegalArgumentException(runDir + " has no " + RunDirectory.METRICS
          + ": no epoch has finished");
    }
    if (!Files.isDirectory(runDir.resolve(RunDirectory.EXPORT))) {
      throw new IllegalArgumentException(runDir + " has no " + RunDirectory.EXPORT
          + "/: run ./deepclust export --run-dir " + runDir + " first");
    }
    try {
      JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
      if (!o.has("dataset") || !o.has("model")) {
        throw new IllegalArgumentException(config + " names no model or dataset");
      }
      return o;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + config, e);
    } catch (IllegalStateException | JsonParseException e) {
      throw new IllegalArgumentException(config + " is not a JSON object");
    }
  }

  /**
   * Writes the report of the run at {@code runDir} into {@code runDir/report/}.
   *
   * @param test the test images (at least one) and their labels; the image shape must be the
   *     model's
   */
  public static Result write(Path runDir, Dataset test) {
    JsonObject config = check(runDir);
    MetricsLog log = MetricsLog.read(runDir.resolve(RunDirectory.METRICS));
    Path dir = runDir.resolve(DIR);
    List<Path> images = new ArrayList<>();
    for (String name : IMAGES) {
      images.add(dir.resolve(name));
    }
    RunCharts.losses(log, images.get(0));
    RunCharts.metrics(log, images.get(1));
    Summary summary;
    try (ClusteringModel model = ClusteringModel.load(runDir.resolve(RunDirectory.EXPORT))) {
      summary = figures(model, test, images);
    }
    String md = markdown(runDir, config, log, test, summary);
    Path markdown = dir.resolve(MARKDOWN);
    AtomicFile.write(markdown, out -> out.write(md.getBytes(StandardCharsets.UTF_8)));
    return new Result(markdown, List.copyOf(images));
  }

  /** What the model figures found, for the captions. */
  private record Summary(ModelInfo info, int embedded, Pca pca, MatchedConfusion confusion) {}

  /** Writes the figures that need the model: reconstructions, samples, embedding, confusion. */
  private static Summary figures(ClusteringModel model, Dataset test, List<Path> images) {
    ModelInfo info = model.info();
    int h = info.height();
    int w = info.width();
    int c = info.channels();
    if (test.n() < 1) {
      throw new IllegalArgumentException("the report needs at least one test image");
    }
    if (test.height() != h || test.width() != w || test.channels() != c) {
      throw new IllegalArgumentException(String.format("%s has %dx%dx%d images, the model "
          + "%dx%dx%d", test.name(), test.height(), test.width(), test.channels(), h, w, c));
    }
    int scale = scale(h, w);
    float[][] x = rows(test, test.n());

    int shown = Math.min(RECONSTRUCTED, test.n());
    float[][] originals = Arrays.copyOf(x, shown);
    ImageGrid.write(new float[][][] {originals, model.reconstruct(originals)}, h, w, c, scale,
        images.get(2));

    var grid = PriorSamples.generate(model, PriorSamples.Mode.SAMPLES, SAMPLES_PER_CLUSTER, SEED);
    ImageGrid.write(grid.tiles(), h, w, c, scale, images.get(3));

    int[] clusters = model.assign(x).clusters();
    var confusion = MatchedConfusion.of(test.labels(), clusters, info.clusters(),
        test.numClasses());
    int embedded = Math.min(EMBEDDED, test.n());
    float[][] z = model.embed(Arrays.copyOf(x, embedded));
    Pca pca = Pca.fit(z);
    RunCharts.embedding(pca.project(z, 2), Arrays.copyOf(clusters, embedded),
        Arrays.copyOf(test.labels(), embedded), confusion, test.numClasses(), pca, images.get(4));
    RunCharts.confusion(confusion, images.get(5));
    return new Summary(info, embedded, pca, confusion);
  }

  /** The upscaling that makes the longer side of a tile about {@link #TILE_PIXELS}, at least 1. */
  static int scale(int height, int width) {
    return Math.max(1, Math.round((float) TILE_PIXELS / Math.max(height, width)));
  }

  private static float[][] rows(Dataset d, int n) {
    float[][] x = new float[n][];
    for (int i = 0; i < n; i++) {
      x[i] = d.image(i);
    }
    return x;
  }

  private static String markdown(Path runDir, JsonObject config, MetricsLog log, Dataset test,
      Summary s) {
    JsonObject provenance = config.has("provenance") ? config.getAsJsonObject("provenance")
        : new JsonObject();
    JsonObject modelConfig = config.has("config") && config.get("config").isJsonObject()
        ? config.getAsJsonObject("config") : new JsonObject();
    StringBuilder md = new StringBuilder();
    md.append(String.format("# %s on %s, seed %s%n%n", text(config, "model"),
        text(config, "dataset"), text(modelConfig, "seed")));
    md.append(String.format("Run `%s`, commit `%s`, TensorFlow %s, %s. K = %d clusters, "
            + "Z = %d latent dimensions; the figures use %d test images (%s).%n%n",
        runDir.toAbsolutePath().normalize(), text(provenance, "commit"),
        text(provenance, "tensorflow"), text(provenance, "time"), s.info().clusters(),
        s.info().latentDim(), test.n(), test.name()));

    JsonObject last = log.last();
    md.append(String.format("## Final metrics (epoch %d, phase %s)%n%n",
        MetricsLog.epoch(last), text(last, "phase")));
    md.append("| metric | value |\n|---|---|\n");
    for (String set : log.evaluatedSets()) {
      for (String metric : List.of("acc", "nmi", "ari")) {
        double v = MetricsLog.value(last, set + "_" + metric);
        if (Double.isFinite(v)) {
          md.append(String.format(Locale.ROOT, "| %s %s | %.2f %% |%n", set,
              metric.toUpperCase(Locale.ROOT), 100 * v));
        }
      }
      double psnr = MetricsLog.value(last, set + "_psnr");
      if (Double.isFinite(psnr)) {
        md.append(String.format(Locale.ROOT, "| %s PSNR | %.2f dB |%n", set, psnr));
      }
    }
    for (String term : log.lossTerms()) {
      double v = MetricsLog.value(last, term);
      if (Double.isFinite(v)) {
        md.append(String.format(Locale.ROOT, "| %s | %.4g |%n", term, v));
      }
    }
    md.append('\n');

    var pca = s.pca();
    String[] captions = {
        "Mean of each loss term over the training batches, per epoch"
            + (log.phases().size() > 1 ? "; dashed lines mark the start of each phase." : "."),
        "ACC, NMI and ARI (%) of every evaluated set after each epoch.",
        String.format("The first %d test images (top) and their reconstructions, the mean of "
            + "p(x|z) at the posterior mean (bottom).", Math.min(RECONSTRUCTED, test.n())),
        String.format("One row per cluster k: %d draws of z ~ p(z|k) (seed %d) decoded under k.",
            SAMPLES_PER_CLUSTER, SEED),
        String.format(Locale.ROOT, "PCA of the embeddings of the first %d test images (PC1 and "
            + "PC2 explain %.1f%% and %.1f%% of the variance), coloured by assigned cluster "
            + "(in the colour of its matched label) and by true label.", s.embedded(),
            100 * pca.explainedVarianceRatio(0),
            pca.dims() > 1 ? 100 * pca.explainedVarianceRatio(1) : 0.0),
        String.format(Locale.ROOT, "Test images per cluster (rows, ordered by the label each "
            + "is matched to) and true label (columns); the matched cells give ACC %.2f%%.",
            100 * s.confusion().acc())};
    String[] titles = {"Losses", "Clustering metrics", "Reconstructions", "Samples",
        "Embedding", "Confusion"};
    for (int i = 0; i < IMAGES.size(); i++) {
      md.append(String.format("## %s%n%n![%s](%s)%n%n%s%n%n", titles[i], titles[i].toLowerCase(
          Locale.ROOT), IMAGES.get(i), captions[i]));
    }
    md.append(String.format("Regenerate with `./deepclust report %s`.%n",
        runDir.toAbsolutePath().normalize()));
    return md.toString();
  }

  private static String text(JsonObject o, String key) {
    JsonElement v = o.get(key);
    return v == null || v.isJsonNull() ? "unknown" : v.getAsString();
  }
}
