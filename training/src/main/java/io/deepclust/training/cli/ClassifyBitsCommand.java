package io.deepclust.training.cli;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ModelInfo;
import io.deepclust.training.io.BitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deepclust classify-bits}: the data consumer's side of a VAB model
 * (vab-bernoulli-mixture-vae.txt, abstract and §2): clusters of the codes in a bit codes file
 * ({@link BitCodes}, made by {@code compress}) through the {@code classify_bits} signature, written
 * as {@code predict}'s CSV ({@link AssignmentCsv}) with each code's index as its name. For codes
 * made by {@code compress} from images, the clusters are those {@code predict} gives the images.
 */
@Command(name = "classify-bits", mixinStandardHelpOptions = true,
    description = {"Assign clusters to the d-bit codes of a bit codes file made by compress (the "
        + "data consumer's side of a VAB model) and write a CSV with one row per code: name "
        + "(index), cluster, probability of that cluster.",
        "d must equal the model's latent_dim; models other than VAB have no classify_bits "
            + "signature and fail."})
final class ClassifyBitsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model-dir", required = true, description = "SavedModel directory (VAB).")
  Path modelDir;

  @Option(names = "--input", required = true, description = "Bit codes file (from compress).")
  Path input;

  @Option(names = "--output", required = true, description = "CSV file to write.")
  Path output;

  @Override
  public Integer call() {
    try (ClusteringModel model = ClusteringModel.load(modelDir)) {
      ModelInfo info = model.info();
      byte[][] bits = BitCodes.read(input);
      int d = bits[0].length;
      // A model without classify_bits gets ClusteringModel's message, not a width mismatch.
      if (info.isVab() && d != info.latentDim()) {
        throw new IllegalArgumentException(input + ": codes of d = " + d
            + " bits, but the model at " + modelDir + " has latent_dim = " + info.latentDim()
            + " bits");
      }
      Assignment a = model.classifyBits(bits);
      AssignmentCsv.write(output, AssignmentCsv.indices(a.size()), a);
      spec.commandLine().getOut().printf("wrote %d rows to %s%n", a.size(), output);
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
