package io.deepclust.training.data;

import java.util.SplittableRandom;

/**
 * Batches of K equal blocks, one per group, for training K models side by side each on its own
 * members (k-DVAE's pair pretraining: pair i on its initial cluster). Step t's block i is the next
 * {@code perGroup} members of group i from its own stream: the members in a Fisher–Yates
 * permutation drawn afresh on every pass over them, from {@code SplittableRandom} seeded by
 * (seed, i, pass). A small group is passed over more often than a large one, so every model takes
 * the same number of steps whatever the groups' sizes. Deterministic in (groups, perGroup, seed,
 * t): a run resumed at step t sees the batches of one that never stopped.
 */
public final class GroupBatcher {
  private final int[][] members;
  private final int perGroup;
  private final long seed;
  private final int[][] permutation;
  private final long[] permutationPass;

  /**
   * @param groups the group (0 .. k-1) of every example
   * @param k the number of groups; each must have a member
   * @param perGroup examples of each group in a batch, at least 1
   * @param seed the only source of randomness
   * @throws IllegalArgumentException when a group is empty or out of range
   */
  public GroupBatcher(int[] groups, int k, int perGroup, long seed) {
    if (perGroup < 1) {
      throw new IllegalArgumentException("perGroup must be >= 1, got " + perGroup);
    }
    int[] sizes = new int[k];
    for (int i = 0; i < groups.length; i++) {
      if (groups[i] < 0 || groups[i] >= k) {
        throw new IllegalArgumentException("example " + i + " is in group " + groups[i]
            + ", outside 0.." + (k - 1));
      }
      sizes[groups[i]]++;
    }
    members = new int[k][];
    for (int g = 0; g < k; g++) {
      if (sizes[g] == 0) {
        throw new IllegalArgumentException("group " + g + " of " + k + " has no members");
      }
      members[g] = new int[sizes[g]];
    }
    int[] filled = new int[k];
    for (int i = 0; i < groups.length; i++) {
      members[groups[i]][filled[groups[i]]++] = i;
    }
    this.perGroup = perGroup;
    this.seed = seed;
    permutation = new int[k][];
    permutationPass = new long[k];
  }

  /** Examples in a batch: k blocks of perGroup. */
  public int batchSize() {
    return members.length * perGroup;
  }

  /** The examples of step t (from 1): block i, rows i·perGroup on, from group i. */
  public int[] batch(long t) {
    if (t < 1) {
      throw new IllegalArgumentException("t counts from 1, got " + t);
    }
    int[] out = new int[batchSize()];
    for (int g = 0; g < members.length; g++) {
      int n = members[g].length;
      long start = (t - 1) * perGroup;
      for (int j = 0; j < perGroup; j++) {
        long q = start + j;
        out[g * perGroup + j] = permutation(g, q / n)[(int) (q % n)];
      }
    }
    return out;
  }

  /** Group g's members in the order of pass {@code pass} (the last one drawn is kept). */
  private int[] permutation(int g, long pass) {
    if (permutation[g] == null || permutationPass[g] != pass) {
      int[] order = members[g].clone();
      SplittableRandom random = new SplittableRandom(Batcher.mix64(Batcher.mix64(
          Batcher.mix64(seed) + g) + pass));
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      permutation[g] = order;
      permutationPass[g] = pass;
    }
    return permutation[g];
  }
}
