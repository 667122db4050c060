package io.deepclust.inference.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A dataset file that is missing, malformed or inconsistent with its partner file.
 *
 * <p>Unchecked, like {@link java.io.UncheckedIOException}: a training run cannot recover from bad
 * input data, and callers that can (a command line printing the message) catch it by type. The
 * message always starts with the offending file's path and then states the problem with the
 * expected and found values; {@link #problem()} classifies it for code that reacts by kind.
 */
public final class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, so callers (and tests) need not parse the message. */
  public enum Problem {
    /** The file does not exist or is not a regular file. */
    MISSING,
    /** The idx magic number is not the one for this kind of file. */
    WRONG_MAGIC,
    /** The idx header declares a different number of dimensions, or an invalid dimension size. */
    WRONG_DIMENSIONS,
    /** The file ends before its header or data does. */
    TRUNCATED,
    /** Bytes follow the data that the header declares. */
    TRAILING_BYTES,
    /** The file is named or marked as gzip but is not a valid gzip stream. */
    NOT_GZIP,
    /** The file is well formed but holds no items. */
    EMPTY,
    /** The images file and the labels file hold different numbers of items. */
    COUNT_MISMATCH,
    /** A label lies outside {@code [0, numClasses)}. */
    LABEL_OUT_OF_RANGE,
    /** Reading failed for another reason (permissions, an I/O error, ...). */
    UNREADABLE
  }

  private final Path file;
  private final Problem problem;

  /**
   * @param file the file the problem is about
   * @param problem its kind
   * @param detail what exactly is wrong; appended to the file's path
   * @param cause the underlying exception, or {@code null}
   */
  public DatasetException(Path file, Problem problem, String detail, Throwable cause) {
    super(file + ": " + detail, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /** Same as the four-argument constructor without a cause. */
  public DatasetException(Path file, Problem problem, String detail) {
    this(file, problem, detail, null);
  }

  /** The file the problem is about. */
  public Path file() {
    return file;
  }

  /** The kind of problem. */
  public Problem problem() {
    return problem;
  }
}
