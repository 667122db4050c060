package io.deepclust.training.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.mixture.DiagonalGmm;
import io.deepclust.training.mixture.KMeans;
import io.deepclust.training.train.Provenance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust baseline}: k-means or a diagonal GMM on raw pixels, the papers' baselines. */
@Command(name = "baseline", mixinStandardHelpOptions = true,
    description = "Cluster raw pixels with k-means (k-means++, best of restarts) or a diagonal "
        + "GMM (EM from k-means++), the baselines every benchmark table shows; report ACC, NMI, "
        + "ARI of the fitted set.")
final class BaselineCommand implements Callable<Integer> {
  @Option(names = "--method", required = true, description = "kmeans or gmm.")
  String method;

  @Option(names = "--dataset", defaultValue = "mnist", description = "mnist or fashion-mnist.")
  String dataset;

  @Option(names = "--split", defaultValue = "test",
      description = "Images to cluster: test, train or all (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--clusters", converter = OptionValues.AtLeast1.class,
      defaultValue = "10", description = "K (default: ${DEFAULT-VALUE}).")
  int clusters;

  @Option(names = "--restarts", converter = OptionValues.AtLeast1.class,
      defaultValue = "3", description = "Seeded restarts.")
  int restarts;

  @Option(names = "--seed", defaultValue = "1", description = "Seed.")
  long seed;

  @Option(names = "--json", description = "Also write the result (with provenance) here.")
  Path json;

  @Override
  public Integer call() {
    DeepclustCli.requireDataset(this, dataset);
    Dataset data = switch (split) {
      case "test" -> Datasets.byName(dataset, Split.TEST);
      case "train" -> Datasets.byName(dataset, Split.TRAIN);
      case "all" -> Dataset.concat(Datasets.byName(dataset, Split.TRAIN),
          Datasets.byName(dataset, Split.TEST), dataset + "/all");
      default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--split must be test, train or all, not '" + split + "'");
    };
    double[][] points = new double[data.n()][];
    for (int i = 0; i < data.n(); i++) {
      float[] img = data.image(i);
      points[i] = new double[img.length];
      for (int j = 0; j < img.length; j++) {
        points[i][j] = img[j];
      }
    }
    long start = System.nanoTime();
    int[] labels = switch (method) {
      case "kmeans" -> KMeans.labels(points, clusters, restarts, seed);
      case "gmm" -> responsibilitiesArgmax(points, DiagonalGmm.fit(points, clusters, restarts,
          seed, 100));
      default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--method must be kmeans or gmm, not '" + method + "'");
    };
    double seconds = (System.nanoTime() - start) / 1e9;
    double acc = ClusteringMetrics.accuracy(data.labels(), labels).acc();
    double nmi = ClusteringMetrics.nmi(data.labels(), labels);
    double ari = ClusteringMetrics.ari(data.labels(), labels);
    System.out.printf("%s on raw pixels of %s (%s, %d images): ACC %.4f NMI %.4f ARI %.4f, %.0fs%n",
        method, dataset, split, data.n(), acc, nmi, ari, seconds);
    if (json != null) {
      JsonObject o = new JsonObject();
      o.addProperty("benchmark", json.getFileName().toString().replace(".json", ""));
      o.addProperty("model", method + "_pixels");
      o.addProperty("dataset", dataset);
      o.addProperty("split_evaluated", split);
      o.addProperty("images", data.n());
      o.addProperty("clusters", clusters);
      o.addProperty("restarts", restarts);
      o.addProperty("seed", seed);
      JsonObject f = new JsonObject();
      f.addProperty(split + "_acc", acc);
      f.addProperty(split + "_nmi", nmi);
      f.addProperty(split + "_ari", ari);
      o.add("final", f);
      o.addProperty("seconds", seconds);
      o.add("provenance", Provenance.now());
      try {
        Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + json, e);
      }
    }
    return 0;
  }

  /** The most responsible component of each point under the fitted diagonal GMM. */
  static int[] responsibilitiesArgmax(double[][] x, DiagonalGmm.Fit fit) {
    int k = fit.weights().length;
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      double best = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        double lp = Math.log(fit.weights()[c]);
        for (int j = 0; j < x[i].length; j++) {
          double v = fit.variances()[c][j];
          double t = x[i][j] - fit.means()[c][j];
          lp -= 0.5 * (Math.log(v) + t * t / v);
        }
        if (lp > best) {
          best = lp;
          out[i] = c;
        }
      }
    }
    return out;
  }
}
