package io.deepclust.training.cli;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ModelInfo;
import io.deepclust.training.io.BitCodes;
import io.deepclust.training.io.ImageInputs;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deepclust compress}: the data vendor's side of a VAB model (vab-bernoulli-mixture-vae.txt,
 * abstract and §2): the d-bit code of each image ({@code compress} signature) to a bit codes file
 * ({@link BitCodes}), which {@code classify-bits} turns into the same clusters without the images.
 *
 * <p>Prints one line: the codes, the bytes written, the bits per pixel d / (H·W·C) and the paper's
 * BPP d / 1024 (§3.2: "28/1024 = 0.02734375 BPP" for d = 28).
 */
@Command(name = "compress", mixinStandardHelpOptions = true,
    description = {"Compress the images of an idx file or a folder of PNGs to the d-bit codes of "
        + "a VAB model (the data vendor's side) and write them as a bit codes file (\"DCB1\", "
        + "docs/models.md).",
        "Models other than VAB have no compress signature and fail."})
final class CompressCommand implements Callable<Integer> {
  /** The paper's BPP divides d by this, whatever the image size (§3.2). */
  static final int PAPER_BPP_PIXELS = 1024;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model-dir", required = true, description = "SavedModel directory (VAB).")
  Path modelDir;

  @Option(names = "--input", required = true,
      description = "An idx images file (plain or .gz) or a folder of .png files.")
  Path input;

  @Option(names = "--output", required = true, description = "Bit codes file to write.")
  Path output;

  @Override
  public Integer call() {
    try (ClusteringModel model = ClusteringModel.load(modelDir)) {
      ModelInfo info = model.info();
      var images = ImageInputs.read(input, info.height(), info.width(), info.channels());
      byte[][] bits = model.compress(images.rows());
      BitCodes.write(output, bits);
      int n = bits.length;
      int d = info.latentDim();
      spec.commandLine().getOut().println(summary(output, n, d, info));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /**
   * The line printed: codes, bytes, bits per pixel (six significant digits) and the paper's BPP
   * (exact, as d / 1024 always ends: 28 gives 0.02734375).
   */
  static String summary(Path output, int n, int d, ModelInfo info) {
    String paperBpp = BigDecimal.valueOf(d).divide(BigDecimal.valueOf(PAPER_BPP_PIXELS))
        .stripTrailingZeros().toPlainString();
    return String.format(Locale.ROOT, "wrote %s: %d codes x %d bits, %d bytes; %.6g bits per "
            + "pixel (%d / %dx%dx%d), paper BPP %s (%d / %d)", output, n, d,
        BitCodes.fileSize(n, d), (double) d / info.pixels(), d, info.height(), info.width(),
        info.channels(), paperBpp, d, PAPER_BPP_PIXELS);
  }
}
