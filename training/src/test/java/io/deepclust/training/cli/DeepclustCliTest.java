package io.deepclust.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.Contract;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad command lines end with one line on stderr and a non-zero exit, never a stack trace. */
class DeepclustCliTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DeepclustCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  static void assertOneLineError(Run r, int code, String mentions) {
    assertEquals(code, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(1, lines.length, "one line, got: " + r.err());
    assertTrue(lines[0].contains(mentions), lines[0]);
    assertFalse(r.err().contains("\tat "), "no stack trace");
  }

  @Test
  void unknownOptionIsAOneLineUsageError() {
    assertOneLineError(run("evaluate", "--model-dir", "x", "--bogus"), 2, "--bogus");
  }

  @Test
  void badValueIsAOneLineUsageError() {
    assertOneLineError(run("train", "--run-dir", "x", "--epochs", "many"), 2, "many");
  }

  @Test
  void unknownDatasetIsAOneLineUsageError() {
    assertOneLineError(run("evaluate", "--model-dir", "x", "--dataset", "cifar"), 2, "cifar");
  }

  @Test
  void missingModelDirectoryIsAOneLineFailure(@TempDir Path tmp) {
    assertOneLineError(run("predict", "--model-dir", tmp.resolve("none").toString(), "--input",
        tmp.toString(), "--output", tmp.resolve("o.csv").toString()), 1, "none");
  }

  @Test
  void aContractViolationPrintsItsReasonsOnTheOneLine(@TempDir Path tmp) throws Exception {
    Path model = new TinyVab(3).omit(Contract.SIG_PRIOR).omit(Contract.SIG_DECODE)
        .export(tmp.resolve("model"));
    Path idx = tmp.resolve("x-idx3-ubyte");
    TinyVab.writeIdx(idx, 2, 5);
    Run r = run("predict", "--model-dir", model.toString(), "--input", idx.toString(),
        "--output", tmp.resolve("o.csv").toString());
    assertOneLineError(r, 1, "does not meet the deepclust SavedModel contract");
    assertTrue(r.err().contains("missing signature 'prior'"), r.err());
    assertTrue(r.err().contains("missing signature 'decode'"), r.err());
  }

  @Test
  void everySubcommandHasHelp() {
    for (String c : new String[] {"train", "evaluate", "export", "predict", "generate", "baseline",
        "crosscheck", "compress", "classify-bits", "report"}) {
      Run r = run(c, "--help");
      assertEquals(0, r.code());
      assertTrue(r.out().contains("Usage: deepclust " + c), r.out());
    }
  }
}
