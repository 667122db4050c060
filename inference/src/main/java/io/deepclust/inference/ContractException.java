package io.deepclust.inference;

/**
 * A SavedModel directory does not meet the deepclust contract (see {@link Contract}): a missing or
 * malformed {@code assets/deepclust.json}, a missing signature, or a signature tensor of the wrong
 * key, dtype or shape. The message names the file or signature and what is wrong.
 */
public class ContractException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, naming the file or signature
   */
  public ContractException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong, naming the file or signature
   * @param cause the underlying error (I/O, parse, TensorFlow)
   */
  public ContractException(String message, Throwable cause) {
    super(message, cause);
  }
}
