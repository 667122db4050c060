package io.deepclust.training.data;

import io.deepclust.inference.io.IdxReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small idx files for tests: a big-endian header then raw bytes, optionally gzipped. */
final class IdxTestFiles {
  private IdxTestFiles() {}

  /** Header {@code magic, dims...} followed by {@code data}. */
  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length); // big-endian by default
    header.putInt(magic);
    for (int d : dims) {
      header.putInt(d);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header.array());
    out.writeBytes(data);
    return out.toByteArray();
  }

  static Path write(Path file, byte[] bytes) throws IOException {
    if (file.getFileName().toString().endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
        out.write(bytes);
      }
    } else {
      Files.write(file, bytes);
    }
    return file;
  }

  /** Gzips {@code bytes} whatever the file name, to test detection by magic. */
  static Path writeGzipped(Path file, byte[] bytes) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(bytes);
    }
    return file;
  }

  static Path images(Path file, int count, int rows, int cols, byte[] pixels) throws IOException {
    return write(file, idx(IdxReader.IMAGES_MAGIC, new int[] {count, rows, cols}, pixels));
  }

  static Path labels(Path file, byte[] labels) throws IOException {
    return write(file, idx(IdxReader.LABELS_MAGIC, new int[] {labels.length}, labels));
  }

  /** {@code count} bytes {@code 0, 1, 2, ...} modulo 256. */
  static byte[] ramp(int count) {
    byte[] b = new byte[count];
    for (int i = 0; i < count; i++) {
      b[i] = (byte) i;
    }
    return b;
  }
}
