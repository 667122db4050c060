package io.deepclust.training.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "predict", mixinStandardHelpOptions = true, description = "TODO")
final class PredictCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("predict is not written yet");
  }
}
