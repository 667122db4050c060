package io.deepclust.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatcherTest {

  private static int[] concat(List<int[]> batches) {
    return batches.stream().flatMapToInt(Arrays::stream).toArray();
  }

  @Test
  void sameSeedGivesTheSameBatches() {
    List<int[]> a = Batcher.forTraining(1000, 32, 42).batches(3);
    List<int[]> b = Batcher.forTraining(1000, 32, 42).batches(3);

    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i), b.get(i));
    }
  }

  @Test
  void differentSeedGivesDifferentOrder() {
    int[] a = Batcher.forTraining(1000, 32, 42).permutation(0);
    int[] b = Batcher.forTraining(1000, 32, 43).permutation(0);

    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void differentEpochsGiveDifferentOrders() {
    Batcher batcher = Batcher.forTraining(1000, 32, 42);

    assertFalse(Arrays.equals(batcher.permutation(0), batcher.permutation(1)));
  }

  @Test
  void everyIndexAppearsExactlyOncePerEpoch() {
    Batcher batcher = new Batcher(1003, 10, 7, true, false);
    for (int epoch = 0; epoch < 5; epoch++) {
      int[] seen = concat(batcher.batches(epoch));
      Arrays.sort(seen);
      int[] expected = new int[1003];
      Arrays.setAll(expected, i -> i);
      assertArrayEquals(expected, seen, "epoch " + epoch);
    }
  }

  @Test
  void epochIsReproducibleWithoutReplayingEarlierEpochs() {
    Batcher replayed = Batcher.forTraining(500, 50, 99);
    for (int epoch = 0; epoch < 7; epoch++) {
      replayed.batches(epoch);
    }
    int[] afterReplay = concat(replayed.batches(7));

    int[] resumed = concat(Batcher.forTraining(500, 50, 99).batches(7));

    assertArrayEquals(afterReplay, resumed);
  }

  @Test
  void dropLastSkipsTheIncompleteBatch() {
    Batcher batcher = Batcher.forTraining(105, 10, 1);

    List<int[]> batches = batcher.batches(0);

    assertEquals(10, batcher.batchesPerEpoch());
    assertEquals(10, batches.size());
    assertEquals(100, concat(batches).length);
    batches.forEach(b -> assertEquals(10, b.length));
  }

  @Test
  void keepingLastYieldsASmallerFinalBatch() {
    Batcher batcher = new Batcher(105, 10, 1, true, false);

    List<int[]> batches = batcher.batches(0);

    assertEquals(11, batcher.batchesPerEpoch());
    assertEquals(5, batches.get(10).length);
  }

  @Test
  void evaluationBatchesAreInOrderAndComplete() {
    int[] all = concat(Batcher.forEvaluation(25, 10).batches(0));

    int[] expected = new int[25];
    Arrays.setAll(expected, i -> i);
    assertArrayEquals(expected, all);
  }

  @Test
  void gatherCopiesRowsOfTheRequestedImagesAndTheirLabels() {
    // 4 images of 1x1x2: image i holds (i, 10 + i).
    float[] pixels = {0, 10, 1, 11, 2, 12, 3, 13};
    Dataset data = new Dataset("toy", pixels, new int[] {5, 6, 7, 8}, 1, 1, 2, 10);
    int[] batch = {3, 0, 2};

    assertArrayEquals(new float[] {3, 13, 0, 10, 2, 12}, Batcher.gatherPixels(data, batch));
    assertArrayEquals(new int[] {8, 5, 7}, Batcher.gatherLabels(data, batch));
  }

  @Test
  void gatherIntoABufferWritesFromItsPositionAndRejectsOverflow() {
    Dataset data = new Dataset("toy", new float[] {1, 2, 3}, new int[] {0, 1, 2}, 1, 1, 1, 3);
    FloatBuffer out = FloatBuffer.allocate(3);
    out.put(9f);

    Batcher.gatherPixels(data, new int[] {2, 0}, out);

    assertArrayEquals(new float[] {9, 3, 1}, out.array());
    assertThrows(
        BufferOverflowException.class, () -> Batcher.gatherPixels(data, new int[] {1}, out));
  }

  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Batcher.forTraining(10, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Batcher.forTraining(-1, 5, 1));
    assertThrows(
        IllegalArgumentException.class, () -> Batcher.forTraining(10, 5, 1).permutation(-1));
  }
}
