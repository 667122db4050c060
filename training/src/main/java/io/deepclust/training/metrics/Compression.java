package io.deepclust.training.metrics;

/** Compression quality (vab-bernoulli-mixture-vae.txt §3.1): PSNR and bits per pixel. */
public final class Compression {
  /** MSE floor, so that a perfect reconstruction gives a finite 100 dB. */
  public static final double MSE_FLOOR = 1e-10;

  private Compression() {}

  /**
   * Mean over images of PSNR_i = 10·log10(1 / MSE_i) for images in [0, 1] (peak 1), images of
   * {@code dim} values each, flattened in the same order in both arrays.
   */
  public static double psnr(float[] images, float[] reconstructions, int dim) {
    if (images.length != reconstructions.length || dim < 1 || images.length % dim != 0) {
      throw new IllegalArgumentException("PSNR needs equal-length arrays of whole " + dim
          + "-value images, got " + images.length + " and " + reconstructions.length);
    }
    int n = images.length / dim;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double se = 0;
      for (int j = i * dim; j < (i + 1) * dim; j++) {
        double d = images[j] - reconstructions[j];
        se += d * d;
      }
      sum += 10 * Math.log10(1 / Math.max(se / dim, MSE_FLOOR));
    }
    return sum / n;
  }

  /** Bits per pixel: {@code bits} / {@code pixels} (the paper divides by 1024). */
  public static double bitsPerPixel(int bits, int pixels) {
    return (double) bits / pixels;
  }
}
