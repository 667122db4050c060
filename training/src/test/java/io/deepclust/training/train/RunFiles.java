package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The files of a run directory, to prove that a refused run left an earlier one as it was. */
public final class RunFiles {
  private RunFiles() {}

  /** Every file under {@code dir} (relative path → bytes) and every folder (→ null). */
  public static Map<String, ByteBuffer> snapshot(Path dir) throws IOException {
    Map<String, ByteBuffer> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        out.put(dir.relativize(p).toString(),
            Files.isDirectory(p) ? null : ByteBuffer.wrap(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  /**
   * The same paths with byte-identical content, naming the first that differs; {@code before} is
   * a finished run (checkpoints, config.json, metrics.jsonl), so the check has something to lose.
   */
  public static void assertUnchanged(Map<String, ByteBuffer> before,
      Map<String, ByteBuffer> after) {
    assertTrue(before.keySet().stream().anyMatch(p -> p.startsWith(RunDirectory.CHECKPOINT_PREFIX))
        && before.containsKey(RunDirectory.CONFIG) && before.containsKey(RunDirectory.METRICS),
        "the earlier run has checkpoints, config.json and metrics.jsonl: " + before.keySet());
    assertEquals(before.keySet(), after.keySet(), "the run directory's files");
    before.forEach((path, bytes) -> assertEquals(bytes, after.get(path), path));
  }
}
