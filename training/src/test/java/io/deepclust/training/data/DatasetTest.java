package io.deepclust.training.data;

import static io.deepclust.training.data.IdxReaderTest.assertMessageHas;
import static io.deepclust.training.data.IdxReaderTest.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.DatasetException.Problem;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
  @TempDir Path dir;

  private Dataset tiny() throws IOException {
    // 3 images of 2x2: image i holds bytes 4i .. 4i+3, except one pixel at 255.
    byte[] pixels = IdxTestFiles.ramp(12);
    pixels[11] = (byte) 255;
    Path images = IdxTestFiles.images(dir.resolve("images-idx3-ubyte.gz"), 3, 2, 2, pixels);
    Path labels = IdxTestFiles.labels(dir.resolve("labels-idx1-ubyte"), new byte[] {7, 0, 9});
    return Dataset.load(images, labels, "tiny");
  }

  @Test
  void loadScalesBytesToUnitIntervalInNhwcOrder() throws IOException {
    Dataset data = tiny();

    assertEquals("tiny", data.name());
    assertEquals(3, data.n());
    assertEquals(2, data.height());
    assertEquals(2, data.width());
    assertEquals(1, data.channels());
    assertEquals(4, data.flatDim());
    assertEquals(10, data.numClasses());
    assertArrayEquals(new int[] {7, 0, 9}, data.labels());
    assertEquals(5 / 255f, data.pixels()[5]);
    assertEquals(1f, data.pixels()[11]);
    assertArrayEquals(new float[] {4 / 255f, 5 / 255f, 6 / 255f, 7 / 255f}, data.image(1));
  }

  @Test
  void imageReturnsACopy() throws IOException {
    Dataset data = tiny();

    data.image(0)[0] = 42f;

    assertEquals(0f, data.pixels()[0]);
  }

  @Test
  void subsetCopiesTheRangeOfImagesAndLabels() throws IOException {
    Dataset data = tiny();

    Dataset tail = data.subset(1, 3);
    Dataset head = data.first(1);

    assertEquals(2, tail.n());
    assertArrayEquals(new int[] {0, 9}, tail.labels());
    assertArrayEquals(data.image(2), tail.image(1));
    assertEquals(1, head.n());
    assertArrayEquals(data.image(0), head.image(0));
    assertThrows(IndexOutOfBoundsException.class, () -> data.subset(2, 4));
  }

  @Test
  void labelCountsSumToTheNumberOfImages() throws IOException {
    int[] counts = tiny().labelCounts();

    assertEquals(10, counts.length);
    assertEquals(1, counts[0]);
    assertEquals(1, counts[7]);
    assertEquals(1, counts[9]);
    assertEquals(3, java.util.Arrays.stream(counts).sum());
  }

  @Test
  void imageLabelCountMismatchNamesBothFilesAndCounts() throws IOException {
    Path images =
        IdxTestFiles.images(dir.resolve("images-idx3-ubyte"), 3, 2, 2, IdxTestFiles.ramp(12));
    Path labels = IdxTestFiles.labels(dir.resolve("labels-idx1-ubyte"), new byte[] {1, 2});

    DatasetException e =
        expect(Problem.COUNT_MISMATCH, () -> Dataset.load(images, labels, "mismatch"));

    assertMessageHas(
        e, images.toString(), labels.toString(), "count mismatch", "3 images", "2 labels");
  }

  @Test
  void constructorRejectsPixelsOfTheWrongLength() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Dataset("bad", new float[7], new int[] {0, 1}, 2, 2, 1, 10));

    assertMessageHas(e, "need 8 pixels", "got 7");
  }

  @Test
  void constructorRejectsLabelsOutsideTheClassRange() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Dataset("bad", new float[2], new int[] {0, 3}, 1, 1, 1, 3));

    assertMessageHas(e, "label 3 at index 1", "[0, 3)");
  }
}
