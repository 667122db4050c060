package io.deepclust.inference;

import static io.deepclust.inference.TinyModel.D;
import static io.deepclust.inference.TinyModel.K;
import static io.deepclust.inference.TinyModel.Z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

class ClusteringModelTest {
  private static final double TOL = 1e-6;

  @TempDir static Path root;
  private static Path vade;
  private static Path vab;

  @BeforeAll
  static void export() throws IOException {
    vade = new TinyModel().export(root.resolve("vade"));
    vab = new TinyModel().model("vab").export(root.resolve("vab"));
  }

  @Test
  void assignMatchesPlainJavaAndProbsSumToOne() {
    float[][] x = TinyModel.images(200, 1);
    try (ClusteringModel m = ClusteringModel.load(vade)) {
      Assignment a = m.assign(x);
      assertEquals(x.length, a.size());
      for (int i = 0; i < x.length; i++) {
        double[] expected = TinyModel.probs(x[i]);
        assertClose(expected, a.probs()[i], "probs of row " + i);
        double sum = 0;
        for (float p : a.probs()[i]) sum += p;
        assertEquals(1.0, sum, TOL, "row " + i);
        assertClusterIsTheMode(expected, a.clusters()[i], TinyModel.cluster(x[i]));
      }
    }
  }

  @Test
  void assignOfATensorEqualsAssignOfRows() {
    float[][] x = TinyModel.images(50, 2);
    float[] flat = new float[x.length * D];
    for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, flat, i * D, D);
    try (ClusteringModel m = ClusteringModel.load(vade, 16);
        TFloat32 t = TFloat32.tensorOf(Shape.of(x.length, 2, 2, 1), DataBuffers.of(flat))) {
      Assignment fromTensor = m.assign(t);
      Assignment fromRows = m.assign(x);
      assertArrayEquals(fromRows.clusters(), fromTensor.clusters());
      assertArrayEquals(fromRows.probs(), fromTensor.probs());
    }
  }

  @Test
  void embedReconstructDecodeMatchPlainJava() {
    float[][] x = TinyModel.images(100, 3);
    int[] k = new int[x.length];
    for (int i = 0; i < k.length; i++) k[i] = i % K;
    try (ClusteringModel m = ClusteringModel.load(vade)) {
      float[][] z = m.embed(x);
      float[][] xHat = m.reconstruct(x);
      float[][] decoded = m.decode(z, k);
      for (int i = 0; i < x.length; i++) {
        assertClose(TinyModel.z(x[i]), z[i], "z of row " + i);
        assertClose(TinyModel.reconstruct(x[i]), xHat[i], "x_hat of row " + i);
        assertClose(TinyModel.decode(z[i], k[i]), decoded[i], "decoded row " + i);
      }
    }
  }

  @Test
  void priorGathersMeanAndStddevOfEachCluster() {
    int[] k = {2, 0, 1, 2};
    try (ClusteringModel m = ClusteringModel.load(vade)) {
      Prior p = m.prior(k);
      for (int i = 0; i < k.length; i++) {
        assertArrayEquals(TinyModel.M[k[i]], p.mean()[i]);
        assertArrayEquals(TinyModel.S[k[i]], p.stddev()[i]);
      }
    }
  }

  @Test
  void vabCompressesClassifiesBitsAndHasNoStddev() {
    float[][] x = TinyModel.images(64, 4);
    try (ClusteringModel m = ClusteringModel.load(vab, 10)) {
      assertTrue(m.info().isVab());
      byte[][] bits = m.compress(x);
      Assignment a = m.classifyBits(bits);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(TinyModel.bits(x[i]), bits[i], "bits of row " + i);
        assertClose(TinyModel.bitProbs(bits[i]), a.probs()[i], "probs of row " + i);
      }
      Prior p = m.prior(new int[] {1});
      assertNull(p.stddev());
      assertClose(TinyModel.sigmoid(new double[] {0.25, 2}), p.mean()[0], "VAB prior mean");
      assertThrows(IllegalArgumentException.class, () -> m.classifyBits(new byte[][] {{0, 2}}));
    }
  }

  @Test
  void vabSignaturesAreUnsupportedForOtherModels() {
    try (ClusteringModel m = ClusteringModel.load(vade)) {
      var e =
          assertThrows(
              UnsupportedOperationException.class, () -> m.compress(TinyModel.images(1, 5)));
      assertTrue(e.getMessage().contains("'compress'"), e.getMessage());
    }
  }

  @Test
  void batchesOf1000GiveTheResultOfOneCall() {
    float[][] x = TinyModel.images(2500, 6);
    int[] k = new int[x.length];
    for (int i = 0; i < k.length; i++) k[i] = (i * 7) % K;
    try (ClusteringModel batched = ClusteringModel.load(vade, 1000);
        ClusteringModel whole = ClusteringModel.load(vade, 4096)) {
      Assignment a = batched.assign(x);
      Assignment b = whole.assign(x);
      assertArrayEquals(b.clusters(), a.clusters());
      assertArrayEquals(b.probs(), a.probs());
      assertArrayEquals(whole.embed(x), batched.embed(x));
      assertArrayEquals(whole.reconstruct(x), batched.reconstruct(x));
      float[][] z = whole.embed(x);
      assertArrayEquals(whole.decode(z, k), batched.decode(z, k));
      assertArrayEquals(whole.prior(k).mean(), batched.prior(k).mean());
    }
  }

  @Test
  void eightThreadsGetTheSingleThreadResults() throws Exception {
    float[][] x = TinyModel.images(3000, 7);
    try (ClusteringModel m = ClusteringModel.load(vade, 256)) {
      Assignment expected = m.assign(x);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Assignment>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          futures.add(
              pool.submit(
                  () -> {
                    start.await();
                    Assignment last = null;
                    for (int rep = 0; rep < 5; rep++) last = m.assign(x);
                    return last;
                  }));
        }
        start.countDown();
        for (Future<Assignment> f : futures) {
          Assignment got = f.get();
          assertNotSame(expected, got);
          assertArrayEquals(expected.clusters(), got.clusters());
          assertArrayEquals(expected.probs(), got.probs());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void closingWhileThreadsCallGivesEachEitherItsResultOrIllegalState() throws Exception {
    float[][] x = TinyModel.images(2000, 11);
    ClusteringModel m = ClusteringModel.load(vade, 100);
    Assignment expected = m.assign(x);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch started = new CountDownLatch(8);
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        futures.add(
            pool.submit(
                () -> {
                  started.countDown();
                  for (int done = 0; ; done++) {
                    try {
                      assertArrayEquals(expected.clusters(), m.assign(x).clusters());
                    } catch (IllegalStateException closed) {
                      return done;
                    }
                  }
                }));
      }
      started.await();
      Thread.sleep(50);
      m.close();
      for (Future<Integer> f : futures) assertTrue(f.get() >= 0);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void callAfterCloseThrowsIllegalState() {
    ClusteringModel m = ClusteringModel.load(vade);
    m.close();
    m.close();
    var e = assertThrows(IllegalStateException.class, () -> m.assign(TinyModel.images(1, 8)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void rowOfTheWrongLengthIsRejectedWithItsIndex() {
    float[][] x = TinyModel.images(3, 9);
    x[2] = new float[5];
    assertRejected(m -> m.assign(x), "images[2] has 5 values, expected H*W*C = 2*2*1 = 4");
    assertRejected(m -> m.decode(new float[][] {{0, 0, 0}}, new int[] {0}), "z[0] has 3 values");
  }

  @Test
  void nonFiniteValuesAreRejectedWithTheirPosition() {
    float[][] x = TinyModel.images(3, 10);
    x[1][3] = Float.NaN;
    assertRejected(m -> m.embed(x), "images[1][3] is NaN");
    float[][] y = TinyModel.images(3, 10);
    y[0][0] = Float.NEGATIVE_INFINITY;
    assertRejected(m -> m.reconstruct(y), "images[0][0] is -Infinity");
    float[] flat = new float[2 * D];
    flat[D + 2] = Float.POSITIVE_INFINITY;
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(2, 2, 2, 1), DataBuffers.of(flat))) {
      assertRejected(m -> m.assign(t), "batch[1][2] is Infinity");
    }
  }

  @Test
  void emptyInputAndWrongTensorShapeAreRejected() {
    assertRejected(m -> m.assign(new float[0][]), "images is empty");
    assertRejected(m -> m.prior(new int[0]), "clusters is empty");
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(2, 4))) {
      assertRejected(m -> m.assign(t), "batch has shape [2, 4], expected [-1, 2, 2, 1]");
    }
  }

  @Test
  void clusterIdsOutsideTheRangeAreRejected() {
    float[][] z = {{0, 0}, {1, 1}};
    assertRejected(m -> m.decode(z, new int[] {0, 3}), "clusters[1] = 3 is outside [0, 3)");
    assertRejected(m -> m.prior(new int[] {-1}), "clusters[0] = -1 is outside [0, 3)");
    assertRejected(m -> m.decode(z, new int[] {0}), "z has 2 rows but clusters has 1");
  }

  @Test
  void infoIsTheDescriptionInTheExport() {
    try (ClusteringModel m = ClusteringModel.load(vade, 7)) {
      assertEquals(new TinyModel().info(), m.info());
      assertEquals(7, m.batchSize());
      assertEquals(Z, m.info().latentDim());
    }
    assertThrows(IllegalArgumentException.class, () -> ClusteringModel.load(vade, 0));
  }

  private interface ModelCall {
    void call(ClusteringModel m);
  }

  private static void assertRejected(ModelCall call, String message) {
    try (ClusteringModel m = ClusteringModel.load(vade)) {
      Executable e = () -> call.call(m);
      String got = assertThrows(IllegalArgumentException.class, e).getMessage();
      assertTrue(got.contains(message), got);
    }
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], TOL, what);
  }

  /** The mode, unless the top two are too close for float and double to agree on it. */
  private static void assertClusterIsTheMode(double[] probs, int actual, int expected) {
    if (actual == expected) return;
    assertEquals(probs[expected], probs[actual], TOL, "cluster " + actual + " is not the mode");
  }
}
