package io.deepclust.training.io;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A PNG of rows × cols image tiles, each H×W×C floats in [0, 1] (NHWC rows as the models give
 * them; C = 1 grayscale, C = 3 RGB). Values are clipped to [0, 1] (NaN as 0) and stored as
 * round(255·v); each pixel is upscaled to a {@code scale}×{@code scale} block, and tiles are
 * separated by {@link #GAP} white pixels (not scaled, none around the border). So the image is
 * {@code cols·W·scale + (cols−1)·GAP} wide and {@code rows·H·scale + (rows−1)·GAP} high.
 */
public final class ImageGrid {
  /** Pixels between neighbouring tiles. */
  public static final int GAP = 2;
  /** The value of gap pixels, in every channel. */
  public static final int GAP_VALUE = 255;
  /** The most pixels an image may have (a guard against a huge --samples or --scale). */
  public static final long MAX_PIXELS = 1L << 26;

  private ImageGrid() {}

  /** The width in pixels of a grid of {@code cols} tiles {@code width} wide. */
  public static int pixelWidth(int cols, int width, int scale) {
    return (int) extent(cols, width, scale);
  }

  /** The height in pixels of a grid of {@code rows} tiles {@code height} high. */
  public static int pixelHeight(int rows, int height, int scale) {
    return (int) extent(rows, height, scale);
  }

  /**
   * Checks that a grid of these dimensions can be drawn.
   *
   * @throws IllegalArgumentException naming the dimension at fault
   */
  public static void checkSize(int rows, int cols, int height, int width, int channels,
      int scale) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("a grid needs ≥ 1 row and column, got " + rows + "×"
          + cols);
    }
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("tiles must be ≥ 1×1, got " + height + "×" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("tiles need 1 (grayscale) or 3 (RGB) channels, got "
          + channels);
    }
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be ≥ 1, got " + scale);
    }
    long w = extent(cols, width, scale);
    long h = extent(rows, height, scale);
    if (w * h > MAX_PIXELS) {
      throw new IllegalArgumentException(String.format("a %d×%d grid of %d×%d tiles at scale %d"
          + " would be %d×%d pixels, more than %d", rows, cols, height, width, scale, w, h,
          MAX_PIXELS));
    }
  }

  /**
   * Draws the grid.
   *
   * @param tiles {@code tiles[r][c]} is the tile at row r, column c: H·W·C floats, NHWC order;
   *     every row has the same number of tiles
   * @throws IllegalArgumentException if the tiles or dimensions do not fit together
   */
  public static BufferedImage render(float[][][] tiles, int height, int width, int channels,
      int scale) {
    int rows = tiles.length;
    int cols = rows == 0 ? 0 : tiles[0].length;
    checkSize(rows, cols, height, width, channels, scale);
    int size = height * width * channels;
    for (int r = 0; r < rows; r++) {
      if (tiles[r].length != cols) {
        throw new IllegalArgumentException("row " + r + " has " + tiles[r].length
            + " tiles, row 0 has " + cols);
      }
      for (int c = 0; c < cols; c++) {
        if (tiles[r][c] == null || tiles[r][c].length != size) {
          throw new IllegalArgumentException(String.format(
              "tile [%d][%d] has %s values, expected H*W*C = %d*%d*%d = %d", r, c,
              tiles[r][c] == null ? "no" : tiles[r][c].length, height, width, channels, size));
        }
      }
    }
    BufferedImage image = new BufferedImage(pixelWidth(cols, width, scale),
        pixelHeight(rows, height, scale),
        channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    WritableRaster raster = image.getRaster();
    int bands = raster.getNumBands();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        for (int b = 0; b < bands; b++) {
          raster.setSample(x, y, b, GAP_VALUE);
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int top = r * (height * scale + GAP);
        int left = c * (width * scale + GAP);
        float[] tile = tiles[r][c];
        for (int i = 0; i < height; i++) {
          for (int j = 0; j < width; j++) {
            for (int b = 0; b < channels; b++) {
              int v = toByte(tile[(i * width + j) * channels + b]);
              for (int dy = 0; dy < scale; dy++) {
                for (int dx = 0; dx < scale; dx++) {
                  raster.setSample(left + j * scale + dx, top + i * scale + dy, b, v);
                }
              }
            }
          }
        }
      }
    }
    return image;
  }

  /**
   * Draws the grid ({@link #render}) and writes it as a PNG to {@code target}: first to a
   * temporary file in the target's folder, then renamed into place, so that no half-written PNG
   * is ever left at {@code target}. Missing parent folders are created.
   *
   * @throws UncheckedIOException naming the target if it cannot be written
   */
  public static void write(float[][][] tiles, int height, int width, int channels, int scale,
      Path target) {
    BufferedImage image = render(tiles, height, width, channels, scale);
    AtomicFile.write(target, out -> {
      if (!ImageIO.write(image, "png", out)) {
        throw new IOException("no PNG writer in this Java runtime");
      }
    });
  }

  /** round(255·v) of v clipped to [0, 1]; NaN gives 0. */
  static int toByte(float v) {
    if (!(v > 0)) {
      return 0;
    }
    return v >= 1 ? 255 : Math.round(v * 255f);
  }

  private static long extent(int tiles, int size, int scale) {
    return (long) tiles * size * scale + (long) (tiles - 1) * GAP;
  }
}
