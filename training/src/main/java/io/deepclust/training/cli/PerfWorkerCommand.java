package io.deepclust.training.cli;

import io.deepclust.training.perf.PerfWorker;
import io.deepclust.training.train.Device;
import io.deepclust.training.train.Xla;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deepclust perf-worker}: the Java worker of {@code bench/perf} (see {@link PerfWorker} for
 * its stdin protocol). Hidden: the benchmark starts it, people run {@code bench/perf}.
 */
@Command(name = "perf-worker", hidden = true, mixinStandardHelpOptions = true,
    description = "Time training steps, inference calls or matmuls on command (bench/perf).")
final class PerfWorkerCommand implements Callable<Integer> {
  @Option(names = "--model", description = "Train this model (its paper MNIST config).")
  String model;

  @Option(names = "--mode", defaultValue = "session", description = "session or eager.")
  String mode;

  @Option(names = "--savedmodel", description = "Serve this SavedModel instead.")
  Path savedModel;

  @Option(names = "--max-batch", defaultValue = "1024",
      description = "Largest inference batch (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--threads", defaultValue = "0",
      description = "Intra- and inter-op threads; 0: TensorFlow's choice.")
  int threads;

  @Option(names = "--xla", defaultValue = "auto", description = "auto (as train: on for kdvae),"
      + " on or off: XLA auto-clustering (global_jit_level ON_1).")
  Xla xla;

  @Override
  public Integer call() {
    if ((model == null) == (savedModel == null)) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "give exactly one of --model and --savedmodel");
    }
    boolean useXla = xla.use(model, Device.DEFAULT);
    try (PerfWorker w = model != null ? PerfWorker.training(model, mode, threads, useXla)
        : PerfWorker.inference(savedModel, maxBatch, threads, useXla)) {
      PerfWorker.run(w, w.describe(model != null ? "train" : "infer", mode, threads));
    }
    return 0;
  }
}
