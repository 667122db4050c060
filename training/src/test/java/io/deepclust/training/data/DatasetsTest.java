package io.deepclust.training.data;

import static io.deepclust.training.data.IdxReaderTest.assertMessageHas;
import static io.deepclust.training.data.IdxReaderTest.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.DatasetException.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  @TempDir Path cache;

  @Test
  void cacheDirIsTheEnvironmentVariableWhenSet() {
    assertEquals(
        Path.of("/data/dc"), Datasets.cacheDir(Map.of(Datasets.ENV_VAR, "/data/dc"), "/home/u"));
  }

  @Test
  void cacheDirDefaultsToDotCacheUnderHome() {
    assertEquals(Path.of("/home/u/.cache/deepclust"), Datasets.cacheDir(Map.of(), "/home/u"));
    assertEquals(
        Path.of("/home/u/.cache/deepclust"),
        Datasets.cacheDir(Map.of(Datasets.ENV_VAR, " "), "/home/u"));
  }

  @Test
  void byNameLoadsPlainMnistAndGzippedFashionFromTheCacheLayout() throws IOException {
    Path mnist = Files.createDirectories(cache.resolve("mnist"));
    IdxTestFiles.images(mnist.resolve("t10k-images-idx3-ubyte"), 2, 1, 2, new byte[] {0, 1, 2, 3});
    IdxTestFiles.labels(mnist.resolve("t10k-labels-idx1-ubyte"), new byte[] {7, 2});
    Path fashion = Files.createDirectories(cache.resolve("fashion-mnist"));
    IdxTestFiles.images(fashion.resolve("train-images-idx3-ubyte.gz"), 1, 1, 1, new byte[] {9});
    IdxTestFiles.labels(fashion.resolve("train-labels-idx1-ubyte.gz"), new byte[] {9});

    Dataset test = Datasets.byName("mnist", cache, Split.TEST);
    Dataset train = Datasets.byName("Fashion-MNIST", cache, Split.TRAIN);

    assertEquals("mnist/test", test.name());
    assertArrayEquals(new int[] {7, 2}, test.labels());
    assertEquals("fashion-mnist/train", train.name());
    assertArrayEquals(new int[] {9}, train.labels());
  }

  @Test
  void missingDatasetNamesFileAndTheFetchCommand() {
    DatasetException e = expect(Problem.MISSING, () -> Datasets.mnist(cache, Split.TRAIN));

    assertMessageHas(
        e,
        cache.resolve("mnist").resolve("train-images-idx3-ubyte").toString(),
        "file missing",
        "DEEPCLUST_DATA=" + cache + " tools/fetch-data mnist");
  }

  @Test
  void missingFashionNamesTheGzippedFile() {
    DatasetException e = expect(Problem.MISSING, () -> Datasets.fashionMnist(cache, Split.TEST));

    assertMessageHas(e, "t10k-images-idx3-ubyte.gz", "tools/fetch-data fashion-mnist");
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Datasets.byName("cifar10", cache, Split.TEST));

    assertMessageHas(e, "cifar10", "mnist, fashion-mnist");
  }

  /** Needs {@code tools/fetch-data mnist}; skipped only when that cache is absent. */
  @Test
  void realMnistTestSplitHasTenThousandDigitsStartingWithSeven() {
    Path cacheDir = Datasets.defaultCacheDir();
    assumeTrue(
        Files.isRegularFile(Datasets.imagesFile(cacheDir, Datasets.MNIST, Split.TEST))
            && Files.isRegularFile(Datasets.labelsFile(cacheDir, Datasets.MNIST, Split.TEST)),
        "MNIST not in " + cacheDir + "; run tools/fetch-data mnist");

    Dataset test = Datasets.mnist(cacheDir, Split.TEST);

    assertEquals(10000, test.n());
    assertEquals(28, test.height());
    assertEquals(28, test.width());
    assertEquals(1, test.channels());
    assertEquals(10000 * 784, test.pixels().length);
    assertEquals(7, test.label(0));
    int[] counts = test.labelCounts();
    assertEquals(10000, Arrays.stream(counts).sum());
    // The published class sizes of the MNIST test set.
    assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, counts);
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (float p : test.pixels()) {
      min = Math.min(min, p);
      max = Math.max(max, p);
    }
    assertEquals(0f, min);
    assertEquals(1f, max);
  }

  /** Needs {@code tools/fetch-data fashion-mnist}; skipped only when that cache is absent. */
  @Test
  void realFashionMnistTestSplitHasAThousandImagesPerClass() {
    Path cacheDir = Datasets.defaultCacheDir();
    assumeTrue(
        Files.isRegularFile(Datasets.imagesFile(cacheDir, Datasets.FASHION_MNIST, Split.TEST)),
        "Fashion-MNIST not in " + cacheDir + "; run tools/fetch-data fashion-mnist");

    Dataset test = Datasets.byName("fashion-mnist", cacheDir, Split.TEST);

    assertEquals(10000, test.n());
    assertEquals(784, test.flatDim());
    assertTrue(Arrays.stream(test.labelCounts()).allMatch(c -> c == 1000));
    assertEquals(9, test.label(0)); // ankle boot
  }
}
