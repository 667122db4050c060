package io.deepclust.training.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The worker's stdin protocol: one answer line per command, errors as lines, not exits. */
class PerfWorkerTest {
  private static String[] serve(PerfWorker w, String commands) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    w.serve(new BufferedReader(new StringReader(commands)),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8).split("\n");
  }

  @Test
  void answersEachCommandWithOneLine() {
    try (PerfWorker w = PerfWorker.training("vab", "session", 1, false)) {
      String[] lines = serve(w, "train 3\nmatmul 32 2\nrss\ninfer 1 1\nbogus\nquit\ntrain 1\n");
      assertEquals(5, lines.length, String.join("|", lines)); // nothing after quit
      String[] times = lines[0].split(" ");
      assertEquals("times", times[0]);
      assertEquals(4, times.length);
      for (int i = 1; i < times.length; i++) {
        assertTrue(Long.parseLong(times[i]) > 0);
      }
      assertEquals(3, lines[1].split(" ").length);
      String[] rss = lines[2].split(" ");
      assertEquals("rss", rss[0]);
      // Peak ≥ current, and a JVM with TensorFlow loaded holds well over 50 MB.
      assertTrue(Long.parseLong(rss[1]) >= Long.parseLong(rss[2]));
      assertTrue(Long.parseLong(rss[2]) > 50_000, lines[2]);
      assertTrue(lines[3].startsWith("error this worker trains"), lines[3]);
      assertEquals("error unknown command 'bogus'", lines[4]);
    }
  }
}
