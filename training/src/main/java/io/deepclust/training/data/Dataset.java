package io.deepclust.training.data;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.DatasetException.Problem;
import io.deepclust.inference.io.IdxReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A labelled image dataset held in memory: images NHWC float32 in {@code [0, 1]}, the layout of the
 * SavedModel contract's input {@code x}.
 *
 * <p>Pixel {@code (i, y, x, c)} is {@code pixels[((i * height + y) * width + x) * channels + c]};
 * idx bytes {@code b} become {@code (b & 0xFF) / 255f}. {@link #pixels()} and {@link #labels()}
 * return the backing arrays without copying, because batching reads them on the hot path: treat
 * them as read-only.
 */
public final class Dataset {
  private final String name;
  private final float[] pixels;
  private final int[] labels;
  private final int n;
  private final int height;
  private final int width;
  private final int channels;
  private final int numClasses;

  /**
   * @param name for logs and provenance, e.g. {@code "mnist/test"}
   * @param pixels {@code labels.length * height * width * channels} values in NHWC order
   * @param labels one class index in {@code [0, numClasses)} per image
   * @throws IllegalArgumentException when the sizes disagree or a label is out of range
   */
  public Dataset(
      String name,
      float[] pixels,
      int[] labels,
      int height,
      int width,
      int channels,
      int numClasses) {
    this.name = Objects.requireNonNull(name, "name");
    this.pixels = Objects.requireNonNull(pixels, "pixels");
    this.labels = Objects.requireNonNull(labels, "labels");
    if (height < 1 || width < 1 || channels < 1 || numClasses < 1) {
      throw new IllegalArgumentException(
          String.format(
              "%s: height %d, width %d, channels %d and numClasses %d must all be >= 1",
              name, height, width, channels, numClasses));
    }
    this.n = labels.length;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.numClasses = numClasses;
    long expected = (long) n * flatDim();
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          String.format(
              "%s: %d labels of %dx%dx%d images need %d pixels, got %d",
              name, n, height, width, channels, expected, pixels.length));
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(
            String.format(
                "%s: label %d at index %d is outside [0, %d)", name, labels[i], i, numClasses));
      }
    }
  }

  /** The images and labels of {@code a} followed by those of {@code b} (same image shape). */
  public static Dataset concat(Dataset a, Dataset b, String name) {
    if (a.height != b.height || a.width != b.width || a.channels != b.channels) {
      throw new IllegalArgumentException("cannot concatenate " + a.name + " and " + b.name
          + ": image shapes differ");
    }
    float[] pixels = java.util.Arrays.copyOf(a.pixels, a.pixels.length + b.pixels.length);
    System.arraycopy(b.pixels, 0, pixels, a.pixels.length, b.pixels.length);
    int[] labels = java.util.Arrays.copyOf(a.labels, a.n + b.n);
    System.arraycopy(b.labels, 0, labels, a.n, b.n);
    return new Dataset(name, pixels, labels, a.height, a.width, a.channels,
        Math.max(a.numClasses, b.numClasses));
  }

  /**
   * Loads an idx3 images file and an idx1 labels file (plain or gzipped) with labels in {@code [0,
   * 10)}.
   *
   * @throws DatasetException naming the file and the problem
   */
  public static Dataset load(Path imagesFile, Path labelsFile, String name) {
    return load(imagesFile, labelsFile, name, IdxReader.DEFAULT_NUM_CLASSES);
  }

  /**
   * As {@link #load(Path, Path, String)} with labels required to lie in {@code [0, numClasses)}.
   */
  public static Dataset load(Path imagesFile, Path labelsFile, String name, int numClasses) {
    int[] labels = IdxReader.readLabels(labelsFile, numClasses);
    IdxReader.Images images = IdxReader.readImages(imagesFile);
    if (images.count() != labels.length) {
      throw new DatasetException(
          imagesFile,
          Problem.COUNT_MISMATCH,
          String.format(
              "image/label count mismatch: %d images here but %d labels in %s",
              images.count(), labels.length, labelsFile));
    }
    byte[] raw = images.data();
    float[] pixels = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      pixels[i] = (raw[i] & 0xFF) / 255f;
    }
    return new Dataset(name, pixels, labels, images.rows(), images.cols(), 1, numClasses);
  }

  /** Name for logs and provenance. */
  public String name() {
    return name;
  }

  /** All pixels, NHWC; the backing array, not a copy. */
  public float[] pixels() {
    return pixels;
  }

  /** All labels; the backing array, not a copy. */
  public int[] labels() {
    return labels;
  }

  /** Number of images. */
  public int n() {
    return n;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int channels() {
    return channels;
  }

  /** Labels lie in {@code [0, numClasses)}. */
  public int numClasses() {
    return numClasses;
  }

  /** Values per image: {@code height * width * channels}. */
  public int flatDim() {
    return height * width * channels;
  }

  /** Image {@code i} as a fresh {@code [height * width * channels]} array (HWC). */
  public float[] image(int i) {
    Objects.checkIndex(i, n);
    int d = flatDim();
    return Arrays.copyOfRange(pixels, i * d, (i + 1) * d);
  }

  /** Label of image {@code i}. */
  public int label(int i) {
    return labels[Objects.checkIndex(i, n)];
  }

  /** How many images each class has; the counts sum to {@link #n()}. */
  public int[] labelCounts() {
    int[] counts = new int[numClasses];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** Images {@code [from, to)} as a new dataset with copied arrays. */
  public Dataset subset(int from, int to) {
    Objects.checkFromToIndex(from, to, n);
    int d = flatDim();
    return new Dataset(
        name + "[" + from + ":" + to + "]",
        Arrays.copyOfRange(pixels, from * d, to * d),
        Arrays.copyOfRange(labels, from, to),
        height,
        width,
        channels,
        numClasses);
  }

  /** The first {@code count} images, e.g. for a smoke test with a tiny budget. */
  public Dataset first(int count) {
    return subset(0, count);
  }

  @Override
  public String toString() {
    return String.format(
        "Dataset[%s: %d x %dx%dx%d, %d classes]", name, n, height, width, channels, numClasses);
  }
}
