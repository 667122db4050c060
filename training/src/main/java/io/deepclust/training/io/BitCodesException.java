package io.deepclust.training.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A bit codes file ({@link BitCodes}) that is missing or malformed, or codes that cannot be
 * written as one.
 *
 * <p>Unchecked, like {@link io.deepclust.inference.io.DatasetException}: the message starts with
 * the file's path and then states the problem with the expected and found values; {@link
 * #problem()} classifies it for code (and tests) that react by kind.
 */
public final class BitCodesException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Problem {
    /** The file does not exist or is not a regular file. */
    MISSING,
    /** The file does not start with the magic bytes {@code "DCB1"}. */
    WRONG_MAGIC,
    /** The file ends inside its 12-byte header. */
    TRUNCATED_HEADER,
    /** The file ends before the n codes of d bits that its header declares. */
    TRUNCATED_DATA,
    /** Bytes follow the last code. */
    TRAILING_BYTES,
    /** d is 0 or more than {@link BitCodes#MAX_BITS}. */
    BAD_WIDTH,
    /** There are no codes: n = 0, or nothing to write. */
    NO_CODES,
    /** n is more than one Java array can hold. */
    TOO_MANY_CODES,
    /** A code's unused trailing bits are not all 0. */
    NONZERO_PADDING,
    /** A value to write is neither 0 nor 1. */
    NOT_A_BIT,
    /** The codes to write do not all have the same number of bits (or one is null). */
    RAGGED,
    /** Reading failed for another reason (permissions, an I/O error). */
    UNREADABLE
  }

  private final Path file;
  private final Problem problem;

  /**
   * @param file the file the problem is about (the one read, or the target of a write)
   * @param problem its kind
   * @param detail what exactly is wrong; appended to the file's path
   * @param cause the underlying exception, or {@code null}
   */
  public BitCodesException(Path file, Problem problem, String detail, Throwable cause) {
    super(file + ": " + detail, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /** Same as the four-argument constructor without a cause. */
  public BitCodesException(Path file, Problem problem, String detail) {
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
