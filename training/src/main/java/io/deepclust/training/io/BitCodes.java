package io.deepclust.training.io;

import io.deepclust.training.io.BitCodesException.Problem;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The bit codes file: the d-bit codes of a VAB model's {@code compress} signature, one per image,
 * packed. It is what the data vendor sends and the data consumer classifies (abstract and §2 of
 * vab-bernoulli-mixture-vae.txt): {@code deepclust compress} writes it, {@code deepclust
 * classify-bits} reads it.
 *
 * <p>Layout; integers are unsigned, big-endian:
 *
 * <pre>
 * offset  bytes           field
 * 0       4               magic: the ASCII bytes "DCB1" (44 43 42 31)
 * 4       4               n: the number of codes, ≥ 1
 * 8       4               d: bits per code, 1..65535
 * 12      n·ceil(d/8)     the codes in order, each in its own ceil(d/8) bytes
 * </pre>
 *
 * Bit j of code i is bit 7 − (j mod 8) (the most significant bit first) of byte 12 +
 * i·ceil(d/8) + ⌊j/8⌋. The 8·ceil(d/8) − d unused low bits of each code's last byte are 0, and
 * nothing follows the last code, so the file is exactly 12 + n·ceil(d/8) bytes. Example: two codes
 * of d = 10 bits, 1011001111 and 0000000101, are the 16 bytes {@code 44 43 42 31 00 00 00 02 00 00
 * 00 0a b3 c0 01 40}.
 *
 * <p>A reader accepts exactly this and nothing else; each departure is a {@link
 * BitCodesException} naming the file and the problem ({@link Problem}).
 */
public final class BitCodes {
  /** The first four bytes of every bit codes file, as ASCII. */
  public static final String MAGIC = "DCB1";
  /** Bytes before the first code: magic, n, d. */
  public static final int HEADER_BYTES = 12;
  /** The widest code a file can hold, in bits. */
  public static final int MAX_BITS = 65535;

  private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);

  private BitCodes() {}

  /** Bytes one code of {@code d} bits takes: ceil(d/8). */
  public static int bytesPerCode(int d) {
    return (d + 7) / 8;
  }

  /** The length of a file of {@code n} codes of {@code d} bits: 12 + n·ceil(d/8). */
  public static long fileSize(long n, int d) {
    return HEADER_BYTES + n * bytesPerCode(d);
  }

  /**
   * Writes {@code bits} (row i: the d bits of code i, each 0 or 1) to {@code target}, through a
   * temporary file in the target's folder renamed into place; missing parent folders are created.
   * Nothing is written unless every row checks out.
   *
   * @throws BitCodesException naming {@code target} if there are no rows, the rows are ragged (or
   *     one is null), d is 0 or more than {@link #MAX_BITS}, or a value is neither 0 nor 1
   * @throws java.io.UncheckedIOException naming {@code target} if it cannot be written
   */
  public static void write(Path target, byte[][] bits) {
    int d = check(target, bits);
    int per = bytesPerCode(d);
    AtomicFile.write(target, out -> {
      out.write(ByteBuffer.allocate(HEADER_BYTES).put(MAGIC_BYTES).putInt(bits.length).putInt(d)
          .array());
      byte[] packed = new byte[per];
      for (byte[] row : bits) {
        Arrays.fill(packed, (byte) 0);
        for (int j = 0; j < d; j++) {
          if (row[j] == 1) {
            packed[j >>> 3] |= (byte) (0x80 >>> (j & 7));
          }
        }
        out.write(packed);
      }
    });
  }

  /**
   * Reads the codes of a bit codes file: row i holds the d bits of code i, each 0 or 1.
   *
   * @throws BitCodesException naming {@code file} if it is missing, does not start with {@link
   *     #MAGIC}, ends inside its header or its codes, has bytes after the last code, declares d =
   *     0, d &gt; {@link #MAX_BITS} or n = 0, has a code whose padding bits are not 0, or cannot be
   *     read
   */
  public static byte[][] read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new BitCodesException(file, Problem.MISSING,
          Files.exists(file) ? "is not a regular file" : "does not exist");
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      long size = Files.size(file);
      byte[] header = in.readNBytes(HEADER_BYTES);
      int m = Math.min(header.length, MAGIC_BYTES.length);
      if (!Arrays.equals(header, 0, m, MAGIC_BYTES, 0, m)) {
        throw new BitCodesException(file, Problem.WRONG_MAGIC, "not a bit codes file: starts with "
            + hex(header, MAGIC_BYTES.length) + ", expected \"" + MAGIC + "\" ("
            + hex(MAGIC_BYTES, MAGIC_BYTES.length) + ")");
      }
      if (header.length < HEADER_BYTES) {
        throw new BitCodesException(file, Problem.TRUNCATED_HEADER, "holds " + header.length
            + " bytes, the header alone needs " + HEADER_BYTES);
      }
      ByteBuffer h = ByteBuffer.wrap(header);
      long n = Integer.toUnsignedLong(h.getInt(4));
      long d = Integer.toUnsignedLong(h.getInt(8));
      if (d < 1 || d > MAX_BITS) {
        throw new BitCodesException(file, Problem.BAD_WIDTH, "declares d = " + d
            + " bits per code, expected 1.." + MAX_BITS);
      }
      if (n == 0) {
        throw new BitCodesException(file, Problem.NO_CODES, "declares n = 0 codes, expected ≥ 1");
      }
      long needed = fileSize(n, (int) d);
      String codes = n + " codes of " + d + " bits";
      if (size < needed) {
        throw new BitCodesException(file, Problem.TRUNCATED_DATA, "holds " + size
            + " bytes, needs " + needed + " for " + codes);
      }
      if (size > needed) {
        throw new BitCodesException(file, Problem.TRAILING_BYTES, "holds " + size + " bytes, "
            + (size - needed) + " trailing after the " + needed + " of " + codes);
      }
      if (n > Integer.MAX_VALUE - 8) {
        throw new BitCodesException(file, Problem.TOO_MANY_CODES, "holds " + codes
            + ", more than one array can hold");
      }
      return unpack(file, in, (int) n, (int) d);
    } catch (IOException e) {
      throw new BitCodesException(file, Problem.UNREADABLE, "cannot read: " + e.getMessage(), e);
    }
  }

  private static byte[][] unpack(Path file, InputStream in, int n, int d) throws IOException {
    int per = bytesPerCode(d);
    int padding = 8 * per - d;
    int padMask = (1 << padding) - 1;
    byte[][] bits = new byte[n][d];
    byte[] packed = new byte[per];
    for (int i = 0; i < n; i++) {
      if (in.readNBytes(packed, 0, per) < per) {
        throw new BitCodesException(file, Problem.TRUNCATED_DATA, "ends inside code " + i + " of "
            + n + " (it shrank while being read)");
      }
      int last = packed[per - 1] & 0xff;
      if ((last & padMask) != 0) {
        throw new BitCodesException(file, Problem.NONZERO_PADDING, String.format(
            "code %d ends in byte 0x%02x, but its %d unused low bit%s must be 0", i, last, padding,
            padding == 1 ? "" : "s"));
      }
      for (int j = 0; j < d; j++) {
        bits[i][j] = (byte) ((packed[j >>> 3] >>> (7 - (j & 7))) & 1);
      }
    }
    return bits;
  }

  /** Checks the rows to write and returns d. */
  private static int check(Path target, byte[][] bits) {
    if (bits == null || bits.length == 0) {
      throw new BitCodesException(target, Problem.NO_CODES, "no codes to write");
    }
    if (bits[0] == null) {
      throw new BitCodesException(target, Problem.RAGGED, "cannot write: bits[0] is null");
    }
    int d = bits[0].length;
    if (d < 1 || d > MAX_BITS) {
      throw new BitCodesException(target, Problem.BAD_WIDTH, "cannot write codes of " + d
          + " bits, expected 1.." + MAX_BITS);
    }
    for (int i = 0; i < bits.length; i++) {
      byte[] row = bits[i];
      if (row == null || row.length != d) {
        throw new BitCodesException(target, Problem.RAGGED, "cannot write: bits[" + i + "] "
            + (row == null ? "is null" : "has " + row.length + " bits") + ", bits[0] has " + d);
      }
      for (int j = 0; j < d; j++) {
        if (row[j] != 0 && row[j] != 1) {
          throw new BitCodesException(target, Problem.NOT_A_BIT, "cannot write: bits[" + i + "]["
              + j + "] is " + row[j] + ", a bit must be 0 or 1");
        }
      }
    }
    return d;
  }

  /** The first {@code max} bytes of {@code b} (fewer if it is shorter) as hex, or "no bytes". */
  private static String hex(byte[] b, int max) {
    int m = Math.min(b.length, max);
    if (m == 0) {
      return "no bytes";
    }
    return HexFormat.ofDelimiter(" ").formatHex(b, 0, m);
  }
}
