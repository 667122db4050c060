package io.deepclust.training.data;

import io.deepclust.inference.io.DatasetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The datasets {@code tools/fetch-data} installs, by name, from a cache directory laid out as
 * {@code <cache>/mnist/<prefix>-images-idx3-ubyte} (plain) and {@code
 * <cache>/fashion-mnist/<prefix>-images-idx3-ubyte.gz} (gzipped), where {@code <prefix>} is {@code
 * train} or {@code t10k}. Either compression is accepted for either dataset.
 *
 * <p>The cache is {@code $DEEPCLUST_DATA} when set, else {@code ~/.cache/deepclust}.
 */
public final class Datasets {
  /** Environment variable naming the cache directory. */
  public static final String ENV_VAR = "DEEPCLUST_DATA";

  public static final String MNIST = "mnist";
  public static final String FASHION_MNIST = "fashion-mnist";

  /** The names {@link #byName} accepts. */
  public static final List<String> NAMES = List.of(MNIST, FASHION_MNIST);

  /**
   * A dataset name as {@link #NAMES} spells it: lower case, and {@code fashion} (the
   * issue's and the paper's spelling) for {@code fashion-mnist}; other names are returned lowered.
   */
  public static String canonicalName(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    return key.equals("fashion") ? FASHION_MNIST : key;
  }

  private Datasets() {}

  /** {@code $DEEPCLUST_DATA}, or {@code ~/.cache/deepclust} when it is unset or blank. */
  public static Path defaultCacheDir() {
    return cacheDir(System.getenv(), System.getProperty("user.home"));
  }

  static Path cacheDir(Map<String, String> env, String userHome) {
    String dir = env.get(ENV_VAR);
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir);
    }
    return Path.of(userHome, ".cache", "deepclust");
  }

  /** MNIST (28x28x1, 10 digits) from {@code cacheDir/mnist/}. */
  public static Dataset mnist(Path cacheDir, Split split) {
    return load(cacheDir, MNIST, split);
  }

  /** Fashion-MNIST (28x28x1, 10 garment classes) from {@code cacheDir/fashion-mnist/}. */
  public static Dataset fashionMnist(Path cacheDir, Split split) {
    return load(cacheDir, FASHION_MNIST, split);
  }

  /** A dataset from {@link #NAMES} in the {@linkplain #defaultCacheDir() default cache}. */
  public static Dataset byName(String name, Split split) {
    return byName(name, defaultCacheDir(), split);
  }

  /**
   * A dataset from {@link #NAMES} in {@code cacheDir}.
   *
   * @throws IllegalArgumentException for an unknown name
   * @throws DatasetException when a file is missing or malformed
   */
  public static Dataset byName(String name, Path cacheDir, Split split) {
    String key = canonicalName(name);
    if (!NAMES.contains(key)) {
      throw new IllegalArgumentException(
          "unknown dataset '" + name + "'; known datasets: " + String.join(", ", NAMES));
    }
    return load(cacheDir, key, split);
  }

  /** The images file of {@code name}/{@code split} under {@code cacheDir}, plain or gzipped. */
  public static Path imagesFile(Path cacheDir, String name, Split split) {
    return resolve(cacheDir, name, split.filePrefix() + "-images-idx3-ubyte");
  }

  /** The labels file of {@code name}/{@code split} under {@code cacheDir}, plain or gzipped. */
  public static Path labelsFile(Path cacheDir, String name, Split split) {
    return resolve(cacheDir, name, split.filePrefix() + "-labels-idx1-ubyte");
  }

  private static Dataset load(Path cacheDir, String name, Split split) {
    Path images = imagesFile(cacheDir, name, split);
    Path labels = labelsFile(cacheDir, name, split);
    for (Path file : List.of(images, labels)) {
      if (!Files.isRegularFile(file)) {
        throw new DatasetException(
            file,
            DatasetException.Problem.MISSING,
            String.format(
                "file missing; install it with: %s=%s tools/fetch-data %s",
                ENV_VAR, cacheDir, name));
      }
    }
    return Dataset.load(images, labels, name + "/" + split.name().toLowerCase(Locale.ROOT));
  }

  /** The plain file when present, else the gzipped one when present, else the expected name. */
  private static Path resolve(Path cacheDir, String name, String base) {
    Path dir = cacheDir.resolve(name);
    Path plain = dir.resolve(base);
    Path gzipped = dir.resolve(base + ".gz");
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    if (Files.isRegularFile(gzipped) || FASHION_MNIST.equals(name)) {
      return gzipped;
    }
    return plain;
  }
}
