package io.deepclust.training.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.IdxReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the readers of the two binary input formats, idx ({@link IdxReader}, plain and gzipped)
 * and bit codes ({@link BitCodes}): valid small files, then truncated, extended, with a byte
 * flipped, or with a header field set to an edge value (0, -1, 2^31 - 1, 2^31, 2^30, a count of
 * MNIST-sized images that fills one Java array, ...). Every case either reads back what the header
 * declares or throws the format's documented exception ({@link DatasetException}, {@link
 * BitCodesException}) naming the file on one line; nothing else is thrown (no {@code
 * OutOfMemoryError}, {@code NegativeArraySizeException}, ...), no read allocates more than {@link
 * #MAX_ALLOCATION} for these files of at most a few tens of kB, and the whole run ends within
 * {@link #TIME_LIMIT}.
 *
 * <p>Case {@code i} draws from {@code new Random(SEED * 1_000_003 + i)}, so a failing case is
 * reproduced by its index alone; the message gives it and the file's first bytes.
 */
class InputFilesFuzzTest {
  static final long SEED = 16;
  static final int CASES = 1000;
  static final long MAX_ALLOCATION = 32L << 20;
  static final Duration TIME_LIMIT = Duration.ofSeconds(60);

  /** Header values a hostile or broken file might hold. */
  static final int[] EDGES = {
    0,
    1,
    -1,
    2,
    255,
    256,
    65535,
    65536,
    1 << 24,
    1 << 30,
    Integer.MAX_VALUE,
    Integer.MIN_VALUE,
    Integer.MAX_VALUE - 8,
    2_739_000,
    60_000
  };

  @TempDir Path dir;

  @Test
  void idxFilesOfAnyHeaderOrLengthReadOrFailByName() {
    assertTimeoutPreemptively(
        TIME_LIMIT,
        () -> {
          for (int i = 0; i < CASES; i++) {
            idxCase(i);
          }
        });
  }

  @Test
  void bitCodesFilesOfAnyHeaderOrLengthReadOrFailByName() {
    assertTimeoutPreemptively(
        TIME_LIMIT,
        () -> {
          for (int i = 0; i < CASES; i++) {
            bitsCase(i);
          }
        });
  }

  private void idxCase(int i) throws IOException {
    Random r = random(i);
    boolean images = r.nextBoolean();
    int[] dims =
        images
            ? new int[] {r.nextInt(5), 1 + r.nextInt(4), 1 + r.nextInt(4)}
            : new int[] {r.nextInt(8)};
    int items = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + items);
    b.putInt(images ? IdxReader.IMAGES_MAGIC : IdxReader.LABELS_MAGIC);
    for (int d : dims) {
      b.putInt(d);
    }
    for (int k = 0; k < items; k++) {
      b.put((byte) (images ? r.nextInt(256) : r.nextInt(10)));
    }
    byte[] original = b.array();
    byte[] plain = mutate(r, original.clone(), 1 + dims.length);
    boolean gzip = r.nextInt(3) == 0;
    byte[] bytes = gzip ? gzip(plain) : plain;
    if (gzip && r.nextInt(3) == 0) {
      bytes = mutate(r, bytes, 0);
    }
    String name = "case-" + i + (gzip && r.nextBoolean() ? ".gz" : "");
    Path file = Files.write(dir.resolve(name), bytes);
    boolean readImages = r.nextInt(4) != 0 ? images : !images;
    // The idx bytes the file holds, if known (a mutated gzip stream's are not).
    byte[] idx = !gzip ? bytes : Arrays.equals(bytes, gzip(plain)) ? plain : null;
    // Intact: the file holds exactly the valid idx bytes (gzipped or not) of the kind read.
    boolean intact = readImages == images && Arrays.equals(idx, original);
    byte[] data = Arrays.copyOfRange(original, 4 + 4 * dims.length, original.length);

    boolean read =
        outcome(
            file,
            bytes,
            () -> {
              if (readImages) {
                IdxReader.Images got = IdxReader.readImages(file);
                assertEquals((long) got.count() * got.rows() * got.cols(), got.data().length);
                if (idx != null) {
                  assertEquals(16 + got.data().length, idx.length, "idx bytes beyond the declared");
                }
                if (intact) {
                  assertArrayEquals(data, got.data());
                }
              } else {
                int[] got = IdxReader.readLabels(file);
                if (idx != null) {
                  assertEquals(8 + got.length, idx.length, "idx bytes beyond the declared");
                }
                if (intact) {
                  assertArrayEquals(data, toBytes(got));
                }
              }
            },
            DatasetException.class,
            i);
    assertTrue(read || !intact, "case " + i + ": a valid file was refused");
  }

  private void bitsCase(int i) throws IOException {
    Random r = random(i);
    int n = 1 + r.nextInt(4);
    int d = r.nextInt(32) == 0 ? 1 + r.nextInt(BitCodes.MAX_BITS) : 1 + r.nextInt(20);
    int per = (d + 7) / 8;
    byte[][] bits = new byte[n][d];
    ByteBuffer b = ByteBuffer.allocate(12 + n * per).put("DCB1".getBytes()).putInt(n).putInt(d);
    for (int k = 0; k < n; k++) {
      for (int j = 0; j < d; j++) {
        bits[k][j] = (byte) r.nextInt(2);
        if (bits[k][j] == 1) {
          b.array()[12 + k * per + j / 8] |= (byte) (0x80 >>> (j % 8));
        }
      }
    }
    byte[] original = b.array();
    byte[] bytes = mutate(r, original.clone(), 3);
    Path file = Files.write(dir.resolve("case-" + i + ".bits"), bytes);

    boolean intact = Arrays.equals(bytes, original);

    boolean read =
        outcome(
            file,
            bytes,
            () -> {
              byte[][] got = BitCodes.read(file);
              if (intact) {
                assertArrayEquals(bits, got);
              }
              for (byte[] row : got) {
                assertEquals(got[0].length, row.length);
              }
            },
            BitCodesException.class,
            i);
    assertTrue(read || !intact, "case " + i + ": a valid file was refused");
  }

  interface Read {
    void run() throws Exception;
  }

  /** Runs {@code read}: true if it returned, false if it threw the documented exception. */
  private static boolean outcome(
      Path file, byte[] bytes, Read reader, Class<? extends RuntimeException> documented, int i) {
    String what =
        "case "
            + i
            + " ("
            + bytes.length
            + " bytes: "
            + HexFormat.ofDelimiter(" ").formatHex(bytes, 0, Math.min(bytes.length, 24))
            + ")";
    long before = allocatedBytes();
    boolean read;
    try {
      reader.run();
      read = true;
    } catch (AssertionError e) {
      throw new AssertionError(what + ": " + e.getMessage(), e);
    } catch (Throwable t) {
      if (!documented.isInstance(t)) {
        fail(what + " threw " + t + ", not a " + documented.getSimpleName(), t);
      }
      String m = t.getMessage();
      assertTrue(m.startsWith(file + ": ") && m.lines().count() == 1, what + ": " + m);
      read = false;
    }
    long allocated = allocatedBytes() - before;
    assertTrue(allocated < MAX_ALLOCATION, what + " allocated " + allocated + " bytes");
    return read;
  }

  /**
   * Zero to two of: cut at a random length, a header field ({@code fields} 32-bit fields from byte
   * 0) set to an edge or random value, random bytes appended, one byte flipped.
   */
  private static byte[] mutate(Random r, byte[] bytes, int fields) {
    int rounds = r.nextInt(3);
    for (int k = 0; k < rounds; k++) {
      switch (r.nextInt(4)) {
        case 0 -> bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length + 1));
        case 1 -> {
          if (fields > 0 && bytes.length >= 4 * fields) {
            int value = r.nextBoolean() ? EDGES[r.nextInt(EDGES.length)] : r.nextInt();
            ByteBuffer.wrap(bytes).putInt(4 * r.nextInt(fields), value);
          }
        }
        case 2 -> {
          byte[] extra = new byte[1 + r.nextInt(16)];
          r.nextBytes(extra);
          bytes = concat(bytes, extra);
        }
        default -> {
          if (bytes.length > 0) {
            bytes[r.nextInt(bytes.length)] ^= (byte) (1 + r.nextInt(255));
          }
        }
      }
    }
    return bytes;
  }

  private static byte[] toBytes(int[] values) {
    byte[] b = new byte[values.length];
    for (int k = 0; k < values.length; k++) {
      b[k] = (byte) values[k];
    }
    return b;
  }

  private static Random random(int i) {
    return new Random(SEED * 1_000_003 + i);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }

  /** Bytes this thread has allocated so far (HotSpot's per-thread counter). */
  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }
}
