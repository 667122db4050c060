package io.deepclust.training.cli;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.io.ImageInputs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust predict}: cluster assignments of images to a CSV file. */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Assign clusters to the images of an idx file or a folder of PNGs and write a CSV"
        + " with one row per image: name (file or index), cluster, probability of that cluster.")
final class PredictCommand implements Callable<Integer> {
  @Option(names = "--model-dir", required = true, description = "SavedModel directory.")
  Path modelDir;

  @Option(names = "--input", required = true,
      description = "An idx images file (plain or .gz) or a folder of .png files.")
  Path input;

  @Option(names = "--output", required = true, description = "CSV file to write.")
  Path output;

  @Override
  public Integer call() {
    try (ClusteringModel model = ClusteringModel.load(modelDir)) {
      var info = model.info();
      var images = ImageInputs.read(input, info.height(), info.width(), info.inputShape()[2]);
      Assignment a = model.assign(images.rows());
      AssignmentCsv.write(output, images.names(), a);
      System.out.printf("wrote %d rows to %s%n", a.size(), output);
    }
    return 0;
  }
}
