package io.deepclust.training.crosscheck;

import java.io.PrintStream;

/**
 * One row of the cross-check table: a quantity computed by Java against the Python reference.
 * max abs diff = max_i |a_i − b_i|; max rel diff = max abs diff / max_i |b_i| (relative to the
 * tensor's scale, b the reference). For integer outputs (clusters) abs counts the mismatches and
 * rel is their fraction. {@code ofGate} is the fraction of the row's gate used (rel / threshold, or
 * the largest |a_i − b_i| / bound_i for rows gated by a per-entry bound); a row passes iff it is at
 * most 1. A row that is not gated ({@code gated} false: a printed figure such as the free-run
 * drift) always passes and prints "info".
 */
public record Comparison(String model, String check, String quantity, double maxAbs, double maxRel,
    double ofGate, boolean gated, boolean pass) {

  /** The table's header, the same on both sides (the Python verify step prints these columns). */
  public static final String HEADER = "| model | check | quantity | max abs diff | max rel diff "
      + "| of gate | result |\n|---|---|---|---|---|---|---|";

  /** Compares float arrays against a threshold on the relative difference. */
  public static Comparison of(String model, String check, String quantity, float[] actual,
      float[] reference, double threshold) {
    if (actual.length != reference.length) {
      return failed(model, check, quantity + " (size " + actual.length + " vs "
          + reference.length + ")");
    }
    double maxAbs = maxAbs(actual, reference);
    double maxRel = relative(maxAbs, reference);
    double ofGate = threshold == 0 ? (maxRel == 0 ? 0 : Double.POSITIVE_INFINITY)
        : maxRel / threshold;
    return new Comparison(model, check, quantity, maxAbs, maxRel, ofGate, true, ofGate <= 1);
  }

  /** A figure that is printed, not gated (e.g. the free-run drift). */
  public static Comparison info(String model, String check, String quantity, float[] actual,
      float[] reference) {
    if (actual.length != reference.length) {
      return failed(model, check, quantity + " (size " + actual.length + " vs "
          + reference.length + ")");
    }
    double maxAbs = maxAbs(actual, reference);
    return new Comparison(model, check, quantity, maxAbs, relative(maxAbs, reference), Double.NaN,
        false, true);
  }

  /** Compares integer arrays: every entry must agree. */
  public static Comparison of(String model, String check, String quantity, long[] actual,
      long[] reference) {
    if (actual.length != reference.length) {
      return failed(model, check, quantity);
    }
    int mismatches = 0;
    for (int i = 0; i < actual.length; i++) {
      if (actual[i] != reference[i]) {
        mismatches++;
      }
    }
    return new Comparison(model, check, quantity, mismatches,
        actual.length == 0 ? 0 : mismatches / (double) actual.length,
        mismatches == 0 ? 0 : Double.POSITIVE_INFINITY, true, mismatches == 0);
  }

  /** A row that failed before it could be measured (sizes differ, a value is missing). */
  public static Comparison failed(String model, String check, String quantity) {
    return new Comparison(model, check, quantity, Double.NaN, Double.NaN, Double.NaN, true, false);
  }

  /** max_i |a_i − b_i| (NaN if any difference is NaN). */
  static double maxAbs(float[] actual, float[] reference) {
    double maxAbs = 0;
    for (int i = 0; i < actual.length; i++) {
      double d = Math.abs((double) actual[i] - reference[i]);
      maxAbs = Double.isNaN(d) ? Double.NaN : Math.max(maxAbs, d);
      if (Double.isNaN(maxAbs)) {
        return maxAbs;
      }
    }
    return maxAbs;
  }

  /** max_i |a_i − b_i| / max_i |b_i| (the abs diff itself when b is all zeros). */
  static double relative(float[] actual, float[] reference) {
    return relative(maxAbs(actual, reference), reference);
  }

  /** {@code maxAbs} / max_i |b_i| (maxAbs itself when b is all zeros). */
  static double relative(double maxAbs, float[] reference) {
    double scale = 0;
    for (float r : reference) {
      scale = Math.max(scale, Math.abs(r));
    }
    return scale == 0 ? maxAbs : maxAbs / scale;
  }

  /** The row in the table's markdown form. */
  public void print(PrintStream out) {
    String gate = gated ? String.format("%.2e", ofGate) : "-";
    out.printf("| %s | %s | %s | %.2e | %.2e | %s | %s |%n", model, check, quantity, maxAbs,
        maxRel, gate, !gated ? "info" : pass ? "pass" : "fail");
  }
}
