package io.deepclust.training.cli;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.io.ImageInputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
      Path tmp = output.toAbsolutePath().resolveSibling(output.getFileName() + ".tmp");
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))) {
        w.println("name,cluster,probability");
        for (int i = 0; i < a.size(); i++) {
          w.printf("%s,%d,%.6f%n", csv(images.names().get(i)), a.clusters()[i],
              a.probs()[i][a.clusters()[i]]);
        }
      }
      Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING);
      System.out.printf("wrote %d rows to %s%n", a.size(), output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
    }
    return 0;
  }

  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
