package io.deepclust.training.cli;

import io.deepclust.inference.ContractValidator;
import io.deepclust.training.train.CheckpointExport;
import io.deepclust.training.train.RunDirectory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust export}: a SavedModel from a run directory's newest complete checkpoint. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Export the newest complete checkpoint of a training run (e.g. one that was "
        + "stopped) to a SavedModel meeting the deepclust contract, then validate it. Newer "
        + "checkpoints that are incomplete or corrupt are skipped, each with a line saying why.")
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--run-dir", required = true, description = "Training run directory.")
  Path runDir;

  @Option(names = "--out", description = "Target directory (default: RUN_DIR/export).")
  Path out;

  @Override
  public Integer call() {
    RunDirectory run = new RunDirectory(runDir);
    Path target = out != null ? out : run.exportPath();
    CheckpointExport.latest(run, target, System.out);
    ContractValidator.validate(target);
    System.out.println("SavedModel: " + target.toAbsolutePath());
    return 0;
  }
}
