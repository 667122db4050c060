package io.deepclust.inference.io;

import io.deepclust.inference.io.DatasetException.Problem;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the idx format of LeCun's MNIST distribution, plain or gzip-compressed.
 *
 * <p>Layout (all integers big-endian, 32 bits): magic {@code 0x0000TTDD} where {@code TT} is the
 * element type ({@code 0x08}: unsigned byte, the only type accepted here) and {@code DD} the number
 * of dimensions; then {@code DD} dimension sizes; then {@code prod(sizes)} elements in row-major
 * order, and nothing after them (trailing bytes are refused). Images are {@code 0x00000803}
 * ({@code [count, rows, cols]}), labels {@code 0x00000801} ({@code [count]}). A file is
 * decompressed when its name ends in {@code .gz} or it starts with the gzip magic {@code 0x1f8b}.
 *
 * <p>Every failure is a {@link DatasetException} whose message names the file and the problem.
 */
public final class IdxReader {
  /** Magic number of an unsigned-byte idx file with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an unsigned-byte idx file with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  /** Number of classes in MNIST and Fashion-MNIST, the default label range. */
  public static final int DEFAULT_NUM_CLASSES = 10;

  /** What {@code tools/fetch-data} installs, suggested whenever a file is missing. */
  public static final String FETCH_HINT =
      "run tools/fetch-data to install the datasets into ${DEEPCLUST_DATA:-~/.cache/deepclust}";

  private static final int UNSIGNED_BYTE_TYPE = 0x08;
  private static final int GZIP_MAGIC = 0x1f8b;
  private static final int BUFFER_SIZE = 1 << 16;
  /** The first array a gzip stream's data is read into; it doubles as the data keeps coming. */
  private static final int FIRST_CHUNK = 1 << 20;

  private IdxReader() {}

  /**
   * Raw images of an idx3 file.
   *
   * @param count number of images
   * @param rows image height
   * @param cols image width
   * @param data {@code count * rows * cols} unsigned bytes, row-major (read with {@code b & 0xFF})
   */
  public record Images(int count, int rows, int cols, byte[] data) {
    /** Image {@code i} as the models read it: rows·cols floats, each byte / 255. */
    public float[] pixels(int i) {
      int size = rows * cols;
      float[] out = new float[size];
      for (int j = 0; j < size; j++) {
        out[j] = (data[i * size + j] & 0xff) / 255f;
      }
      return out;
    }
  }

  /** Reads an idx3 unsigned-byte images file (magic {@code 0x00000803}). */
  public static Images readImages(Path file) {
    Contents c = read(file, IMAGES_MAGIC, "pixel");
    return new Images(c.dims()[0], c.dims()[1], c.dims()[2], c.data());
  }

  /** Reads an idx1 labels file, requiring every label to lie in {@code [0, numClasses)}. */
  public static int[] readLabels(Path file, int numClasses) {
    if (numClasses < 1 || numClasses > 256) {
      throw new IllegalArgumentException(
          "numClasses must be in [1, 256] for unsigned-byte labels, got " + numClasses);
    }
    byte[] data = read(file, LABELS_MAGIC, "label").data();
    int[] labels = new int[data.length];
    for (int i = 0; i < data.length; i++) {
      labels[i] = data[i] & 0xFF;
      if (labels[i] >= numClasses) {
        throw new DatasetException(
            file,
            Problem.LABEL_OUT_OF_RANGE,
            String.format(
                "label out of range at index %d: value %d, expected a value in [0, %d)",
                i, labels[i], numClasses));
      }
    }
    return labels;
  }

  /** Reads labels with the default range {@code [0, 10)}. */
  public static int[] readLabels(Path file) {
    return readLabels(file, DEFAULT_NUM_CLASSES);
  }

  private record Contents(int[] dims, byte[] data) {}

  /**
   * The header's dimension sizes and exactly the data they declare. Nothing is allocated beyond
   * what the file holds: a plain file's declared size is checked against its length before the
   * data array exists, and a gzip stream's data array grows only as bytes arrive, so a header that
   * claims 2^31 images costs a message, not the heap.
   */
  private static Contents read(Path file, int expectedMagic, String what) {
    try (InputStream in = open(file)) {
      boolean gzip = in instanceof GZIPInputStream;
      int[] dims = readHeader(file, in, expectedMagic);
      long header = 4L + 4L * dims.length;
      int total = (int) checkedSize(file, dims);
      if (!gzip) {
        long size = Files.size(file);
        if (size < header + total) {
          throw truncatedData(file, total, what, size - header, " in a file of " + size + " bytes");
        }
        if (size > header + total) {
          throw trailing(file, "it", size, header, total, what);
        }
      }
      byte[] data = gzip ? readGrowing(in, total) : new byte[total];
      int got = gzip ? data.length : readFully(in, data, total);
      if (got < total) {
        throw truncatedData(file, total, what, got, gzip ? " after decompressing" : "");
      }
      if (gzip) {
        long extra = drain(in);
        if (extra > 0) {
          throw trailing(file, "decompressed, it", header + total + extra, header, total, what);
        }
      }
      return new Contents(dims, data);
    } catch (ZipException e) {
      throw notGzip(file, e);
    } catch (IOException e) {
      throw unreadable(file, e);
    }
  }

  /**
   * Opens {@code file} for reading, decompressing when its name ends in {@code .gz} or its first
   * two bytes are the gzip magic.
   */
  static InputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      String what = Files.exists(file) ? "not a regular file" : "file missing";
      throw new DatasetException(file, Problem.MISSING, what + "; " + FETCH_HINT);
    }
    BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER_SIZE);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      boolean gzip =
          file.getFileName().toString().endsWith(".gz") || ((b0 << 8) | b1) == GZIP_MAGIC;
      return gzip ? new GZIPInputStream(in, BUFFER_SIZE) : in;
    } catch (EOFException e) {
      in.close();
      throw new DatasetException(
          file, Problem.TRUNCATED, "truncated: the file ends inside its gzip header", e);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  private static int[] readHeader(Path file, InputStream in, int expectedMagic) throws IOException {
    byte[] magicBytes = new byte[4];
    int got = readFully(in, magicBytes, 4);
    if (got < 4) {
      throw new DatasetException(
          file,
          Problem.TRUNCATED,
          String.format("truncated header: expected 4 bytes of magic number, found %d", got));
    }
    int magic = bigEndian(magicBytes, 0);
    int expectedDims = expectedMagic & 0xFF;
    if ((magic >>> 8) != UNSIGNED_BYTE_TYPE) {
      throw new DatasetException(
          file,
          Problem.WRONG_MAGIC,
          String.format(
              "wrong magic number: expected 0x%08X (unsigned-byte idx, %d dimensions), found"
                  + " 0x%08X",
              expectedMagic, expectedDims, magic));
    }
    int dimCount = magic & 0xFF;
    if (dimCount != expectedDims) {
      throw new DatasetException(
          file,
          Problem.WRONG_DIMENSIONS,
          String.format(
              "wrong dimension count: expected %d (magic 0x%08X), found %d (magic 0x%08X)%s",
              expectedDims, expectedMagic, dimCount, magic, kindHint(magic)));
    }
    byte[] dimBytes = new byte[4 * dimCount];
    got = readFully(in, dimBytes, dimBytes.length);
    if (got < dimBytes.length) {
      throw new DatasetException(
          file,
          Problem.TRUNCATED,
          String.format(
              "truncated header: expected %d bytes of dimension sizes, found %d",
              dimBytes.length, got));
    }
    int[] dims = new int[dimCount];
    for (int d = 0; d < dimCount; d++) {
      dims[d] = bigEndian(dimBytes, 4 * d);
    }
    return dims;
  }

  private static String kindHint(int magic) {
    if (magic == IMAGES_MAGIC) {
      return "; this looks like an images file";
    }
    if (magic == LABELS_MAGIC) {
      return "; this looks like a labels file";
    }
    return "";
  }

  private static long checkedSize(Path file, int[] dims) {
    long total = 1;
    for (int d = 0; d < dims.length; d++) {
      if (dims[d] < 0) {
        throw new DatasetException(
            file,
            Problem.WRONG_DIMENSIONS,
            String.format("invalid size of dimension %d: %d (read as signed 32-bit)", d, dims[d]));
      }
      total *= dims[d];
      if (total > Integer.MAX_VALUE - 8) {
        throw new DatasetException(
            file,
            Problem.WRONG_DIMENSIONS,
            "dimension sizes " + Arrays.toString(dims) + " exceed one Java array");
      }
    }
    return total;
  }

  /**
   * Up to {@code expected} bytes of a stream whose length is unknown until read (gzip), in an
   * array that grows as they arrive; shorter than {@code expected} if the stream ends first.
   */
  private static byte[] readGrowing(InputStream in, int expected) throws IOException {
    byte[] data = new byte[Math.min(expected, FIRST_CHUNK)];
    int off = 0;
    while (true) {
      off += readFully(in, data, off, data.length - off);
      if (off < data.length || off == expected) {
        return off == data.length ? data : Arrays.copyOf(data, off);
      }
      data = Arrays.copyOf(data, (int) Math.min(expected, 2L * data.length));
    }
  }

  /** Reads {@code in} to its end and returns how many bytes that was. */
  private static long drain(InputStream in) throws IOException {
    byte[] buf = new byte[BUFFER_SIZE];
    long count = 0;
    int got;
    while ((got = readFully(in, buf, 0, buf.length)) > 0) {
      count += got;
    }
    return count;
  }

  private static DatasetException truncatedData(
      Path file, int expected, String what, long found, String note) {
    return new DatasetException(
        file,
        Problem.TRUNCATED,
        String.format(
            "truncated data: expected %d bytes of %s data after the header, found %d%s",
            expected, what, found, note));
  }

  private static DatasetException trailing(
      Path file, String subject, long size, long header, int data, String what) {
    return new DatasetException(
        file,
        Problem.TRAILING_BYTES,
        String.format(
            "trailing bytes: %s holds %d bytes, %d trailing after the %d its header declares"
                + " (%d-byte header, %d bytes of %s data)",
            subject, size, size - header - data, header + data, header, data, what));
  }

  /**
   * Reads up to {@code len} bytes; returns how many there were. A gzip stream that ends early
   * raises {@link EOFException}, which here counts as the end of the data.
   */
  private static int readFully(InputStream in, byte[] buf, int len) throws IOException {
    return readFully(in, buf, 0, len);
  }

  /** Reads up to {@code len} bytes into {@code buf} from {@code from}; returns how many. */
  private static int readFully(InputStream in, byte[] buf, int from, int len) throws IOException {
    int off = 0;
    try {
      while (off < len) {
        int r = in.read(buf, from + off, len - off);
        if (r < 0) {
          break;
        }
        off += r;
      }
    } catch (EOFException e) {
      // truncated compressed stream: report the bytes decoded so far
    }
    return off;
  }

  private static int bigEndian(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24)
        | ((b[at + 1] & 0xFF) << 16)
        | ((b[at + 2] & 0xFF) << 8)
        | (b[at + 3] & 0xFF);
  }

  private static DatasetException notGzip(Path file, ZipException e) {
    String why =
        "Not in GZIP format".equals(e.getMessage())
            ? "it does not start with the gzip magic 1f 8b"
            : String.valueOf(e.getMessage());
    return new DatasetException(file, Problem.NOT_GZIP, "not valid gzip: " + why, e);
  }

  private static DatasetException unreadable(Path file, IOException e) {
    return new DatasetException(file, Problem.UNREADABLE, "cannot read: " + e, e);
  }
}
