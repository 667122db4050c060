package io.deepclust.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AffineTest {

  private static float[] randomImage(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] image = new float[size];
    for (int k = 0; k < size; k++) {
      image[k] = (float) random.nextDouble();
    }
    return image;
  }

  @Test
  void warpOfCoordinateRampsInvertsTheForwardMap() {
    // Channel 0 holds x and channel 1 holds y; bilinear interpolation reproduces linear functions,
    // so inside the source each output pixel reads back the point it was sampled from.
    int h = 32;
    int w = 32;
    float[] ramps = new float[h * w * 2];
    for (int r = 0; r < h; r++) {
      for (int x = 0; x < w; x++) {
        ramps[(r * w + x) * 2] = x;
        ramps[(r * w + x) * 2 + 1] = r;
      }
    }
    double[][] cases = {{3, 0.2, 5.5, -4.25}, {-3, -0.2, -6, 2}, {1, 0.1, 0, 0}, {0, -0.15, 3, 3}};
    double centre = 15.5;
    for (double[] k : cases) {
      double degrees = k[0];
      double shear = k[1];
      float[] out = new float[ramps.length];
      Affine.warp(ramps, 0, out, 0, h, w, 2, degrees, shear, k[2], k[3], Affine.Fill.NEAREST);

      double t = Math.toRadians(degrees);
      int checked = 0;
      for (int r = 0; r < h; r++) {
        for (int x = 0; x < w; x++) {
          double sx = out[(r * w + x) * 2];
          double sy = out[(r * w + x) * 2 + 1];
          if (sx < 1e-3 || sx > w - 1 - 1e-3 || sy < 1e-3 || sy > h - 1 - 1e-3) {
            continue;
          }
          // Forward: shear x' = x + s*y, then counter-clockwise on screen, then shift.
          double u = (sx - centre) + shear * (sy - centre);
          double v = sy - centre;
          double fx = Math.cos(t) * u + Math.sin(t) * v + centre + k[2];
          double fy = -Math.sin(t) * u + Math.cos(t) * v + centre + k[3];
          assertEquals(x, fx, 1e-3, "x of (" + r + ", " + x + ") for " + Arrays.toString(k));
          assertEquals(r, fy, 1e-3, "y of (" + r + ", " + x + ") for " + Arrays.toString(k));
          checked++;
        }
      }
      assertTrue(checked > h * w / 3, "checked " + checked);
    }
  }

  @Test
  void integerShiftWithNearestFillRepeatsTheEdgePixels() {
    int h = 6;
    int w = 7;
    int c = 3;
    float[] image = randomImage(h * w * c, 8);
    float[] out = new float[image.length];

    Affine.warp(image, 0, out, 0, h, w, c, 0, 0, 3, -2, Affine.Fill.NEAREST);

    for (int r = 0; r < h; r++) {
      for (int x = 0; x < w; x++) {
        int sr = Math.min(h - 1, r + 2);
        int sx = Math.max(0, x - 3);
        for (int ch = 0; ch < c; ch++) {
          assertEquals(image[(sr * w + sx) * c + ch], out[(r * w + x) * c + ch], 1e-6);
        }
      }
    }
  }

  @Test
  void zeroFillBlendsTowardsZeroAcrossTheBorder() {
    // A half-pixel shift right: column 0 reads halfway between the outside (0) and column 0.
    float[] image = {1, 1, 1, 1};
    float[] out = new float[4];

    Affine.warp(image, 0, out, 0, 1, 4, 1, 0, 0, 0.5, 0, Affine.Fill.ZERO);

    assertEquals(0.5f, out[0], 1e-6);
    assertEquals(1f, out[1], 1e-6);
    assertEquals(1f, out[3], 1e-6);
  }

  @Test
  void warpReadsAndWritesAtTheGivenOffsets() {
    float[] src = {9, 9, 1, 2, 3, 4};
    float[] dst = new float[7];

    Affine.warp(src, 2, dst, 3, 2, 2, 1, 0, 0, 0, 0, Affine.Fill.NEAREST);

    assertEquals("[0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]", Arrays.toString(dst));
  }
}
