package io.deepclust.training.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.mixture.DiagonalGmm;
import io.deepclust.training.mixture.KMeans;
import java.io.PrintStream;

/**
 * VaDE's start after pretraining ({@link GmmStart}): for each of R restarts, k-means (best of N
 * runs) on the autoencoder's embedding of the training set, diagonal EM from its clusters, the prior
 * set from the fit, and the training objective of that VaDE (−ELBO, on one noise draw, the same for
 * every restart); the restart with the least −ELBO is kept. Labels are read only to report each restart's accuracy,
 * never to choose.
 */
final class VadeStart {
  /** EM iterations per fit at most. */
  static final int GMM_MAX_ITERATIONS = 200;

  private VadeStart() {}

  /** Runs the restarts on {@code vade}, leaves the best prior set, returns the report. */
  static JsonObject run(VadeTrainingGraph vade, Dataset train, PrintStream out) {
    GmmStart start = vade.config.gmmStart();
    int k = vade.config.clusters();
    long begin = System.nanoTime();
    double[][] points = vade.embed(train);
    int[] labels = train.labels();
    JsonArray restarts = new JsonArray();
    DiagonalGmm.Fit best = null;
    double bestLoss = Double.POSITIVE_INFINITY;
    int bestIndex = -1;
    for (int r = 0; r < start.restarts(); r++) {
      long seed = vade.config.seed() + 7919L * r;
      int[] kmeans = KMeans.labels(points, k, start.kmeansRestarts(), seed);
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
      row.addProperty("gmm_log_likelihood", fit.logLikelihood());
      row.addProperty("loss", loss);
      row.addProperty("acc", acc);
      restarts.add(row);
      out.printf("GMM start %d/%d: k-means (best of %d) ACC %.4f, GMM mean log-likelihood %.3f,"
          + " VaDE -ELBO %.3f, ACC %.4f%n", r + 1, start.restarts(), start.kmeansRestarts(),
          kmeansAcc, fit.logLikelihood(), loss, acc);
      if (loss < bestLoss) {
        bestLoss = loss;
        best = fit;
        bestIndex = r;
      }
    }
    vade.setPrior(best, GmmStart.UNIFORM.equals(start.weights()));
    double seconds = (System.nanoTime() - begin) / 1e9;
    JsonObject selected = restarts.get(bestIndex).getAsJsonObject();
    out.printf("GMM start: kept restart %d of %d by the training objective (-ELBO %.3f; its ACC"
        + " %.4f, labels only reported), %.1fs%n", bestIndex + 1, start.restarts(), bestLoss,
        selected.get("acc").getAsDouble(), seconds);
    JsonObject report = new JsonObject();
    report.addProperty("selected", bestIndex);
    report.addProperty("selected_by", "least -ELBO on the training set");
    report.addProperty("training_set", train.name());
    report.add("gmm_start", new com.google.gson.Gson().toJsonTree(start));
    report.add("restarts", restarts);
    report.addProperty("seconds", seconds);
    return report;
  }
}
