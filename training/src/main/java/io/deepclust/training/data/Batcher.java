package io.deepclust.training.data;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seeded shuffling and batching of {@code n} example indices.
 *
 * <p>Epoch {@code e} is a Fisher–Yates permutation drawn from {@code new SplittableRandom(mix64(
 * mix64(seed) + e * 0x9E3779B97F4A7C15L))}, so it depends only on {@code (seed, e)}: a run resumed
 * at epoch {@code e} sees the same order as one that never stopped, whatever was called before.
 * Batches are consecutive slices of that permutation; with {@code dropLast} the final incomplete
 * slice is skipped (the training default, so every step sees a full batch).
 */
public final class Batcher {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private final int n;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final boolean dropLast;

  /**
   * @param n number of examples, indices {@code 0 .. n-1}
   * @param batchSize examples per batch, at least 1
   * @param seed the only source of randomness
   * @param shuffle permute each epoch; {@code false} keeps indices in order (evaluation)
   * @param dropLast skip the last batch when it has fewer than {@code batchSize} examples
   */
  public Batcher(int n, int batchSize, long seed, boolean shuffle, boolean dropLast) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    this.n = n;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
  }

  /** Shuffled each epoch, last incomplete batch dropped. */
  public static Batcher forTraining(int n, int batchSize, long seed) {
    return new Batcher(n, batchSize, seed, true, true);
  }

  /** In order, every example once, the last batch possibly smaller. */
  public static Batcher forEvaluation(int n, int batchSize) {
    return new Batcher(n, batchSize, 0L, false, false);
  }

  public int n() {
    return n;
  }

  public int batchSize() {
    return batchSize;
  }

  public long seed() {
    return seed;
  }

  /**
   * Batches in every epoch: {@code floor(n / b)} with {@code dropLast}, else {@code ceil(n / b)}.
   */
  public int batchesPerEpoch() {
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The order of all {@code n} indices in epoch {@code epoch} (identity when not shuffling). */
  public int[] permutation(long epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(mix64(mix64(seed) + epoch * GOLDEN_GAMMA));
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  /** The index batches of epoch {@code epoch}, in order. */
  public List<int[]> batches(long epoch) {
    int[] order = permutation(epoch);
    int count = batchesPerEpoch();
    List<int[]> batches = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      int from = b * batchSize;
      batches.add(Arrays.copyOfRange(order, from, Math.min(from + batchSize, n)));
    }
    return batches;
  }

  /**
   * Copies the images at {@code indices} into a fresh {@code [indices.length * flatDim]} array, row
   * {@code r} holding image {@code indices[r]}.
   */
  public static float[] gatherPixels(Dataset data, int[] indices) {
    float[] out = new float[indices.length * data.flatDim()];
    gatherPixels(data, indices, FloatBuffer.wrap(out));
    return out;
  }

  /**
   * Puts the images at {@code indices} into {@code out} from its position on (relative puts), so a
   * caller can reuse one buffer, e.g. a tensor's, across batches.
   *
   * @throws java.nio.BufferOverflowException when {@code out} has too little room left
   */
  public static void gatherPixels(Dataset data, int[] indices, FloatBuffer out) {
    Objects.requireNonNull(out, "out");
    int d = data.flatDim();
    float[] pixels = data.pixels();
    for (int index : indices) {
      Objects.checkIndex(index, data.n());
      out.put(pixels, index * d, d);
    }
  }

  /** The labels at {@code indices}. */
  public static int[] gatherLabels(Dataset data, int[] indices) {
    int[] labels = data.labels();
    int[] out = new int[indices.length];
    for (int r = 0; r < indices.length; r++) {
      out[r] = labels[Objects.checkIndex(indices[r], data.n())];
    }
    return out;
  }

  /** Stafford's variant 13 of the MurmurHash3 finaliser: a bijective 64-bit mix. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
