package io.deepclust.training.cli;

import io.deepclust.training.report.RunReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code deepclust report}: (re)writes a run directory's report.md and its plots. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write RUN_DIR/report/report.md with PNG plots of a training run: loss terms "
        + "and clustering metrics per epoch, reconstructions, samples of each cluster's prior, a "
        + "PCA of the test embeddings and the matched confusion table. Needs RUN_DIR/export "
        + "(training writes it; ./deepclust export --run-dir RUN_DIR makes it from a checkpoint).")
final class ReportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "Training run directory.")
  Path runDir;

  @Option(names = "--limit", converter = OptionValues.AtLeast1.class,
      description = "Use the first N test images (default: as many as the run evaluated on).")
  Integer limit;

  @Override
  public Integer call() {
    var result = RunReport.write(runDir, RunReport.testSet(runDir, limit));
    spec.commandLine().getOut().println("report: " + result.markdown());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
