package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine.TypeConversionException;

/** Bad numeric option values: exit 2, one line naming the option and the value, nothing run. */
class OptionValuesTest {
  @ParameterizedTest(name = "train {0} {1}")
  @CsvSource({
      "--epochs, -1, at least 1",
      "--epochs, 0, at least 1",
      "--batch-size, 0, at least 1",
      "--train-limit, -5, at least 1",
      "--train-limit, 0, at least 1",
      "--test-limit, -5, at least 1",
      "--bits, 0, 1..65535",
      "--bits, 65536, 1..65535",
      "--pretrain-epochs, -1, at least 0",
      "--checkpoint-every, 0, at least 1",
      "--keep-checkpoints, 0, at least 1",
      "--threads, 0, at least 1",
      "--epochs, 1.5, not an integer"})
  void trainRefusesTheValueBeforeTouchingTheRunDirectory(String option, String value,
      String rule, @TempDir Path tmp) {
    Path runDir = tmp.resolve("run");
    var r = run("train", "--model", "vab", "--run-dir", runDir.toString(), "--no-progress",
        "--no-report", option, value);
    assertOneLineError(r, 2, "option '" + option + "': ");
    String line = r.err().strip();
    assertTrue(line.contains(rule) && line.contains(value), line);
    assertFalse(Files.exists(runDir), "nothing written");
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource({
      "evaluate, --limit, -5",
      "evaluate, --limit, 0",
      "report, --limit, -5",
      "generate, --samples, 0",
      "generate, --steps, 1",
      "generate, --scale, 0",
      "baseline, --clusters, 0",
      "baseline, --restarts, 0"})
  void otherCommandsRefuseTheValueTheSameWay(String command, String option, String value,
      @TempDir Path tmp) {
    List<String> args = new ArrayList<>(List.of(command, option, value));
    switch (command) {
      case "evaluate" -> args.addAll(List.of("--model-dir", tmp.toString()));
      case "report" -> args.add(tmp.toString());
      case "generate" -> args.addAll(List.of("--model-dir", tmp.toString(), "--out",
          tmp.resolve("g.png").toString()));
      case "baseline" -> args.addAll(List.of("--method", "kmeans"));
      default -> throw new IllegalArgumentException(command);
    }
    var r = run(args.toArray(new String[0]));
    assertOneLineError(r, 2, "option '" + option + "': ");
    assertTrue(r.err().contains(value), r.err());
  }

  @Test
  void theBoundsAreInclusive() {
    assertEquals(1, new OptionValues.AtLeast1().convert("1"));
    assertEquals(0, new OptionValues.AtLeast0().convert("0"));
    assertEquals(2, new OptionValues.AtLeast2().convert("2"));
    assertEquals(65535, new OptionValues.Bits().convert("65535"));
    assertEquals(1, new OptionValues.Bits().convert("1"));
    var e = assertThrows(TypeConversionException.class,
        () -> new OptionValues.Bits().convert("65536"));
    assertEquals("must be 1..65535 (bits per code of a bit codes file), not 65536",
        e.getMessage());
    assertEquals("must be at least 1, not 0", assertThrows(TypeConversionException.class,
        () -> new OptionValues.AtLeast1().convert("0")).getMessage());
    assertEquals("'x' is not an integer", assertThrows(TypeConversionException.class,
        () -> new OptionValues.AtLeast1().convert("x")).getMessage());
  }
}
