package io.deepclust.training.cli;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.train.Progress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust evaluate}: ACC/NMI/ARI of a SavedModel on a dataset split. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Load a SavedModel (Java- or Python-made) and report ACC, NMI and ARI of its "
        + "cluster assignments on a dataset split.")
final class EvaluateCommand implements Callable<Integer> {
  static final int CHUNK = 1000;

  @Option(names = "--model-dir", required = true, description = "SavedModel directory.")
  Path modelDir;

  @Option(names = "--dataset", defaultValue = "mnist",
      description = "mnist or fashion-mnist (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--split", defaultValue = "test",
      description = "train or test (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--limit", converter = OptionValues.AtLeast1.class,
      description = "Evaluate the first N images only.")
  Integer limit;

  @Option(names = "--no-progress", description = "No progress bar.")
  boolean noProgress;

  @Override
  public Integer call() {
    Split which = switch (split) {
      case "test" -> Split.TEST;
      case "train" -> Split.TRAIN;
      default -> throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--split must be train or test, not '" + split + "'");
    };
    DeepclustCli.requireDataset(this, dataset);
    Dataset data = Datasets.byName(dataset, which);
    if (limit != null) {
      data = data.first(Math.min(limit, data.n()));
    }
    try (ClusteringModel model = ClusteringModel.load(modelDir)) {
      int[] clusters = assignAll(model, data, !noProgress);
      var acc = ClusteringMetrics.accuracy(data.labels(), clusters);
      double nmi = ClusteringMetrics.nmi(data.labels(), clusters);
      double ari = ClusteringMetrics.ari(data.labels(), clusters);
      System.out.printf("%s (%s, made by %s) on %s %s split, %d images:%n", modelDir,
          model.info().model(), model.info().madeBy(), dataset, split, data.n());
      System.out.printf("ACC %.4f  NMI %.4f  ARI %.4f%n", acc.acc(), nmi, ari);
      System.out.println("cluster -> label: " + Arrays.toString(acc.clusterToLabel()));
    }
    return 0;
  }

  /** Hard assignments for every image, in chunks, with a progress bar. */
  static int[] assignAll(ClusteringModel model, Dataset data, boolean progress) {
    int[] out = new int[data.n()];
    try (ProgressBar bar = Progress.bar("evaluate", data.n(), "img", progress)) {
      for (int from = 0; from < data.n(); from += CHUNK) {
        int to = Math.min(data.n(), from + CHUNK);
        float[][] rows = new float[to - from][];
        for (int i = from; i < to; i++) {
          rows[i - from] = data.image(i);
        }
        Assignment a = model.assign(rows);
        System.arraycopy(a.clusters(), 0, out, from, a.size());
        bar.stepBy(to - from);
      }
    }
    return out;
  }
}
