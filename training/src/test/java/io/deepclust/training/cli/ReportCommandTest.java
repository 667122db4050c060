package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code deepclust report}'s one-line errors for incomplete run directories. */
class ReportCommandTest {
  @Test
  void aMissingRunDirectoryIsNamed(@TempDir Path tmp) {
    assertOneLineError(run("report", tmp.resolve("none").toString()), 1,
        "run directory " + tmp.resolve("none") + " does not exist");
  }

  @Test
  void aRunWithoutMetricsSaysSo(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("config.json"), "{\"model\":\"vade\",\"dataset\":\"mnist\"}");
    assertOneLineError(run("report", tmp.toString()), 1, "has no metrics.jsonl");
  }

  @Test
  void aRunWithoutExportNamesTheExportCommand(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("config.json"), "{\"model\":\"vade\",\"dataset\":\"mnist\"}");
    Files.writeString(tmp.resolve("metrics.jsonl"), "{\"epoch\":1,\"loss\":1}\n");
    assertOneLineError(run("report", tmp.toString()), 1,
        "run ./deepclust export --run-dir " + tmp + " first");
  }

  @Test
  void aLimitBelowOneIsAUsageError(@TempDir Path tmp) {
    assertOneLineError(run("report", tmp.toString(), "--limit", "0"), 2, "--limit");
  }

  @Test
  void theRunDirectoryIsRequired() {
    assertOneLineError(run("report"), 2, "RUN_DIR");
  }
}
