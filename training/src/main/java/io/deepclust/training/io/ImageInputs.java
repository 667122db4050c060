package io.deepclust.training.io;

import io.deepclust.training.data.DatasetException;
import io.deepclust.training.data.IdxReader;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Images for {@code predict}: an idx image file (plain or gzipped), or a folder of PNG files, as
 * rows of H·W·C floats in [0, 1] (NHWC order) with a name per row.
 */
public final class ImageInputs {
  /** Rows of pixels and the name of each row (file name, or index in an idx file). */
  public record Images(List<String> names, float[][] rows) {}

  private ImageInputs() {}

  /** Reads {@code input} and checks that every image is H×W×C. */
  public static Images read(Path input, int height, int width, int channels) {
    if (!Files.exists(input)) {
      throw new IllegalArgumentException("input " + input + " does not exist");
    }
    return Files.isDirectory(input) ? readPngFolder(input, height, width, channels)
        : readIdx(input, height, width, channels);
  }

  private static Images readIdx(Path file, int height, int width, int channels) {
    IdxReader.Images d = IdxReader.readImages(file);
    if (d.rows() != height || d.cols() != width || channels != 1) {
      throw new DatasetException(file, DatasetException.Problem.WRONG_DIMENSIONS, String.format(
          "images are %dx%dx1, the model expects %dx%dx%d", d.rows(), d.cols(), height, width,
          channels));
    }
    int size = height * width;
    List<String> names = new ArrayList<>();
    float[][] rows = new float[d.count()][size];
    for (int i = 0; i < d.count(); i++) {
      names.add(Integer.toString(i));
      for (int j = 0; j < size; j++) {
        rows[i][j] = (d.data()[i * size + j] & 0xff) / 255f;
      }
    }
    return new Images(names, rows);
  }

  private static Images readPngFolder(Path dir, int height, int width, int channels) {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("folder " + dir + " holds no .png files");
    }
    List<String> names = new ArrayList<>();
    float[][] rows = new float[files.size()][];
    for (int i = 0; i < files.size(); i++) {
      names.add(files.get(i).getFileName().toString());
      rows[i] = readPng(files.get(i), height, width, channels);
    }
    return new Images(names, rows);
  }

  /** One PNG as H·W·C floats: grey (mean of R, G, B) for C = 1, RGB for C = 3. */
  static float[] readPng(Path file, int height, int width, int channels) {
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not a readable PNG (" + e.getMessage() + ")");
    }
    if (img == null) {
      throw new IllegalArgumentException(file + ": not a readable PNG");
    }
    if (img.getHeight() != height || img.getWidth() != width) {
      throw new IllegalArgumentException(String.format("%s: image is %dx%d, the model expects "
          + "%dx%d", file, img.getWidth(), img.getHeight(), width, height));
    }
    float[] out = new float[height * width * channels];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = img.getRGB(x, y);
        float r = ((rgb >> 16) & 0xff) / 255f;
        float g = ((rgb >> 8) & 0xff) / 255f;
        float b = (rgb & 0xff) / 255f;
        int o = (y * width + x) * channels;
        if (channels == 1) {
          out[o] = (r + g + b) / 3f;
        } else {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
        }
      }
    }
    return out;
  }
}
