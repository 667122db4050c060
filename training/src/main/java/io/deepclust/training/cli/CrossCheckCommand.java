package io.deepclust.training.cli;

import io.deepclust.training.crosscheck.CrossCheck;
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

  @Override
  public Integer call() {
    var rows = new CrossCheck(ref).run(System.out);
    long failed = rows.stream().filter(c -> !c.pass()).count();
    System.err.printf("java crosscheck: %d rows, %d failed%n", rows.size(), failed);
    return failed == 0 ? 0 : 1;
  }
}
