package io.deepclust.savedmodels;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.deepclust.inference.Contract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.commons.io.file.PathUtils;

/**
 * Writes a directory (a SavedModel, a checkpoint) under a temporary name beside its target and
 * renames it into place only once complete, so an interrupted export never leaves a half-written
 * model where a good one was. An existing target is replaced only after the new one is complete.
 */
public final class ExportDirectory {
  private ExportDirectory() {}

  /** Fills a fresh directory. */
  @FunctionalInterface
  public interface Writer {
    void write(Path dir) throws IOException;
  }

  /** Writes {@code target} atomically through {@code writer}. */
  public static void writeAtomically(Path target, Writer writer) {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    Path tmp = parent.resolve("." + abs.getFileName() + ".tmp-" + UUID.randomUUID());
    Path old = parent.resolve("." + abs.getFileName() + ".old-" + UUID.randomUUID());
    try {
      Files.createDirectories(parent);
      writer.write(tmp);
      if (Files.exists(abs)) {
        move(abs, old);
      }
      move(tmp, abs);
      if (Files.exists(old)) {
        PathUtils.deleteDirectory(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + abs + ": " + e.getMessage(), e);
    } finally {
      try {
        if (Files.exists(tmp)) {
          PathUtils.deleteDirectory(tmp);
        }
      } catch (IOException ignored) {
        // Leftover temporaries carry a dot prefix and a random suffix; they harm nothing.
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  /** Writes {@code assets/deepclust.json} into an export directory. */
  public static void writeAsset(Path exportDir, JsonObject info) throws IOException {
    Path assets = exportDir.resolve(Contract.ASSET_DIR);
    Files.createDirectories(assets);
    String json = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
        .create().toJson(info);
    Files.writeString(assets.resolve(Contract.ASSET_FILE), json + "\n", StandardCharsets.UTF_8);
  }
}
