package io.deepclust.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CompressionTest {
  @Test
  void psnrIsTheMeanOfPerImageValues() {
    // image 1: every pixel off by 0.1 → MSE 0.01 → 20 dB; image 2: off by 0.5 → 0.25 → 6.0206 dB
    float[] x = {0f, 1f, 0.5f, 0.5f};
    float[] y = {0.1f, 0.9f, 0f, 1f};
    assertEquals((20 + 10 * Math.log10(4)) / 2, Compression.psnr(x, y, 2), 1e-5);
  }

  @Test
  void aPerfectReconstructionIsCappedAt100Db() {
    assertEquals(100, Compression.psnr(new float[] {0.3f}, new float[] {0.3f}, 1), 1e-9);
  }

  @Test
  void bitsPerPixelFollowsThePapersExample() {
    // §3.2: dim(z) = 28 over 1024 pixels is 0.02734375 BPP
    assertEquals(0.02734375, Compression.bitsPerPixel(28, 1024), 0);
    assertEquals(28.0 / 784, Compression.bitsPerPixel(28, 784), 0);
  }

  @Test
  void mismatchedArraysAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> Compression.psnr(new float[3], new float[4], 1));
  }
}
