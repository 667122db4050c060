package io.deepclust.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.IdxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** idx files as DataFrames: names, pixels and labels as the files hold them, and clear errors. */
class IdxFramesTest {
  @Test
  void rowsHoldTheIndexThePixelsOver255AndTheLabel() throws IOException {
    byte[] images = Files.readAllBytes(Fixtures.testImages());
    byte[] labels = Files.readAllBytes(Fixtures.testLabels());
    Dataset<Row> df = IdxFrames.read(Fixtures.spark(), Fixtures.testImages(),
        Fixtures.testLabels(), 0);
    assertEquals(List.of("name", "image", "label"), List.of(df.schema().fieldNames()));
    assertEquals(10, df.rdd().getNumPartitions(), "one slice per 1000 images");
    List<Row> rows = df.collectAsList();
    assertEquals(10_000, rows.size());
    for (int i : new int[] {0, 1, 4_999, 9_999}) {
      Row r = rows.get(i);
      assertEquals(Integer.toString(i), r.getString(0));
      List<Float> px = r.getList(1);
      float[] expected = new float[784];
      float[] actual = new float[784];
      for (int j = 0; j < 784; j++) {
        expected[j] = (images[16 + i * 784 + j] & 0xff) / 255f;
        actual[j] = px.get(j);
      }
      assertArrayEquals(expected, actual, 0f, "image " + i);
      assertEquals(labels[8 + i] & 0xff, r.getInt(2), "label " + i);
    }
  }

  @Test
  void wrongMagicTruncatedAndMismatchedFilesFailNamingTheFile(@TempDir Path dir)
      throws IOException {
    byte[] images = Files.readAllBytes(Fixtures.testImages());
    Path truncated = dir.resolve("truncated-idx3-ubyte");
    Files.write(truncated, Arrays.copyOf(images, 16 + 784 * 3 + 10));
    assertProblem(truncated, null, DatasetException.Problem.TRUNCATED, "truncated data");
    assertProblem(Fixtures.testLabels(), null, DatasetException.Problem.WRONG_DIMENSIONS,
        "wrong dimension count");
    Path junk = dir.resolve("junk-idx3-ubyte");
    Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertProblem(junk, null, DatasetException.Problem.WRONG_MAGIC, "wrong magic number");
    Path three = dir.resolve("three-idx3-ubyte");
    byte[] head = Arrays.copyOf(images, 16 + 784 * 3);
    head[6] = 0;
    head[7] = 3;
    Files.write(three, head);
    assertEquals(3, IdxReader.readImages(three).count());
    assertProblem(three, Fixtures.testLabels(), DatasetException.Problem.COUNT_MISMATCH,
        "holds 10000 labels but " + three + " holds 3 images");
  }

  private static void assertProblem(Path images, Path labels, DatasetException.Problem problem,
      String text) {
    DatasetException e = assertThrows(DatasetException.class,
        () -> IdxFrames.read(Fixtures.spark(), images, labels, 2));
    assertEquals(problem, e.problem());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
