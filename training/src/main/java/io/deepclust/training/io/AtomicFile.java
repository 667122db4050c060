package io.deepclust.training.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a file so that readers see either the old file or the complete new one, never a part:
 * the bytes go to a hidden temporary file in the target's folder, which is then renamed over the
 * target (atomically where the file system can).
 */
public final class AtomicFile {
  /** Writes the content of a file. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFile() {}

  /**
   * Writes {@code content} to {@code target}, creating missing parent folders; on any failure the
   * target is left as it was and the temporary file is removed.
   *
   * @throws UncheckedIOException naming the target if it cannot be written
   */
  public static void write(Path target, Content content) {
    Path abs = target.toAbsolutePath();
    Path tmp = null;
    try {
      Files.createDirectories(abs.getParent());
      // A fresh name, created with the default permissions (the umask's, like any file written
      // in place), which createTempFile would narrow to the owner.
      tmp = abs.resolveSibling("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp,
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
        content.writeTo(out);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      try {
        if (tmp != null) {
          Files.deleteIfExists(tmp);
        }
      } catch (IOException ignored) {
        // A leftover temporary is hidden (dot prefix) and harmless.
      }
    }
  }
}
