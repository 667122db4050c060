package io.deepclust.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GroupBatcherTest {
  // Group 0 has 5 members, group 1 has 2, group 2 has 3.
  static final int[] GROUPS = {0, 1, 0, 2, 0, 2, 1, 0, 2, 0};

  @Test
  void blockIHoldsGroupIsMembersOnly() {
    var b = new GroupBatcher(GROUPS, 3, 4, 7L);
    assertEquals(12, b.batchSize());
    for (long t = 1; t <= 6; t++) {
      int[] rows = b.batch(t);
      for (int j = 0; j < rows.length; j++) {
        assertEquals(j / 4, GROUPS[rows[j]], "step " + t + " row " + j);
      }
    }
  }

  @Test
  void eachPassOverAGroupVisitsEveryMemberOnce() {
    // Group 1 (2 members) at 4 a step: each step is two full passes over it. Group 0 (5 members)
    // at 4 a step: its first 5 rows of steps 1-2 are one pass, the next 5 the second.
    var b = new GroupBatcher(GROUPS, 3, 4, 11L);
    int[] s1 = b.batch(1);
    int[] s2 = b.batch(2);
    int[] s3 = b.batch(3);
    int[] stream0 = new int[12];
    System.arraycopy(s1, 0, stream0, 0, 4);
    System.arraycopy(s2, 0, stream0, 4, 4);
    System.arraycopy(s3, 0, stream0, 8, 4);
    assertArrayEquals(new int[] {0, 2, 4, 7, 9}, sorted(Arrays.copyOfRange(stream0, 0, 5)));
    assertArrayEquals(new int[] {0, 2, 4, 7, 9}, sorted(Arrays.copyOfRange(stream0, 5, 10)));
    assertArrayEquals(new int[] {1, 6}, sorted(Arrays.copyOfRange(s1, 4, 6)));
    assertArrayEquals(new int[] {1, 6}, sorted(Arrays.copyOfRange(s1, 6, 8)));
  }

  @Test
  void aStepsBatchDependsOnlyOnTheSeedAndTheStep() {
    var a = new GroupBatcher(GROUPS, 3, 4, 3L);
    var b = new GroupBatcher(GROUPS, 3, 4, 3L);
    int[] late = b.batch(9);
    for (long t = 1; t < 9; t++) {
      a.batch(t);
    }
    assertArrayEquals(late, a.batch(9), "a resumed run sees the same batch");
    boolean differs = false;
    var other = new GroupBatcher(GROUPS, 3, 4, 4L);
    for (long t = 1; t <= 3; t++) {
      differs |= !Arrays.equals(new GroupBatcher(GROUPS, 3, 4, 3L).batch(t), other.batch(t));
    }
    assertTrue(differs, "another seed draws other orders");
  }

  @Test
  void anEmptyGroupOrAnOutOfRangeOneIsAClearError() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new GroupBatcher(GROUPS, 4, 2, 1L));
    assertTrue(e.getMessage().contains("group 3 of 4 has no members"), e.getMessage());
    var f = assertThrows(IllegalArgumentException.class,
        () -> new GroupBatcher(new int[] {0, 5}, 2, 2, 1L));
    assertTrue(f.getMessage().contains("example 1 is in group 5"), f.getMessage());
  }

  private static int[] sorted(int[] a) {
    int[] out = a.clone();
    Arrays.sort(out);
    return out;
  }
}
