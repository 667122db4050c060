package io.deepclust.training.cli;

import io.deepclust.training.crosscheck.CrossCheck;
import io.deepclust.training.crosscheck.Variant;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust crosscheck}: the Java side of the Java ↔ Python cross-check. */
@Command(name = "crosscheck", mixinStandardHelpOptions = true,
    description = "Compare the Java graph with the Python reference directory REF (written by "
        + "`python -m deepclust_ref.crosscheck make`, see docs/crosscheck.md): initial weights, "
        + "forward outputs, gradients, Adam training, SavedModels both ways. Prints table rows; "
        + "exit 1 if any fails. Use tools/crosscheck to run both sides.")
final class CrossCheckCommand implements Callable<Integer> {
  @Option(names = "--ref", required = true, description = "Reference directory.")
  Path ref;

  @Option(names = "--gradient-noise", paramLabel = "REL", description = "Add noise of REL times "
      + "each gradient tensor's max |g| to Java's gradients at every per-step update (e.g. 1e-6, "
      + "the size of rounding across CPUs), to see that the per-step gate holds (default: none).")
  Double gradientNoise;

  @Override
  public Integer call() {
    if (gradientNoise != null && !(gradientNoise >= 0 && gradientNoise < 1)) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--gradient-noise must be in [0, 1), got " + gradientNoise);
    }
    Variant variant = gradientNoise == null ? Variant.NONE
        : Variant.gradientNoise(gradientNoise, 20261203L);
    var rows = new CrossCheck(ref, variant).run(System.out);
    long failed = rows.stream().filter(c -> !c.pass()).count();
    System.err.printf("java crosscheck: %d rows, %d failed%n", rows.size(), failed);
    return failed == 0 ? 0 : 1;
  }
}
