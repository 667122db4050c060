package io.deepclust.training.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The seeded image augmentations of Variational Clustering (§V-A "Datasets" of
 * variational-clustering-w2), applied to every training batch to form the augmented inputs of the
 * augmentation loss.
 *
 * <ul>
 *   <li>{@link Kind#ROTATION} (MNIST): rotation by {@code θ ~ U(-3°, 3°)} about the image centre
 *       {@code ((W-1)/2, (H-1)/2)}, counter-clockwise on screen for {@code θ > 0}, bilinear, 0
 *       outside the source.
 *   <li>{@link Kind#BRIGHTNESS_BINARISE} (Fashion-MNIST): {@code v = clip(x + δ, 0, 1)} with one
 *       {@code δ ~ U(-0.2, 0.2)} per image (as {@code tf.image.random_brightness}), then each pixel
 *       becomes {@code 1[v > u]} with {@code u ~ U(0, 1)} drawn per pixel, so {@code P(1) = v}.
 *   <li>{@link Kind#AFFINE_FLIP} (colour images such as CIFAR-10/100, STL-10): shift by up to 0.2
 *       of the width and height, rotation {@code θ ~ U(-3°, 3°)}, shear {@code x' = x + s·y} with
 *       {@code s ~ U(-0.2, 0.2)} about the centre, bilinear with nearest-edge fill (Keras {@code
 *       ImageDataGenerator}'s default), then a horizontal flip with probability 1/2. The forward
 *       map and draw order are in {@link Affine} and {@link Affine.Params}. The paper also lists
 *       vertical flips for these datasets; they are not applied here.
 * </ul>
 *
 * <p>Randomness: image {@code i} of the batch at training step {@code step} draws everything from
 * {@code new SplittableRandom(mix64(mix64(mix64(seed + SALT) + step·γ) + i·γ))}, with {@code γ =
 * 0x9E3779B97F4A7C15} and {@link Batcher#mix64} the SplitMix64 finaliser. So an image's
 * augmentation depends only on {@code (seed, step, i)}: not on the other images, nor on what was
 * drawn before, and a run resumed at {@code step} draws what an uninterrupted one would. {@code
 * SALT} keeps these streams apart from the {@link Batcher}'s for the same seed.
 *
 * <p>Instances are immutable and thread-safe; {@link #apply} allocates only its output and one
 * random stream per image.
 */
public final class Augment {
  /** Rotations are uniform in {@code [-3°, 3°]} (MNIST and the colour datasets). */
  public static final double MAX_ROTATION_DEGREES = 3.0;
  /** Brightness deltas are uniform in {@code [-0.2, 0.2]} (Fashion-MNIST). */
  public static final double MAX_BRIGHTNESS_DELTA = 0.2;
  /** Shifts are uniform in {@code [-0.2, 0.2]} times the width or height (colour datasets). */
  public static final double MAX_SHIFT_FRACTION = 0.2;
  /** Shear factors are uniform in {@code [-0.2, 0.2]} (colour datasets). */
  public static final double MAX_SHEAR = 0.2;
  /** Chance of a horizontal flip (colour datasets). */
  public static final double FLIP_PROBABILITY = 0.5;

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private static final long SALT = 0x6175676D656E7421L; // "augment!"

  /** The augmentation families of §V-A. */
  public enum Kind {
    /** MNIST: random rotation, zero fill. */
    ROTATION,
    /** Fashion-MNIST: random brightness, then stochastic binarisation. */
    BRIGHTNESS_BINARISE,
    /** Colour datasets: random shift, rotation, shear (nearest fill) and horizontal flip. */
    AFFINE_FLIP
  }

  private final Kind kind;
  private final int h;
  private final int w;
  private final int c;
  private final int imageSize;

  /**
   * The augmentation a config names ({@code rotation}, {@code brightness_binarise}, {@code
   * affine_flip}) for images of {@code shape}, or null for {@code none}: x̂ is then x.
   */
  public static Augment named(String transform, int[] shape) {
    return switch (transform) {
      case "rotation" -> new Augment(Kind.ROTATION, shape);
      case "brightness_binarise" -> new Augment(Kind.BRIGHTNESS_BINARISE, shape);
      case "affine_flip" -> new Augment(Kind.AFFINE_FLIP, shape);
      case "none" -> null;
      default -> throw new IllegalArgumentException("unknown augmentation " + transform);
    };
  }

  /**
   * @param kind the augmentation family
   * @param shape {@code {H, W, C}} of one image, all positive
   * @throws IllegalArgumentException for a bad shape
   */
  public Augment(Kind kind, int[] shape) {
    this.kind = Objects.requireNonNull(kind, "kind");
    checkShape(shape);
    this.h = shape[0];
    this.w = shape[1];
    this.c = shape[2];
    this.imageSize = shape[0] * shape[1] * shape[2];
  }

  /**
   * The augmentation §V-A uses for {@code dataset}: {@code "mnist"} → {@link Kind#ROTATION}, {@code
   * "fashion"} or {@code "fashion-mnist"} → {@link Kind#BRIGHTNESS_BINARISE} (names ignore case),
   * any other dataset with 3 channels → {@link Kind#AFFINE_FLIP}.
   *
   * @param shape {@code {H, W, C}} of one image
   * @throws IllegalArgumentException naming the dataset and shape when none applies, or for a bad
   *     shape
   */
  public static Augment forDataset(String dataset, int[] shape) {
    checkShape(shape);
    String key = dataset == null ? "" : Datasets.canonicalName(dataset);
    Kind kind;
    if (key.equals(Datasets.MNIST)) {
      kind = Kind.ROTATION;
    } else if (key.equals(Datasets.FASHION_MNIST)) {
      kind = Kind.BRIGHTNESS_BINARISE;
    } else if (shape[2] == 3) {
      kind = Kind.AFFINE_FLIP;
    } else {
      throw new IllegalArgumentException(
          String.format(
              "no augmentation for dataset '%s' with shape %s: known are 'mnist', 'fashion' /"
                  + " 'fashion-mnist', and any dataset of 3-channel images",
              dataset, Arrays.toString(shape)));
    }
    return new Augment(kind, shape);
  }

  public Kind kind() {
    return kind;
  }

  /** {@code {H, W, C}} of one image (a copy). */
  public int[] shape() {
    return new int[] {h, w, c};
  }

  /**
   * Augments {@code n} images into a new array, leaving {@code batch} untouched.
   *
   * @param batch {@code n * H * W * C} values, NHWC, nominally in {@code [0, 1]}; values outside
   *     are kept by the geometric kinds and clipped by {@link Kind#BRIGHTNESS_BINARISE}
   * @param seed the run's seed
   * @param step the training step; with {@code seed} and the index it fixes each image's draw
   * @throws IllegalArgumentException when {@code n < 0} or the length is not {@code n * H * W * C}
   */
  public float[] apply(float[] batch, int n, long seed, long step) {
    Objects.requireNonNull(batch, "batch");
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    long expected = (long) n * imageSize;
    if (batch.length != expected) {
      throw new IllegalArgumentException(
          String.format(
              "batch has length %d but n*H*W*C = %d*%d*%d*%d = %d",
              batch.length, n, h, w, c, expected));
    }
    float[] out = new float[batch.length];
    for (int i = 0; i < n; i++) {
      SplittableRandom random = stream(seed, step, i);
      int offset = i * imageSize;
      switch (kind) {
        case ROTATION -> Affine.warp(
            batch, offset, out, offset, h, w, c, drawDegrees(random), 0, 0, 0, Affine.Fill.ZERO);
        case BRIGHTNESS_BINARISE -> brightnessBinarise(
            batch, out, offset, imageSize, drawBrightnessDelta(random), random);
        case AFFINE_FLIP -> {
          Affine.Params p = Affine.Params.draw(random, h, w);
          Affine.warp(
              batch,
              offset,
              out,
              offset,
              h,
              w,
              c,
              p.degrees(),
              p.shear(),
              p.shiftX(),
              p.shiftY(),
              Affine.Fill.NEAREST);
          if (p.flip()) {
            Affine.flipHorizontalInPlace(out, offset, h, w, c);
          }
        }
      }
    }
    return out;
  }

  /**
   * A left-right mirror of one HWC image: pixel {@code (r, x)} moves to {@code (r, W-1-x)} in every
   * channel. The flip of {@link Kind#AFFINE_FLIP}.
   *
   * @throws IllegalArgumentException when {@code image.length != h * w * c}
   */
  public static float[] flipHorizontal(float[] image, int h, int w, int c) {
    checkImage(image, h, w, c);
    float[] out = image.clone();
    Affine.flipHorizontalInPlace(out, 0, h, w, c);
    return out;
  }

  /**
   * One HWC image rotated by {@code degrees} (counter-clockwise on screen) about its centre,
   * bilinear, 0 outside the source: {@link Kind#ROTATION} with a chosen angle.
   */
  static float[] rotate(float[] image, int h, int w, int c, double degrees) {
    checkImage(image, h, w, c);
    float[] out = new float[image.length];
    Affine.warp(image, 0, out, 0, h, w, c, degrees, 0, 0, 0, Affine.Fill.ZERO);
    return out;
  }

  /** The angle {@link Kind#ROTATION} draws for image {@code i} at {@code (seed, step)}. */
  static double rotationDegrees(long seed, long step, int i) {
    return drawDegrees(stream(seed, step, i));
  }

  /** The {@code δ} that {@link Kind#BRIGHTNESS_BINARISE} draws for image {@code i}. */
  static double brightnessDelta(long seed, long step, int i) {
    return drawBrightnessDelta(stream(seed, step, i));
  }

  /** The geometry {@link Kind#AFFINE_FLIP} draws for image {@code i} at {@code (seed, step)}. */
  Affine.Params affineParams(long seed, long step, int i) {
    return Affine.Params.draw(stream(seed, step, i), h, w);
  }

  /** The random stream of image {@code i} at {@code (seed, step)}; see the class comment. */
  static SplittableRandom stream(long seed, long step, int i) {
    long s = Batcher.mix64(Batcher.mix64(seed + SALT) + step * GOLDEN_GAMMA);
    return new SplittableRandom(Batcher.mix64(s + i * GOLDEN_GAMMA));
  }

  private static double drawDegrees(SplittableRandom random) {
    return random.nextDouble(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES);
  }

  private static double drawBrightnessDelta(SplittableRandom random) {
    return random.nextDouble(-MAX_BRIGHTNESS_DELTA, MAX_BRIGHTNESS_DELTA);
  }

  /** {@code out = 1[clip(x + delta, 0, 1) > u]}, one {@code u ~ U[0, 1)} per value, in order. */
  private static void brightnessBinarise(
      float[] in, float[] out, int offset, int size, double delta, SplittableRandom random) {
    for (int k = offset, end = offset + size; k < end; k++) {
      double v = Math.min(1.0, Math.max(0.0, in[k] + delta));
      out[k] = v > random.nextDouble() ? 1f : 0f;
    }
  }

  private static void checkShape(int[] shape) {
    if (shape == null
        || shape.length != 3
        || shape[0] < 1
        || shape[1] < 1
        || shape[2] < 1
        || (long) shape[0] * shape[1] * shape[2] > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "shape must be {H, W, C} with positive dimensions, got " + Arrays.toString(shape));
    }
  }

  private static void checkImage(float[] image, int h, int w, int c) {
    Objects.requireNonNull(image, "image");
    checkShape(new int[] {h, w, c});
    if (image.length != (long) h * w * c) {
      throw new IllegalArgumentException(
          String.format(
              "image has length %d but H*W*C = %d*%d*%d = %d",
              image.length, h, w, c, (long) h * w * c));
    }
  }
}
