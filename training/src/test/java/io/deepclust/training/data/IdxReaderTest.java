package io.deepclust.training.data;

import static io.deepclust.training.data.IdxTestFiles.idx;
import static io.deepclust.training.data.IdxTestFiles.ramp;
import static io.deepclust.training.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.DatasetException.Problem;
import io.deepclust.inference.io.IdxReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir Path dir;

  @Test
  void readsPlainImagesWithHeaderDimensionsAndUnsignedBytes() throws IOException {
    byte[] pixels = ramp(2 * 3 * 4);
    pixels[5] = (byte) 255;
    Path file = IdxTestFiles.images(dir.resolve("imgs-idx3-ubyte"), 2, 3, 4, pixels);

    IdxReader.Images images = IdxReader.readImages(file);

    assertEquals(2, images.count());
    assertEquals(3, images.rows());
    assertEquals(4, images.cols());
    assertArrayEquals(pixels, images.data());
    assertEquals(255, images.data()[5] & 0xFF);
  }

  @Test
  void readsGzippedImagesByGzSuffix() throws IOException {
    byte[] pixels = ramp(3 * 2 * 2);
    Path file = IdxTestFiles.images(dir.resolve("imgs-idx3-ubyte.gz"), 3, 2, 2, pixels);

    IdxReader.Images images = IdxReader.readImages(file);

    assertEquals(3, images.count());
    assertArrayEquals(pixels, images.data());
  }

  @Test
  void readsGzippedLabelsByMagicWithoutGzSuffix() throws IOException {
    byte[] labels = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
    Path file =
        IdxTestFiles.writeGzipped(
            dir.resolve("labels-no-suffix"),
            idx(IdxReader.LABELS_MAGIC, new int[] {labels.length}, labels));

    assertArrayEquals(new int[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, IdxReader.readLabels(file));
  }

  @Test
  void readsLabelsUpToAConfiguredNumberOfClasses() throws IOException {
    Path file =
        IdxTestFiles.labels(dir.resolve("labels-idx1-ubyte"), new byte[] {0, 19, (byte) 200});

    assertArrayEquals(new int[] {0, 19, 200}, IdxReader.readLabels(file, 201));
  }

  @Test
  void missingFileNamesPathAndSuggestsFetchData() {
    Path file = dir.resolve("t10k-images-idx3-ubyte");

    DatasetException e = expect(Problem.MISSING, () -> IdxReader.readImages(file));

    assertMessageHas(e, file.toString(), "file missing", "tools/fetch-data");
  }

  @Test
  void wrongMagicNumberNamesFileAndBothValues() throws IOException {
    Path file = write(dir.resolve("bad-magic"), idx(0x00000D03, new int[] {1, 1, 1}, new byte[1]));

    DatasetException e = expect(Problem.WRONG_MAGIC, () -> IdxReader.readImages(file));

    assertMessageHas(
        e, "bad-magic", "wrong magic number", "expected 0x00000803", "found 0x00000D03");
  }

  @Test
  void nonIdxFileReportsItsMagicInHex() throws IOException {
    Path file = write(dir.resolve("not-gzip"), new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});

    DatasetException e = expect(Problem.WRONG_MAGIC, () -> IdxReader.readLabels(file));

    assertMessageHas(e, "not-gzip", "expected 0x00000801", "found 0x504B0304");
  }

  @Test
  void labelsFileReadAsImagesIsAWrongDimensionCount() throws IOException {
    Path file = IdxTestFiles.labels(dir.resolve("train-labels-idx1-ubyte"), new byte[] {1, 2});

    DatasetException e = expect(Problem.WRONG_DIMENSIONS, () -> IdxReader.readImages(file));

    assertMessageHas(
        e,
        "train-labels-idx1-ubyte",
        "wrong dimension count",
        "expected 3",
        "found 1",
        "labels file");
  }

  @Test
  void negativeDimensionSizeIsRejected() throws IOException {
    Path file =
        write(
            dir.resolve("negative-dim"),
            idx(IdxReader.IMAGES_MAGIC, new int[] {-5, 28, 28}, new byte[0]));

    DatasetException e = expect(Problem.WRONG_DIMENSIONS, () -> IdxReader.readImages(file));

    assertMessageHas(e, "negative-dim", "dimension 0", "-5");
  }

  @Test
  void truncatedPixelDataReportsExpectedAndFoundBytes() throws IOException {
    byte[] full = idx(IdxReader.IMAGES_MAGIC, new int[] {4, 2, 3}, ramp(24));
    Path file = write(dir.resolve("short-images"), Arrays.copyOf(full, full.length - 5));

    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readImages(file));

    assertMessageHas(e, "short-images", "truncated data", "expected 24 bytes", "found 19");
  }

  @Test
  void truncatedGzippedLabelsReportExpectedAndFoundBytes() throws IOException {
    Path file =
        write(
            dir.resolve("short-labels.gz"),
            idx(IdxReader.LABELS_MAGIC, new int[] {10}, new byte[] {1, 2, 3}));

    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readLabels(file));

    assertMessageHas(e, "short-labels.gz", "expected 10 bytes", "found 3");
  }

  @Test
  void gzipStreamCutShortIsReportedAsTruncated() throws IOException {
    Path whole =
        write(
            dir.resolve("whole.gz"),
            idx(IdxReader.IMAGES_MAGIC, new int[] {50, 28, 28}, ramp(39200)));
    byte[] gz = Files.readAllBytes(whole);
    Path file = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));

    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readImages(file));

    assertMessageHas(e, "cut.gz", "truncated", "expected 39200 bytes");
  }

  @Test
  void truncatedHeaderIsReported() throws IOException {
    Path file = write(dir.resolve("tiny"), new byte[] {0, 0, 8});

    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readImages(file));

    assertMessageHas(e, "tiny", "truncated header", "expected 4 bytes", "found 3");
  }

  @Test
  void labelOutOfRangeGivesIndexAndValue() throws IOException {
    Path file = IdxTestFiles.labels(dir.resolve("labels-idx1-ubyte"), new byte[] {3, 9, 10, 2});

    DatasetException e = expect(Problem.LABEL_OUT_OF_RANGE, () -> IdxReader.readLabels(file));

    assertMessageHas(
        e, "labels-idx1-ubyte", "label out of range", "index 2", "value 10", "[0, 10)");
  }

  @Test
  void labelOutOfAConfiguredRangeIsReported() throws IOException {
    Path file = IdxTestFiles.labels(dir.resolve("labels-idx1-ubyte"), new byte[] {0, 1, 2, 3});

    DatasetException e = expect(Problem.LABEL_OUT_OF_RANGE, () -> IdxReader.readLabels(file, 3));

    assertMessageHas(e, "index 3", "value 3", "[0, 3)");
  }

  @Test
  void trailingBytesAfterTheDataAreRefusedWithTheByteCounts() throws IOException {
    byte[] whole = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 2, 3}, ramp(12));
    Path file = write(dir.resolve("long-images"), Arrays.copyOf(whole, whole.length + 5));

    DatasetException e = expect(Problem.TRAILING_BYTES, () -> IdxReader.readImages(file));

    assertMessageHas(
        e, "long-images", "holds 33 bytes", "5 trailing", "the 28 its header declares");
  }

  @Test
  void trailingBytesInsideAGzippedFileAreRefused() throws IOException {
    byte[] whole = idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {1, 2, 3, 4, 5, 6, 7});
    Path file = write(dir.resolve("long-labels.gz"), whole);

    DatasetException e = expect(Problem.TRAILING_BYTES, () -> IdxReader.readLabels(file));

    assertMessageHas(e, "long-labels.gz", "decompressed", "holds 15 bytes", "4 trailing",
        "the 11 its header declares");
  }

  @Test
  void aGzSuffixOnAPlainFileSaysItIsNotValidGzip() throws IOException {
    Path file = Files.write(dir.resolve("plain.gz"),
        idx(IdxReader.IMAGES_MAGIC, new int[] {1, 2, 2}, ramp(4)));

    DatasetException e = expect(Problem.NOT_GZIP, () -> IdxReader.readImages(file));

    assertMessageHas(e, "plain.gz", "not valid gzip");
    assertFalse(e.getMessage().contains("Exception"), e.getMessage());
  }

  @Test
  void corruptCompressedDataSaysItIsNotValidGzip() throws IOException {
    byte[] gz = Files.readAllBytes(write(dir.resolve("whole.gz"),
        idx(IdxReader.IMAGES_MAGIC, new int[] {50, 28, 28}, ramp(39200))));
    // Deflate block headers right after the 10-byte gzip header: 0xff there is an invalid block.
    Arrays.fill(gz, 10, 14, (byte) 0xff);
    Path file = Files.write(dir.resolve("corrupt.gz"), gz);

    DatasetException e = expect(Problem.NOT_GZIP, () -> IdxReader.readImages(file));

    assertMessageHas(e, "corrupt.gz", "not valid gzip");
    assertFalse(e.getMessage().contains("Exception"), e.getMessage());
  }

  @Test
  void aGzipFileCutInsideItsGzipHeaderIsTruncated() throws IOException {
    byte[] gz = Files.readAllBytes(write(dir.resolve("whole.gz"),
        idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2})));
    Path file = Files.write(dir.resolve("stub.gz"), Arrays.copyOf(gz, 5));

    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readLabels(file));

    assertMessageHas(e, "stub.gz", "gzip header");
    assertFalse(e.getMessage().contains("Exception"), e.getMessage());
  }

  /** 2,739,000 images of 28×28: 2,147,376,000 bytes, just under one Java array. */
  static final int[] HUGE = {2_739_000, 28, 28};

  @Test
  void aHeaderClaimingGigabytesIsRefusedFromTheFileLengthBeforeAllocating() throws IOException {
    Path file = write(dir.resolve("huge-idx3-ubyte"), idx(IdxReader.IMAGES_MAGIC, HUGE, ramp(100)));

    long before = allocatedBytes();
    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readImages(file));
    long allocated = allocatedBytes() - before;

    assertMessageHas(e, "huge-idx3-ubyte", "2147376000 bytes", "found 100 in a file of 116 bytes");
    assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes for a 116-byte file");
  }

  @Test
  void aGzippedHeaderClaimingGigabytesAllocatesOnlyWhatTheStreamHolds() throws IOException {
    Path file = write(dir.resolve("huge.gz"), idx(IdxReader.IMAGES_MAGIC, HUGE, ramp(100)));

    long before = allocatedBytes();
    DatasetException e = expect(Problem.TRUNCATED, () -> IdxReader.readImages(file));
    long allocated = allocatedBytes() - before;

    assertMessageHas(e, "huge.gz", "expected 2147376000 bytes", "found 100");
    assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes for 116 decompressed");
  }

  /** Bytes this thread has allocated so far (HotSpot's per-thread counter). */
  static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  static DatasetException expect(Problem problem, Executable call) {
    DatasetException e = assertThrows(DatasetException.class, call);
    assertEquals(problem, e.problem(), e.getMessage());
    return e;
  }

  static void assertMessageHas(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
    }
  }
}
