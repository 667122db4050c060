package io.deepclust.training.cli;

import io.deepclust.training.io.BitCodes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The one rule for numeric option values: each option names its range by converter ({@code
 * converter = OptionValues.AtLeast1.class}), so picocli refuses a value outside it while parsing,
 * before a command reads a file or touches a run directory, with one line naming the option and
 * the value ("Invalid value for option '--epochs': must be at least 1, not 0") and exit 2.
 */
final class OptionValues {
  private OptionValues() {}

  /** Integers in [min, max]; {@code why} (may be empty) says where a maximum comes from. */
  abstract static class IntRange implements ITypeConverter<Integer> {
    private final int min;
    private final int max;
    private final String why;

    IntRange(int min, int max, String why) {
      this.min = min;
      this.max = max;
      this.why = why;
    }

    @Override
    public Integer convert(String value) {
      int v;
      try {
        v = Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not an integer");
      }
      if (v < min || v > max) {
        String range = max == Integer.MAX_VALUE ? "at least " + min : min + ".." + max;
        throw new TypeConversionException("must be " + range + (why.isEmpty() ? "" : " (" + why
            + ")") + ", not " + v);
      }
      return v;
    }
  }

  /** Counts that may be zero (pretraining epochs). */
  static final class AtLeast0 extends IntRange {
    AtLeast0() {
      super(0, Integer.MAX_VALUE, "");
    }
  }

  /** Epochs, batch sizes, image limits, threads, grid sizes. */
  static final class AtLeast1 extends IntRange {
    AtLeast1() {
      super(1, Integer.MAX_VALUE, "");
    }
  }

  /** Interpolation steps (both ends). */
  static final class AtLeast2 extends IntRange {
    AtLeast2() {
      super(2, Integer.MAX_VALUE, "");
    }
  }

  /** VAB code bits d: what a bit codes file can hold, so that {@code compress} can write them. */
  static final class Bits extends IntRange {
    Bits() {
      super(1, BitCodes.MAX_BITS, "bits per code of a bit codes file");
    }
  }
}
