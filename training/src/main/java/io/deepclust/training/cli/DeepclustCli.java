package io.deepclust.training.cli;

import io.deepclust.training.data.Datasets;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code deepclust} command line: {@code train}, {@code evaluate}, {@code export}, {@code
 * predict}, {@code generate}, {@code report}, and for VAB models {@code compress} and {@code
 * classify-bits}. Bad options and bad values end with a one-line error and exit code 2; failures
 * while running (a missing file, a broken model) with a one-line error and exit code 1; never a
 * stack trace unless {@code DEEPCLUST_DEBUG} is set.
 */
@Command(name = "deepclust", mixinStandardHelpOptions = true, version = "deepclust 0.1.0",
    description = "Deep-clustering VAEs on TensorFlow for Java.",
    subcommands = {TrainCommand.class, EvaluateCommand.class, ExportCommand.class,
        PredictCommand.class, GenerateCommand.class, CompressCommand.class,
        ClassifyBitsCommand.class, CrossCheckCommand.class, BaselineCommand.class,
        SweepPlotCommand.class, ReportCommand.class, PerfWorkerCommand.class,
        CommandLine.HelpCommand.class})
public final class DeepclustCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand: one of train, evaluate, export, predict");
  }

  /** A usage error (exit 2) unless {@code dataset} is one that {@link Datasets} knows. */
  static void requireDataset(Object command, String dataset) {
    if (!Datasets.NAMES.contains(dataset)) {
      throw new CommandLine.ParameterException(new CommandLine(command),
          "unknown dataset '" + dataset + "': one of " + Datasets.NAMES);
    }
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code (tests call this). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new DeepclustCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("deepclust: " + ex.getMessage().lines().findFirst().orElse("bad arguments")
          + " (see --help)");
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (System.getenv("DEEPCLUST_DEBUG") != null) {
        ex.printStackTrace(err);
      }
      String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
      err.println("deepclust " + commandLine.getCommandName() + ": " + oneLine(msg));
      return 1;
    });
    return cl.execute(args);
  }

  /**
   * A failure's message as one line: its first line, then the list items ({@code "- reason"}) that
   * follow it joined by "; ", so a contract violation keeps its reasons. Other continuation lines
   * (TensorFlow's node dumps) are left out; {@code DEEPCLUST_DEBUG} shows them.
   */
  static String oneLine(String message) {
    List<String> lines = message.lines().map(String::strip).toList();
    if (lines.isEmpty()) {
      return message;
    }
    List<String> reasons = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (!line.startsWith("- ")) {
        break;
      }
      reasons.add(line.substring(2).strip());
    }
    return reasons.isEmpty() ? lines.get(0) : lines.get(0) + " " + String.join("; ", reasons);
  }
}
