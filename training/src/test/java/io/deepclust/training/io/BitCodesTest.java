package io.deepclust.training.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.training.io.BitCodesException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bit codes file against bytes packed here another way (each code as a string of '0'/'1'
 * characters, cut into 8-character chunks parsed as base-2 numbers), a hand-made example, and
 * every malformed file the reader must refuse.
 */
class BitCodesTest {
  @TempDir Path dir;

  /** A file of {@code n} codes of {@code d} bits, packed from the bits' text. */
  static byte[] packedIndependently(byte[][] bits) {
    int d = bits[0].length;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {'D', 'C', 'B', '1'});
    out.writeBytes(bigEndian(bits.length));
    out.writeBytes(bigEndian(d));
    for (byte[] code : bits) {
      StringBuilder text = new StringBuilder();
      for (byte b : code) {
        text.append(b == 1 ? '1' : '0');
      }
      while (text.length() % 8 != 0) {
        text.append('0');
      }
      for (int c = 0; c < text.length(); c += 8) {
        out.write(Integer.parseInt(text.substring(c, c + 8), 2));
      }
    }
    return out.toByteArray();
  }

  static byte[] bigEndian(long v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  static byte[][] randomBits(int n, int d, long seed) {
    Random r = new Random(seed);
    byte[][] bits = new byte[n][d];
    for (byte[] row : bits) {
      for (int j = 0; j < d; j++) {
        row[j] = (byte) r.nextInt(2);
      }
    }
    return bits;
  }

  /** The hand-made example of the class comment: codes 1011001111 and 0000000101. */
  static final byte[][] EXAMPLE = {{1, 0, 1, 1, 0, 0, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 1, 0, 1}};
  static final byte[] EXAMPLE_BYTES =
      HexFormat.of().parseHex("44434231" + "00000002" + "0000000a" + "b3c0" + "0140");

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 8, 9, 28, 64})
  void randomCodesRoundTripAndArePackedMostSignificantBitFirst(int d) throws IOException {
    for (int n : new int[] {1, 37}) {
      byte[][] bits = randomBits(n, d, 31L * d + n);
      Path f = dir.resolve("codes-" + d + "-" + n + ".bits");
      BitCodes.write(f, bits);
      byte[] bytes = Files.readAllBytes(f);
      assertArrayEquals(packedIndependently(bits), bytes, "d = " + d + ", n = " + n);
      assertEquals(12 + n * ((d + 7) / 8), bytes.length);
      assertEquals(bytes.length, BitCodes.fileSize(n, d));
      byte[][] back = BitCodes.read(f);
      assertEquals(n, back.length);
      for (int i = 0; i < n; i++) {
        assertArrayEquals(bits[i], back[i], "code " + i + " of d = " + d);
      }
    }
  }

  @Test
  void handMadeTwoCodesOfTenBitsAreTheseSixteenBytes() throws IOException {
    Path f = dir.resolve("example.bits");
    BitCodes.write(f, EXAMPLE);
    assertArrayEquals(EXAMPLE_BYTES, Files.readAllBytes(f));
    byte[][] back = BitCodes.read(write("given.bits", EXAMPLE_BYTES));
    assertArrayEquals(EXAMPLE[0], back[0]);
    assertArrayEquals(EXAMPLE[1], back[1]);
  }

  @Test
  void bytesPerCodeIsTheCeilingOfDOverEight() {
    assertEquals(1, BitCodes.bytesPerCode(1));
    assertEquals(1, BitCodes.bytesPerCode(8));
    assertEquals(2, BitCodes.bytesPerCode(9));
    assertEquals(4, BitCodes.bytesPerCode(28));
    assertEquals(8192, BitCodes.bytesPerCode(65535));
    assertEquals(12 + 60000L * 4, BitCodes.fileSize(60000, 28));
  }

  @Test
  void widestCodeRoundTrips() {
    byte[][] bits = randomBits(2, BitCodes.MAX_BITS, 5);
    Path f = dir.resolve("wide.bits");
    BitCodes.write(f, bits);
    assertTrue(Arrays.deepEquals(bits, BitCodes.read(f)));
  }

  @Test
  void writingReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
    Path f = dir.resolve("codes.bits");
    Files.writeString(f, "old content");
    BitCodes.write(f, EXAMPLE);
    assertArrayEquals(EXAMPLE_BYTES, Files.readAllBytes(f));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }

  @Test
  void writingCreatesMissingParentFolders() throws IOException {
    Path f = dir.resolve("a/b/codes.bits");
    BitCodes.write(f, EXAMPLE);
    assertArrayEquals(EXAMPLE_BYTES, Files.readAllBytes(f));
  }

  // --- reading refuses every departure from the layout ---

  @Test
  void missingFileIsNamed() {
    Path f = dir.resolve("none.bits");
    assertProblem(Problem.MISSING, f, () -> BitCodes.read(f), "does not exist");
  }

  @Test
  void folderIsNotABitCodesFile() {
    assertProblem(Problem.MISSING, dir, () -> BitCodes.read(dir), "not a regular file");
  }

  @Test
  void wrongMagicIsNamedWithTheBytesFound() throws IOException {
    byte[] b = EXAMPLE_BYTES.clone();
    b[3] = '2';
    Path f = write("v2.bits", b);
    assertProblem(Problem.WRONG_MAGIC, f, () -> BitCodes.read(f), "44 43 42 32", "\"DCB1\"");
    Path idx = write("idx.bits", HexFormat.of().parseHex("00000803000000010000000200000002"));
    assertProblem(Problem.WRONG_MAGIC, idx, () -> BitCodes.read(idx), "00 00 08 03");
    Path shortWrong = write("x.bits", new byte[] {'X'});
    assertProblem(Problem.WRONG_MAGIC, shortWrong, () -> BitCodes.read(shortWrong), "58");
  }

  @Test
  void fileEndingInsideTheHeaderIsTruncated() throws IOException {
    Path empty = write("empty.bits", new byte[0]);
    assertProblem(Problem.TRUNCATED_HEADER, empty, () -> BitCodes.read(empty), "holds 0 bytes",
        "needs 12");
    Path seven = write("seven.bits", Arrays.copyOf(EXAMPLE_BYTES, 7));
    assertProblem(Problem.TRUNCATED_HEADER, seven, () -> BitCodes.read(seven), "holds 7 bytes");
    Path eleven = write("eleven.bits", Arrays.copyOf(EXAMPLE_BYTES, 11));
    assertProblem(Problem.TRUNCATED_HEADER, eleven, () -> BitCodes.read(eleven), "holds 11 bytes");
  }

  @Test
  void fileEndingInsideTheCodesSaysWhatItHoldsAndNeeds() throws IOException {
    Path f = write("short.bits", Arrays.copyOf(EXAMPLE_BYTES, 15));
    assertProblem(Problem.TRUNCATED_DATA, f, () -> BitCodes.read(f),
        "holds 15 bytes, needs 16 for 2 codes of 10 bits");
    Path headerOnly = write("header.bits", Arrays.copyOf(EXAMPLE_BYTES, 12));
    assertProblem(Problem.TRUNCATED_DATA, headerOnly, () -> BitCodes.read(headerOnly),
        "holds 12 bytes, needs 16 for 2 codes of 10 bits");
  }

  @Test
  void hugeDeclaredCountIsTruncatedDataNotAnAllocation() throws IOException {
    byte[] b = EXAMPLE_BYTES.clone();
    System.arraycopy(bigEndian(0xffffffffL), 0, b, 4, 4);
    Path f = write("huge.bits", b);
    assertProblem(Problem.TRUNCATED_DATA, f, () -> BitCodes.read(f),
        "holds 16 bytes, needs " + (12 + 0xffffffffL * 2) + " for 4294967295 codes of 10 bits");
  }

  @Test
  void bytesAfterTheLastCodeAreTrailing() throws IOException {
    Path f = write("long.bits", Arrays.copyOf(EXAMPLE_BYTES, 17));
    assertProblem(Problem.TRAILING_BYTES, f, () -> BitCodes.read(f), "holds 17 bytes",
        "1 trailing", "2 codes of 10 bits");
  }

  @Test
  void zeroOrTooManyBitsPerCodeIsRefused() throws IOException {
    byte[] b = Arrays.copyOf(EXAMPLE_BYTES, 12);
    System.arraycopy(bigEndian(0), 0, b, 8, 4);
    Path zero = write("d0.bits", b);
    assertProblem(Problem.BAD_WIDTH, zero, () -> BitCodes.read(zero), "d = 0", "1..65535");
    System.arraycopy(bigEndian(65536), 0, b, 8, 4);
    Path wide = write("d65536.bits", b);
    assertProblem(Problem.BAD_WIDTH, wide, () -> BitCodes.read(wide), "d = 65536");
    System.arraycopy(bigEndian(0xffffffffL), 0, b, 8, 4);
    Path unsigned = write("dmax.bits", b);
    assertProblem(Problem.BAD_WIDTH, unsigned, () -> BitCodes.read(unsigned), "d = 4294967295");
  }

  @Test
  void noCodesIsRefused() throws IOException {
    byte[] b = Arrays.copyOf(EXAMPLE_BYTES, 12);
    System.arraycopy(bigEndian(0), 0, b, 4, 4);
    Path f = write("n0.bits", b);
    assertProblem(Problem.NO_CODES, f, () -> BitCodes.read(f), "n = 0");
  }

  @Test
  void nonZeroPaddingBitsAreRefusedNamingTheCode() throws IOException {
    byte[] b = EXAMPLE_BYTES.clone();
    b[15] = 0x41; // code 1 ends in 01|000001: the lowest of its six padding bits is set
    Path f = write("pad.bits", b);
    assertProblem(Problem.NONZERO_PADDING, f, () -> BitCodes.read(f), "code 1", "0x41",
        "6 unused low bits");
    b = EXAMPLE_BYTES.clone();
    b[13] = (byte) 0xe0; // code 0: 11|100000, the highest padding bit set
    Path g = write("pad0.bits", b);
    assertProblem(Problem.NONZERO_PADDING, g, () -> BitCodes.read(g), "code 0", "0xe0");
  }

  @Test
  void aMultipleOfEightBitsHasNoPaddingToCheck() throws IOException {
    Path f = write("d8.bits", HexFormat.of().parseHex("44434231" + "00000001" + "00000008" + "ff"));
    assertArrayEquals(new byte[] {1, 1, 1, 1, 1, 1, 1, 1}, BitCodes.read(f)[0]);
  }

  // --- writing refuses what the layout cannot hold, and then writes nothing ---

  @Test
  void valueOtherThanZeroOrOneIsRefused() {
    Path f = dir.resolve("two.bits");
    assertProblem(Problem.NOT_A_BIT, f, () -> BitCodes.write(f, new byte[][] {{0, 1}, {1, 2}}),
        "bits[1][1] is 2", "0 or 1");
    assertProblem(Problem.NOT_A_BIT, f, () -> BitCodes.write(f, new byte[][] {{-1, 1}}),
        "bits[0][0] is -1");
    assertFalse(Files.exists(f));
  }

  @Test
  void raggedRowsAreRefused() {
    Path f = dir.resolve("ragged.bits");
    assertProblem(Problem.RAGGED, f, () -> BitCodes.write(f, new byte[][] {{0, 1, 1}, {1, 0}}),
        "bits[1] has 2 bits, bits[0] has 3");
    assertProblem(Problem.RAGGED, f, () -> BitCodes.write(f, new byte[][] {{0, 1}, null}),
        "bits[1] is null");
    assertProblem(Problem.RAGGED, f, () -> BitCodes.write(f, new byte[][] {null}),
        "bits[0] is null");
    assertFalse(Files.exists(f));
  }

  @Test
  void zeroOrTooManyBitsOrNoCodesCannotBeWritten() {
    Path f = dir.resolve("bad.bits");
    assertProblem(Problem.BAD_WIDTH, f, () -> BitCodes.write(f, new byte[3][0]), "0 bits");
    assertProblem(Problem.BAD_WIDTH, f, () -> BitCodes.write(f, new byte[1][65536]),
        "65536 bits");
    assertProblem(Problem.NO_CODES, f, () -> BitCodes.write(f, new byte[0][]), "no codes");
    assertProblem(Problem.NO_CODES, f, () -> BitCodes.write(f, null), "no codes");
    assertFalse(Files.exists(f));
  }

  @Test
  void refusedWriteLeavesTheExistingFileAsItWas() throws IOException {
    Path f = write("keep.bits", EXAMPLE_BYTES);
    assertThrows(BitCodesException.class, () -> BitCodes.write(f, new byte[][] {{3}}));
    assertArrayEquals(EXAMPLE_BYTES, Files.readAllBytes(f));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  private static void assertProblem(Problem problem, Path file, Runnable call,
      String... mentions) {
    BitCodesException e = assertThrows(BitCodesException.class, call::run);
    assertEquals(problem, e.problem(), e.getMessage());
    assertEquals(file, e.file());
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    for (String m : mentions) {
      assertTrue(e.getMessage().contains(m), "'" + m + "' not in: " + e.getMessage());
    }
  }
}
