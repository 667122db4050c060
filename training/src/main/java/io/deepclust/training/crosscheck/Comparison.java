package io.deepclust.training.crosscheck;

import java.io.PrintStream;

/**
 * One row of the cross-check table: a quantity computed by Java against the Python reference.
 * max abs diff = max_i |a_i − b_i|; max rel diff = max abs diff / max_i |b_i| (relative to the
 * tensor's scale, b the reference). For integer outputs (clusters) abs counts the mismatches and
 * rel is their fraction.
 */
public record Comparison(String model, String check, String quantity, double maxAbs, double maxRel,
    boolean pass) {

  /** Compares float arrays against a threshold on the relative difference. */
  public static Comparison of(String model, String check, String quantity, float[] actual,
      float[] reference, double threshold) {
    if (actual.length != reference.length) {
      return new Comparison(model, check, quantity + " (size " + actual.length + " vs "
          + reference.length + ")", Double.NaN, Double.NaN, false);
    }
    double maxAbs = 0;
    double scale = 0;
    for (int i = 0; i < actual.length; i++) {
      double d = Math.abs((double) actual[i] - reference[i]);
      maxAbs = Double.isNaN(d) ? Double.NaN : Math.max(maxAbs, d);
      scale = Math.max(scale, Math.abs(reference[i]));
    }
    double maxRel = scale == 0 ? maxAbs : maxAbs / scale;
    return new Comparison(model, check, quantity, maxAbs, maxRel, maxRel <= threshold);
  }

  /** Compares integer arrays: every entry must agree. */
  public static Comparison of(String model, String check, String quantity, long[] actual,
      long[] reference) {
    if (actual.length != reference.length) {
      return new Comparison(model, check, quantity, Double.NaN, Double.NaN, false);
    }
    int mismatches = 0;
    for (int i = 0; i < actual.length; i++) {
      if (actual[i] != reference[i]) {
        mismatches++;
      }
    }
    return new Comparison(model, check, quantity, mismatches,
        actual.length == 0 ? 0 : mismatches / (double) actual.length, mismatches == 0);
  }

  /** The row in the table's markdown form. */
  public void print(PrintStream out) {
    out.printf("| %s | %s | %s | %.2e | %.2e | %s |%n", model, check, quantity, maxAbs, maxRel,
        pass ? "pass" : "fail");
  }
}
