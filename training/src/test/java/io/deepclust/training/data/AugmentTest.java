package io.deepclust.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.training.data.Augment.Kind;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentTest {
  private static final int[] MNIST = {28, 28, 1};
  private static final int[] CIFAR = {32, 32, 3};
  private static final int PIXELS = 28 * 28;

  /** A 2-row by 20-column bar of ones centred in a 28x28 image (rows 13-14, columns 4-23). */
  private static float[] centredBar() {
    float[] image = new float[PIXELS];
    for (int r = 13; r <= 14; r++) {
      for (int x = 4; x <= 23; x++) {
        image[r * 28 + x] = 1f;
      }
    }
    return image;
  }

  /**
   * {centre x, centre y, orientation in degrees} of a 28x28 image from its moments, with y pointing
   * up so that counter-clockwise on screen is positive: {@code 0.5 atan2(2 mu11, mu20 - mu02)}.
   */
  private static double[] moments(float[] image, int offset) {
    double m = 0;
    double mx = 0;
    double my = 0;
    for (int r = 0; r < 28; r++) {
      for (int x = 0; x < 28; x++) {
        double v = image[offset + r * 28 + x];
        m += v;
        mx += v * x;
        my += v * r;
      }
    }
    double cx = mx / m;
    double cy = my / m;
    double mu20 = 0;
    double mu02 = 0;
    double mu11 = 0;
    for (int r = 0; r < 28; r++) {
      for (int x = 0; x < 28; x++) {
        double v = image[offset + r * 28 + x];
        double dx = x - cx;
        double dy = -(r - cy);
        mu20 += v * dx * dx;
        mu02 += v * dy * dy;
        mu11 += v * dx * dy;
      }
    }
    double degrees = Math.toDegrees(0.5 * Math.atan2(2 * mu11, mu20 - mu02));
    return new double[] {cx, cy, degrees};
  }

  private static float[] randomImages(int count, int[] shape, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] images = new float[count * shape[0] * shape[1] * shape[2]];
    for (int k = 0; k < images.length; k++) {
      images[k] = (float) random.nextDouble();
    }
    return images;
  }

  private static float[] repeat(float value, int count) {
    float[] a = new float[count];
    Arrays.fill(a, value);
    return a;
  }

  private static float[] image(float[] batch, int i, int size) {
    return Arrays.copyOfRange(batch, i * size, (i + 1) * size);
  }

  private static double fractionOfOnes(float[] batch, int i, int size) {
    double ones = 0;
    for (int k = i * size; k < (i + 1) * size; k++) {
      ones += batch[k];
    }
    return ones / size;
  }

  @Test
  void rotatedCentredBarKeepsItsCentreAndTurnsByTheDrawnAngle() {
    int n = 40;
    float[] batch = new float[n * PIXELS];
    for (int i = 0; i < n; i++) {
      System.arraycopy(centredBar(), 0, batch, i * PIXELS, PIXELS);
    }
    long seed = 42;
    long step = 7;

    float[] out = new Augment(Kind.ROTATION, MNIST).apply(batch, n, seed, step);

    for (int i = 0; i < n; i++) {
      double[] mom = moments(out, i * PIXELS);
      double drawn = Augment.rotationDegrees(seed, step, i);
      assertEquals(13.5, mom[0], 0.05, "centre x of image " + i);
      assertEquals(13.5, mom[1], 0.05, "centre y of image " + i);
      assertEquals(drawn, mom[2], 0.2, "angle of image " + i);
    }
  }

  @Test
  void rotatingByPlusAndMinusThreeDegreesTurnsABarCounterClockwiseByThatAngle() {
    for (double degrees : new double[] {3, -3, 1.5, -0.5}) {
      double[] mom = moments(Augment.rotate(centredBar(), 28, 28, 1, degrees), 0);

      assertEquals(13.5, mom[0], 0.05, "centre x at " + degrees);
      assertEquals(13.5, mom[1], 0.05, "centre y at " + degrees);
      assertEquals(degrees, mom[2], 0.2, "angle at " + degrees);
    }
  }

  @Test
  void drawnRotationAnglesLieWithinThreeDegreesAndSpreadOverTheRange() {
    int n = 3000;
    int bins = 6;
    int[] counts = new int[bins];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double a = Augment.rotationDegrees(5, 11, i);
      assertTrue(a >= -3 && a <= 3, "angle " + a);
      min = Math.min(min, a);
      max = Math.max(max, a);
      counts[(int) Math.min(bins - 1, (a + 3) / 6 * bins)]++;
    }

    assertTrue(min < -2.9 && max > 2.9, "range [" + min + ", " + max + "]");
    double p = 1.0 / bins;
    double se = Math.sqrt(n * p * (1 - p));
    for (int b = 0; b < bins; b++) {
      assertEquals(n * p, counts[b], 4 * se, "bin " + b);
    }
  }

  @Test
  void rotationByZeroDegreesIsTheIdentity() {
    float[] mnist = randomImages(1, MNIST, 1);
    float[] odd = randomImages(1, new int[] {5, 7, 2}, 2);

    assertArrayEquals(mnist, Augment.rotate(mnist, 28, 28, 1, 0));
    assertArrayEquals(odd, Augment.rotate(odd, 5, 7, 2, 0));
  }

  @Test
  void rotatingAConstantImageKeepsInteriorPixelsConstant() {
    float[] out = Augment.rotate(repeat(0.7f, PIXELS), 28, 28, 1, 3);

    // A source within 12 px of the centre has all four bilinear neighbours inside the image.
    int checked = 0;
    for (int r = 0; r < 28; r++) {
      for (int x = 0; x < 28; x++) {
        if (Math.hypot(x - 13.5, r - 13.5) <= 12) {
          assertEquals(0.7, out[r * 28 + x], 1e-6, "pixel (" + r + ", " + x + ")");
          checked++;
        }
      }
    }
    assertTrue(checked > 400);
  }

  @Test
  void rotationFillsWithZeroOutsideTheSource() {
    float[] out = Augment.rotate(repeat(1f, PIXELS), 28, 28, 1, 45);

    // At 45 degrees a corner's source lies 13.5*sqrt(2) - 13.5 > 1 px beyond the nearest edge.
    assertEquals(0f, out[0]);
    assertEquals(0f, out[27]);
    assertEquals(0f, out[27 * 28]);
    assertEquals(0f, out[27 * 28 + 27]);
    assertEquals(1f, out[14 * 28 + 14], 1e-6);
  }

  @Test
  void brightnessBinariseOutputsOnlyZerosAndOnes() {
    float[] batch = randomImages(20, MNIST, 3);

    float[] out = new Augment(Kind.BRIGHTNESS_BINARISE, MNIST).apply(batch, 20, 9, 0);

    for (float v : out) {
      assertTrue(v == 0f || v == 1f, "value " + v);
    }
  }

  @Test
  void halfGreyImageTurnsOnesWithProbabilityHalfPlusTheDrawnDelta() {
    int n = 200;
    long seed = 17;
    long step = 3;

    float[] out =
        new Augment(Kind.BRIGHTNESS_BINARISE, MNIST)
            .apply(repeat(0.5f, n * PIXELS), n, seed, step);

    double total = 0;
    double expectedTotal = 0;
    double deltaSum = 0;
    for (int i = 0; i < n; i++) {
      double delta = Augment.brightnessDelta(seed, step, i);
      assertTrue(Math.abs(delta) <= 0.2, "delta " + delta);
      double p = Math.min(1, Math.max(0, 0.5 + delta));
      double fraction = fractionOfOnes(out, i, PIXELS);
      assertEquals(p, fraction, 4 * Math.sqrt(p * (1 - p) / PIXELS), "image " + i);
      total += fraction;
      expectedTotal += p;
      deltaSum += delta;
    }
    // Pixels given the deltas are binomial; the deltas themselves have mean 0 and sd 0.4/sqrt(12).
    assertEquals(expectedTotal / n, total / n, 4 * Math.sqrt(0.25 / (n * PIXELS)));
    assertEquals(0, deltaSum / n, 4 * 0.4 / Math.sqrt(12 * n));
    double combinedSe = Math.sqrt(0.25 / (n * PIXELS) + 0.16 / (12.0 * n));
    assertEquals(0.5, total / n, 4 * combinedSe);
  }

  @Test
  void blackImageNeverTurnsMoreThanTwentyPercentOnes() {
    int n = 200;
    long seed = 23;
    long step = 1;

    float[] out =
        new Augment(Kind.BRIGHTNESS_BINARISE, MNIST).apply(new float[n * PIXELS], n, seed, step);

    double bound = 0.2 + 4 * Math.sqrt(0.2 * 0.8 / PIXELS);
    int darkened = 0;
    for (int i = 0; i < n; i++) {
      double fraction = fractionOfOnes(out, i, PIXELS);
      assertTrue(fraction <= bound, "image " + i + " has " + fraction + " ones");
      if (Augment.brightnessDelta(seed, step, i) <= 0) {
        assertEquals(0, fraction, "image " + i + ": clip(0 + delta) = 0 never beats u");
        darkened++;
      }
    }
    assertTrue(darkened > 50);
  }

  @Test
  void brightnessClipsValuesOutsideTheUnitInterval() {
    Augment augment = new Augment(Kind.BRIGHTNESS_BINARISE, MNIST);

    assertArrayEquals(repeat(1f, 3 * PIXELS), augment.apply(repeat(5f, 3 * PIXELS), 3, 1, 2));
    assertArrayEquals(new float[3 * PIXELS], augment.apply(repeat(-3f, 3 * PIXELS), 3, 1, 2));
  }

  @Test
  void flipHorizontalMovesColumnXToWidthMinusOneMinusXInEveryChannel() {
    for (int[] shape : new int[][] {{4, 5, 3}, {3, 6, 2}, CIFAR}) {
      int h = shape[0];
      int w = shape[1];
      int c = shape[2];
      float[] image = randomImages(1, shape, w);

      float[] flipped = Augment.flipHorizontal(image, h, w, c);

      for (int r = 0; r < h; r++) {
        for (int x = 0; x < w; x++) {
          for (int ch = 0; ch < c; ch++) {
            assertEquals(
                image[(r * w + x) * c + ch], flipped[(r * w + (w - 1 - x)) * c + ch], 0f);
          }
        }
      }
    }
  }

  @Test
  void flipHorizontalTwiceIsTheIdentityAndLeavesItsInputAlone() {
    float[] image = randomImages(1, CIFAR, 4);
    float[] copy = image.clone();

    float[] twice = Augment.flipHorizontal(Augment.flipHorizontal(image, 32, 32, 3), 32, 32, 3);

    assertArrayEquals(copy, twice);
    assertArrayEquals(copy, image);
  }

  @Test
  void drawnAffineParametersLieInTheirRangesAndFlipHalfTheTime() {
    Augment augment = new Augment(Kind.AFFINE_FLIP, CIFAR);
    int n = 2000;
    int flips = 0;
    for (int i = 0; i < n; i++) {
      Affine.Params p = augment.affineParams(31, 4, i);
      assertTrue(Math.abs(p.shiftX()) <= 0.2 * 32 && Math.abs(p.shiftY()) <= 0.2 * 32, "" + p);
      assertTrue(Math.abs(p.degrees()) <= 3 && Math.abs(p.shear()) <= 0.2, "" + p);
      flips += p.flip() ? 1 : 0;
    }

    assertEquals(n / 2.0, flips, 4 * Math.sqrt(n * 0.25));
  }

  @Test
  void affineFlipIsTheDrawnWarpFollowedByTheDrawnFlip() {
    Augment augment = new Augment(Kind.AFFINE_FLIP, CIFAR);
    int n = 8;
    int size = 32 * 32 * 3;
    float[] batch = randomImages(n, CIFAR, 12);

    float[] out = augment.apply(batch, n, 99, 5);

    boolean sawFlip = false;
    boolean sawNoFlip = false;
    for (int i = 0; i < n; i++) {
      Affine.Params p = augment.affineParams(99, 5, i);
      float[] expected = new float[size];
      Affine.warp(
          image(batch, i, size),
          0,
          expected,
          0,
          32,
          32,
          3,
          p.degrees(),
          p.shear(),
          p.shiftX(),
          p.shiftY(),
          Affine.Fill.NEAREST);
      if (p.flip()) {
        expected = Augment.flipHorizontal(expected, 32, 32, 3);
      }
      assertArrayEquals(expected, image(out, i, size), "image " + i);
      sawFlip |= p.flip();
      sawNoFlip |= !p.flip();
    }
    assertTrue(sawFlip && sawNoFlip);
  }

  @Test
  void sameSeedAndStepGiveIdenticalAugmentations() {
    for (Kind kind : Kind.values()) {
      int[] shape = kind == Kind.AFFINE_FLIP ? CIFAR : MNIST;
      float[] batch = randomImages(5, shape, 6);
      float[] copy = batch.clone();

      float[] a = new Augment(kind, shape).apply(batch, 5, 2024, 77);
      float[] b = new Augment(kind, shape).apply(batch, 5, 2024, 77);

      assertArrayEquals(a, b, kind.name());
      assertArrayEquals(copy, batch, kind + " must not modify its input");
    }
  }

  @Test
  void differentStepOrSeedGivesADifferentAugmentation() {
    for (Kind kind : Kind.values()) {
      int[] shape = kind == Kind.AFFINE_FLIP ? CIFAR : MNIST;
      Augment augment = new Augment(kind, shape);
      float[] batch = randomImages(5, shape, 6);

      float[] a = augment.apply(batch, 5, 2024, 77);

      assertFalse(Arrays.equals(a, augment.apply(batch, 5, 2024, 78)), kind + " step");
      assertFalse(Arrays.equals(a, augment.apply(batch, 5, 2025, 77)), kind + " seed");
    }
  }

  @Test
  void anImagesAugmentationDoesNotDependOnTheOtherImagesInTheBatch() {
    for (Kind kind : Kind.values()) {
      int[] shape = kind == Kind.AFFINE_FLIP ? CIFAR : MNIST;
      int size = shape[0] * shape[1] * shape[2];
      Augment augment = new Augment(kind, shape);
      float[] batch = randomImages(3, shape, 10);
      float[] others = randomImages(3, shape, 11);
      System.arraycopy(batch, size, others, size, size);
      float[] prefix = Arrays.copyOf(batch, 2 * size);

      float[] a = augment.apply(batch, 3, 8, 1234);
      float[] b = augment.apply(others, 3, 8, 1234);
      float[] c = augment.apply(prefix, 2, 8, 1234);

      assertArrayEquals(image(a, 1, size), image(b, 1, size), kind.name());
      assertArrayEquals(image(a, 1, size), image(c, 1, size), kind.name());
      assertNotEquals(Arrays.hashCode(image(a, 0, size)), Arrays.hashCode(image(b, 0, size)));
    }
  }

  @Test
  void forDatasetPicksThePapersAugmentation() {
    assertEquals(Kind.ROTATION, Augment.forDataset("mnist", MNIST).kind());
    assertEquals(Kind.ROTATION, Augment.forDataset("MNIST", MNIST).kind());
    assertEquals(Kind.BRIGHTNESS_BINARISE, Augment.forDataset("fashion", MNIST).kind());
    assertEquals(Kind.BRIGHTNESS_BINARISE, Augment.forDataset("fashion-mnist", MNIST).kind());
    assertEquals(Kind.AFFINE_FLIP, Augment.forDataset("cifar10", CIFAR).kind());
    assertEquals(Kind.AFFINE_FLIP, Augment.forDataset("stl10", new int[] {96, 96, 3}).kind());
    assertArrayEquals(CIFAR, Augment.forDataset("cifar100", CIFAR).shape());
  }

  @Test
  void unknownDatasetIsRejectedWithItsNameAndShape() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.forDataset("svhn-gray", new int[] {32, 32, 1}));

    assertTrue(e.getMessage().contains("svhn-gray"), e.getMessage());
    assertTrue(e.getMessage().contains("[32, 32, 1]"), e.getMessage());
  }

  @Test
  void wrongBatchLengthIsRejectedNamingBothLengths() {
    Augment augment = new Augment(Kind.ROTATION, MNIST);

    float[] batch = new float[2 * PIXELS + 1];

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> augment.apply(batch, 2, 0, 0));

    assertTrue(e.getMessage().contains(String.valueOf(2 * PIXELS + 1)), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(2 * PIXELS)), e.getMessage());
  }

  @Test
  void invalidArgumentsAreRejected() {
    Augment augment = new Augment(Kind.ROTATION, MNIST);

    assertThrows(IllegalArgumentException.class, () -> augment.apply(new float[0], -1, 0, 0));
    assertEquals(0, augment.apply(new float[0], 0, 0, 0).length);
    assertThrows(IllegalArgumentException.class, () -> new Augment(Kind.ROTATION, new int[] {28}));
    assertThrows(
        IllegalArgumentException.class, () -> new Augment(Kind.ROTATION, new int[] {28, 0, 1}));
    assertThrows(IllegalArgumentException.class, () -> Augment.forDataset("mnist", null));
    assertThrows(NullPointerException.class, () -> new Augment(null, MNIST));
    assertThrows(
        IllegalArgumentException.class, () -> Augment.flipHorizontal(new float[5], 2, 2, 1));
  }
}
