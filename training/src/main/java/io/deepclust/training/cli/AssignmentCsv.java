package io.deepclust.training.cli;

import io.deepclust.inference.Assignment;
import io.deepclust.training.io.AtomicFile;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The CSV of cluster assignments that {@code predict} and {@code classify-bits} write: the header
 * {@code name,cluster,probability}, then one row per input: its name (a PNG's file name, or the
 * row index in an idx or bit codes file), its cluster and q(cluster|input) with six decimals.
 */
final class AssignmentCsv {
  static final String HEADER = "name,cluster,probability";

  private AssignmentCsv() {}

  /** Writes the CSV to {@code target} atomically (temporary file in its folder, then renamed). */
  static void write(Path target, List<String> names, Assignment a) {
    if (names.size() != a.size()) {
      throw new IllegalArgumentException(names.size() + " names for " + a.size() + " rows");
    }
    AtomicFile.write(target, out -> {
      PrintWriter w = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
      w.print(HEADER + "\n");
      for (int i = 0; i < a.size(); i++) {
        int k = a.clusters()[i];
        w.print(String.format(Locale.ROOT, "%s,%d,%.6f\n", csv(names.get(i)), k, a.probs()[i][k]));
      }
      w.flush();
      if (w.checkError()) {
        throw new IOException("write failed");
      }
    });
  }

  /** Row names 0, 1, …, n − 1, for inputs that have no names of their own. */
  static List<String> indices(int n) {
    return IntStream.range(0, n).mapToObj(Integer::toString).toList();
  }

  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
