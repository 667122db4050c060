package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VadeStartTest {
  @Test
  void theLeastKmeansErrorIsKeptWhateverTheElbo() {
    // Restart 1 has the lower -ELBO (the paper's objective) but the worse partition.
    assertEquals(0, VadeStart.select(new double[] {9.846, 9.879, 9.846},
        new double[] {244.862, 244.674, 244.900}));
  }

  @Test
  void theSamePartitionFoundTwiceIsDecidedByTheElbo() {
    double sse = 9.846;
    double again = sse * (1 + 1e-12);  // the same partition, summed in another order
    assertEquals(1, VadeStart.select(new double[] {sse, again, 10.0},
        new double[] {244.9, 244.8, 200.0}));
  }

  @Test
  void argminTakesTheFirstOfEquals() {
    assertEquals(1, VadeStart.argmin(new double[] {3, 1, 1, 2}));
  }
}
