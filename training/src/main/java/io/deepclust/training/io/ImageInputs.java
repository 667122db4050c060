package io.deepclust.training.io;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.IdxReader;
import io.deepclust.inference.io.PngPixels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Images for {@code predict}: an idx image file (plain or gzipped), or a folder of PNG files, as
 * rows of H·W·C floats in [0, 1] (NHWC order) with a name per row. idx bytes are divided by 255;
 * PNG samples by their maximum, colour and alpha as {@link PngPixels} says.
 *
 * <p>A folder is read flat: its {@code .png} files, sorted by name; other files are ignored, and a
 * folder with subfolders is refused (naming them) rather than leaving their images out unseen. An
 * idx file or a folder with no images is refused too, naming it.
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
    if (d.count() == 0) {
      throw new DatasetException(file, DatasetException.Problem.EMPTY, String.format(
          "holds no images (its header declares 0 images of %dx%d)", d.rows(), d.cols()));
    }
    if (d.rows() != height || d.cols() != width || channels != 1) {
      throw new DatasetException(file, DatasetException.Problem.WRONG_DIMENSIONS, String.format(
          "images are %dx%dx1, the model expects %dx%dx%d", d.rows(), d.cols(), height, width,
          channels));
    }
    List<String> names = new ArrayList<>();
    float[][] rows = new float[d.count()][];
    for (int i = 0; i < d.count(); i++) {
      names.add(Integer.toString(i));
      rows[i] = d.pixels(i);
    }
    return new Images(names, rows);
  }

  private static Images readPngFolder(Path dir, int height, int width, int channels) {
    List<Path> entries;
    try (Stream<Path> s = Files.list(dir)) {
      entries = s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    List<String> subfolders = entries.stream().filter(Files::isDirectory)
        .map(p -> p.getFileName().toString()).toList();
    if (!subfolders.isEmpty()) {
      throw new IllegalArgumentException(String.format(
          "%s holds %d subfolder%s (%s): only .png files directly in the folder are read, so"
              + " images in subfolders would be left out; give each subfolder as its own --input",
          dir, subfolders.size(), subfolders.size() == 1 ? "" : "s", names(subfolders)));
    }
    List<Path> files = entries.stream()
        .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
        .toList();
    if (files.isEmpty()) {
      throw new IllegalArgumentException("folder " + dir + " holds no .png files");
    }
    List<String> names = new ArrayList<>();
    float[][] rows = new float[files.size()][];
    for (int i = 0; i < files.size(); i++) {
      names.add(files.get(i).getFileName().toString());
      rows[i] = PngPixels.read(files.get(i), height, width, channels);
    }
    return new Images(names, rows);
  }

  /** The first few names, comma-separated, and how many more there are. */
  private static String names(List<String> all) {
    int shown = Math.min(all.size(), 5);
    String list = String.join(", ", all.subList(0, shown));
    return shown == all.size() ? list : list + " and " + (all.size() - shown) + " more";
  }
}
