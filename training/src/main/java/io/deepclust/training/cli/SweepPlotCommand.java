package io.deepclust.training.cli;

import io.deepclust.training.report.SweepPlot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deepclust sweep-plot}: the VAB sweep figure from benchmark results. */
@Command(name = "sweep-plot", mixinStandardHelpOptions = true,
    description = "Plot test ACC and PSNR against bits per pixel from the results "
        + "BENCHMARK-bits<d>-seed<s>.json of a VAB sweep (mean ± SE over seeds, VaDE as a line).")
final class SweepPlotCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--results", defaultValue = "bench/results",
      description = "Folder of benchmark results (default: ${DEFAULT-VALUE}).")
  Path results;

  @Option(names = "--benchmark", defaultValue = "vab-mnist",
      description = "Benchmark name before -bits<d> (default: ${DEFAULT-VALUE}).")
  String benchmark;

  @Option(names = "--out", required = true, description = "PNG file to write.")
  Path out;

  @Override
  public Integer call() {
    if (!Files.isDirectory(results)) {
      throw new IllegalArgumentException("results folder " + results + " does not exist");
    }
    var points = SweepPlot.points(results, benchmark);
    SweepPlot.write(points, SweepPlot.vadeTestAcc(results), out);
    var w = spec.commandLine().getOut();
    w.printf("wrote %s: %d code lengths%n", out, points.size());
    for (var p : points) {
      w.printf("  d=%d BPP %.4f (paper %.4f): ACC %.2f ± %.2f, PSNR %.2f ± %.2f dB (%d runs)%n",
          p.bits(), p.bpp(), p.bits() / 1024.0, p.accMean(), p.accStandardError(), p.psnrMean(),
          p.psnrStandardError(), p.acc().size());
    }
    return 0;
  }
}
