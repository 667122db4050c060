package io.deepclust.training.data;

import java.util.SplittableRandom;

/**
 * Affine warps of one HWC image by inverse mapping with bilinear interpolation, the geometry behind
 * {@link Augment}.
 *
 * <p>Coordinates are {@code x} = column and {@code y} = row (pointing down), taken relative to the
 * centre {@code c = ((W - 1) / 2, (H - 1) / 2)}. The forward map of a warp is
 *
 * <pre>
 *   p' = R(θ) · S(s) · (p - c) + c + t,   S(s) = [[1, s], [0, 1]]  (x' = x + s·y),
 *   R(θ) = [[cos θ, sin θ], [-sin θ, cos θ]]  (counter-clockwise on screen for θ > 0),
 * </pre>
 *
 * and output pixel {@code p'} takes the bilinear interpolation of the source at {@code p = S(s)^-1
 * · R(θ)^-1 · (p' - c - t) + c}. Outside the source the image is extended either by zeros or by
 * its nearest edge pixel (Keras {@code ImageDataGenerator}'s {@code fill_mode='nearest'}); the
 * four neighbours of {@code p} are read from that extension.
 */
final class Affine {
  private Affine() {}

  /** How the source is extended beyond its border. */
  enum Fill {
    /** 0 outside the source, e.g. MNIST's black background. */
    ZERO,
    /** The nearest edge pixel, i.e. indices clamped to the image. */
    NEAREST
  }

  /**
   * The geometry {@link Augment.Kind#AFFINE_FLIP} draws for one image, in this order from its
   * stream: {@code shiftX ~ U(-0.2 W, 0.2 W)}, {@code shiftY ~ U(-0.2 H, 0.2 H)} (pixels, positive
   * moves content right/down), {@code degrees ~ U(-3, 3)}, {@code shear ~ U(-0.2, 0.2)}, {@code
   * flip} with probability 1/2.
   */
  record Params(double shiftX, double shiftY, double degrees, double shear, boolean flip) {
    static Params draw(SplittableRandom random, int h, int w) {
      double maxX = Augment.MAX_SHIFT_FRACTION * w;
      double maxY = Augment.MAX_SHIFT_FRACTION * h;
      double shiftX = random.nextDouble(-maxX, maxX);
      double shiftY = random.nextDouble(-maxY, maxY);
      double degrees =
          random.nextDouble(-Augment.MAX_ROTATION_DEGREES, Augment.MAX_ROTATION_DEGREES);
      double shear = random.nextDouble(-Augment.MAX_SHEAR, Augment.MAX_SHEAR);
      boolean flip = random.nextDouble() < Augment.FLIP_PROBABILITY;
      return new Params(shiftX, shiftY, degrees, shear, flip);
    }
  }

  /**
   * Writes the warp of the image at {@code src[srcOffset ..]} into {@code dst[dstOffset ..]}; both
   * hold {@code h * w * c} values in HWC order and must not overlap.
   */
  static void warp(
      float[] src,
      int srcOffset,
      float[] dst,
      int dstOffset,
      int h,
      int w,
      int c,
      double degrees,
      double shear,
      double shiftX,
      double shiftY,
      Fill fill) {
    double theta = Math.toRadians(degrees);
    double cos = Math.cos(theta);
    double sin = Math.sin(theta);
    // M = S(s)^-1 · R(θ)^-1 = [[1, -s], [0, 1]] · [[cos, -sin], [sin, cos]].
    double m00 = cos - shear * sin;
    double m01 = -sin - shear * cos;
    double m10 = sin;
    double m11 = cos;
    double cx = (w - 1) / 2.0;
    double cy = (h - 1) / 2.0;
    boolean zero = fill == Fill.ZERO;
    int rowStride = w * c;
    int out = dstOffset;
    for (int y = 0; y < h; y++) {
      double dy = y - cy - shiftY;
      for (int x = 0; x < w; x++) {
        // Evaluated in this order, as tools/python/deepclust_ref/augment.py does, for equal bits.
        double dx = x - cx - shiftX;
        double sx = m00 * dx + m01 * dy + cx;
        double sy = m10 * dx + m11 * dy + cy;
        int x0 = floor(sx, w);
        int y0 = floor(sy, h);
        double fx = sx - x0;
        double fy = sy - y0;
        if (x0 < -1 || x0 >= w) {
          // Both neighbours lie on one side: the weights collapse onto the clamped edge column.
          fx = 0;
        }
        if (y0 < -1 || y0 >= h) {
          fy = 0;
        }
        int x1 = x0 + 1;
        int y1 = y0 + 1;
        double wx0 = 1 - fx;
        double wx1 = fx;
        double wy0 = 1 - fy;
        double wy1 = fy;
        if (zero) {
          // Zero extension: an outside neighbour contributes nothing.
          if (x0 < 0 || x0 >= w) {
            wx0 = 0;
          }
          if (x1 < 0 || x1 >= w) {
            wx1 = 0;
          }
          if (y0 < 0 || y0 >= h) {
            wy0 = 0;
          }
          if (y1 < 0 || y1 >= h) {
            wy1 = 0;
          }
        }
        int row0 = srcOffset + clamp(y0, h) * rowStride;
        int row1 = srcOffset + clamp(y1, h) * rowStride;
        int col0 = clamp(x0, w) * c;
        int col1 = clamp(x1, w) * c;
        double w00 = wy0 * wx0;
        double w01 = wy0 * wx1;
        double w10 = wy1 * wx0;
        double w11 = wy1 * wx1;
        for (int ch = 0; ch < c; ch++) {
          double v =
              w00 * src[row0 + col0 + ch]
                  + w01 * src[row0 + col1 + ch]
                  + w10 * src[row1 + col0 + ch]
                  + w11 * src[row1 + col1 + ch];
          dst[out++] = (float) v;
        }
      }
    }
  }

  /** Mirrors the image at {@code a[offset ..]} in place: {@code (r, x) <-> (r, W-1-x)}. */
  static void flipHorizontalInPlace(float[] a, int offset, int h, int w, int c) {
    int rowStride = w * c;
    for (int r = 0; r < h; r++) {
      int row = offset + r * rowStride;
      for (int left = 0, right = w - 1; left < right; left++, right--) {
        int l = row + left * c;
        int q = row + right * c;
        for (int ch = 0; ch < c; ch++) {
          float t = a[l + ch];
          a[l + ch] = a[q + ch];
          a[q + ch] = t;
        }
      }
    }
  }

  /** {@code floor(v)}, limited to {@code [-2, size]} so that far-away points stay outside. */
  private static int floor(double v, int size) {
    if (!(v > -2)) {
      return -2; // also NaN
    }
    if (v >= size) {
      return size;
    }
    int i = (int) v;
    return i > v ? i - 1 : i;
  }

  private static int clamp(int i, int size) {
    return i < 0 ? 0 : (i >= size ? size - 1 : i);
  }
}
