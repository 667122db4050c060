package io.deepclust.training.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.mixture.DiagonalGmm;
import io.deepclust.training.mixture.KMeans;
import java.io.PrintStream;
import java.util.Objects;

/**
 * VaDE's start after pretraining ({@link GmmStart}): for each of R restarts, k-means (best of N
 * runs) on the autoencoder's embedding of the training set, diagonal EM from its clusters, the
 * prior set from the fit, and the training objective of that VaDE (−ELBO, on one noise draw, the
 * same for every restart). The restart kept is the one whose initialisation has the best
 * objective, the paper's rule read as DEC's ("similar to DEC ... 10 random restarts when
 * initializing"): the least k-means squared error, ties (equal partitions) broken by the least
 * −ELBO. The −ELBO alone is a weak judge here: it differs by about 0.1 % between a good and a bad
 * partition and once preferred the bad one (README, "Seed 2"). Labels are read only to report
 * each restart's accuracy, never to choose.
 */
final class VadeStart {
  /** EM iterations per fit at most. */
  static final int GMM_MAX_ITERATIONS = 200;
  /** k-means errors within this relative distance are the same partition found twice. */
  static final double SSE_TIE = 1e-9;

  private VadeStart() {}

  /**
   * {@code c} with the pretraining recipe and GMM start a training request asks for (VaDE's and
   * k-DVAE's initialising VaDE's options): the recipe dec_keras unless adam_bce, its loss and
   * refit epochs, the restarts and the prior's weights.
   */
  static VadeConfig withOptions(VadeConfig c, ConfigOptions o) {
    Pretraining p = "adam_bce".equals(o.pretrainRecipe()) ? Pretraining.adamBce()
        : Pretraining.decKeras();
    if (o.pretrainLoss() != null) {
      p = new Pretraining(p.optimizer(), p.learningRate(), p.momentum(), o.pretrainLoss(),
          p.batchSize(), p.epochs(), p.init(), p.refitEpochs());
    }
    p = o.refitEpochs() != null ? p.withRefitEpochs(o.refitEpochs()) : p;
    GmmStart g = c.gmmStart();
    g = new GmmStart(Objects.requireNonNullElse(o.restarts(), g.restarts()),
        Objects.requireNonNullElse(o.kmeansRestarts(), g.kmeansRestarts()),
        Objects.requireNonNullElse(o.priorWeights(), g.weights()));
    return c.withPretraining(p).withGmmStart(g);
  }

  /** Runs the restarts on {@code vade}, leaves the best prior set, returns the report. */
  static JsonObject run(VadeTrainingGraph vade, Dataset train, PrintStream out) {
    GmmStart start = vade.config.gmmStart();
    int k = vade.config.clusters();
    long begin = System.nanoTime();
    double[][] points = vade.embed(train);
    int[] labels = train.labels();
    JsonArray restarts = new JsonArray();
    DiagonalGmm.Fit[] fits = new DiagonalGmm.Fit[start.restarts()];
    double[] sses = new double[start.restarts()];
    double[] losses = new double[start.restarts()];
    for (int r = 0; r < start.restarts(); r++) {
      long seed = vade.config.seed() + 7919L * r;
      KMeans.Fit km = KMeans.fit(points, k, start.kmeansRestarts(), seed);
      int[] kmeans = km.labels();
      DiagonalGmm.Fit fit = DiagonalGmm.em(points, k, kmeans, GMM_MAX_ITERATIONS);
      vade.setPrior(fit, GmmStart.UNIFORM.equals(start.weights()));
      // Every restart is scored on the same noise draw, so only the fits differ.
      double loss = vade.meanLoss(train, vade.config.seed());
      double acc = ClusteringMetrics.accuracy(labels, vade.assign(train)).acc();
      double kmeansAcc = ClusteringMetrics.accuracy(labels, kmeans).acc();
      JsonObject row = new JsonObject();
      row.addProperty("restart", r);
      row.addProperty("seed", seed);
      row.addProperty("kmeans_acc", kmeansAcc);
      row.addProperty("kmeans_sse", km.sse());
      row.addProperty("gmm_log_likelihood", fit.logLikelihood());
      row.addProperty("loss", loss);
      row.addProperty("acc", acc);
      restarts.add(row);
      out.printf("GMM start %d/%d: k-means (best of %d) squared error %.4f, ACC %.4f, GMM mean"
          + " log-likelihood %.3f, VaDE -ELBO %.3f, ACC %.4f%n", r + 1, start.restarts(),
          start.kmeansRestarts(), km.sse(), kmeansAcc, fit.logLikelihood(), loss, acc);
      fits[r] = fit;
      sses[r] = km.sse();
      losses[r] = loss;
    }
    int bestIndex = select(sses, losses);
    vade.setPrior(fits[bestIndex], GmmStart.UNIFORM.equals(start.weights()));
    double seconds = (System.nanoTime() - begin) / 1e9;
    JsonObject selected = restarts.get(bestIndex).getAsJsonObject();
    out.printf("GMM start: kept restart %d of %d by the least k-means squared error (%.4f), then"
        + " -ELBO (%.3f); its ACC %.4f (labels only reported), %.1fs%n", bestIndex + 1,
        start.restarts(), sses[bestIndex], losses[bestIndex], selected.get("acc").getAsDouble(),
        seconds);
    JsonObject report = new JsonObject();
    report.addProperty("selected", bestIndex);
    report.addProperty("selected_by", "least k-means squared error on the training set, ties by"
        + " least -ELBO");
    report.addProperty("least_elbo", argmin(losses));
    report.addProperty("training_set", train.name());
    report.add("gmm_start", new com.google.gson.Gson().toJsonTree(start));
    report.add("restarts", restarts);
    report.addProperty("seconds", seconds);
    return report;
  }

  /**
   * The restart of least k-means error; among those within {@link #SSE_TIE} of it (the same
   * partition), the least −ELBO.
   */
  static int select(double[] sses, double[] losses) {
    double least = sses[argmin(sses)];
    int best = -1;
    for (int r = 0; r < sses.length; r++) {
      boolean tied = sses[r] - least <= SSE_TIE * Math.abs(least);
      if (tied && (best < 0 || losses[r] < losses[best])) {
        best = r;
      }
    }
    return best;
  }

  static int argmin(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] < v[best]) {
        best = i;
      }
    }
    return best;
  }
}
