package io.deepclust.inference.io;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * One PNG file as the model's input: H·W·C floats in [0, 1], NHWC order. Values are the stored
 * samples over their maximum (2^bits − 1: 255 for 8 bits, 65535 for 16, 15 for 4-bit grey), with
 * no colour management or gamma conversion ({@code BufferedImage.getRGB} converts grey through a
 * colour space: 8-bit grey 32 came out as 99), so a grey PNG gives the same numbers as the idx file
 * it was made from.
 *
 * <p>Every PNG colour type is read: grey (1-16 bits), grey with alpha, RGB, RGBA (8 or 16 bits)
 * and palette (with or without transparency). For a 1-channel model colour becomes its ITU-R BT.601
 * luma, Y = 0.299 R + 0.587 G + 0.114 B (of the stored values; a grey pixel, R = G = B, is its
 * value exactly); for a 3-channel model grey is repeated into R, G and B. Alpha is composited over
 * black, the background of the datasets the models are trained on: value·α, so a fully
 * transparent pixel is 0. Models of other than 1 or 3 channels, and files that are not PNGs, are
 * refused with the file's name.
 *
 * <p>The one decoding of PNG input: {@code ./deepclust predict} and the Spark module use it.
 */
public final class PngPixels {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static final double LUMA_R = 0.299;
  static final double LUMA_G = 0.587;
  static final double LUMA_B = 0.114;

  private PngPixels() {}

  /** The pixels of {@code file}, which must be a PNG of {@code height}×{@code width}. */
  public static float[] read(Path file, int height, int width, int channels) {
    checkChannels(file.toString(), channels);
    return pixels(file.toString(), decode(file), height, width, channels);
  }

  /**
   * The pixels of a PNG file's bytes (as Spark's {@code binaryFile} source gives them), decoded
   * as {@link #read(Path, int, int, int)} decodes the file; {@code name} (the file's name or
   * path) starts every error message.
   */
  public static float[] read(byte[] png, String name, int height, int width, int channels) {
    checkChannels(name, channels);
    checkSignature(name, png, png.length);
    BufferedImage img =
        decode(name, () -> new MemoryCacheImageInputStream(new ByteArrayInputStream(png)));
    return pixels(name, img, height, width, channels);
  }

  private static void checkChannels(String name, int channels) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(name + ": the model expects " + channels + " channels;"
          + " PNG input gives 1 (grey) or 3 (RGB)");
    }
  }

  private static float[] pixels(String file, BufferedImage img, int height, int width,
      int channels) {
    if (img.getHeight() != height || img.getWidth() != width) {
      throw new IllegalArgumentException(String.format("%s: image is %dx%d, the model expects "
          + "%dx%d", file, img.getWidth(), img.getHeight(), width, height));
    }
    float[] out = new float[height * width * channels];
    Raster raster = img.getRaster();
    ColorModel cm = img.getColorModel();
    double[] rgba = new double[4];
    int[] sample = new int[raster.getNumBands()];
    Samples samples = samplesOf(file, cm, raster.getNumBands());
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        raster.getPixel(x, y, sample);
        samples.rgba(sample, rgba);
        int o = (y * width + x) * channels;
        if (channels == 1) {
          out[o] = (float) (grey(rgba) * rgba[3]);
        } else {
          for (int c = 0; c < 3; c++) {
            out[o + c] = (float) (rgba[c] * rgba[3]);
          }
        }
      }
    }
    return out;
  }

  /** R, G, B, α in [0, 1] of one pixel's raster samples. */
  private interface Samples {
    void rgba(int[] sample, double[] out);
  }

  /** How the raster samples of {@code cm} become R, G, B, α; a kind not read is refused. */
  private static Samples samplesOf(String file, ColorModel cm, int bands) {
    if (cm instanceof IndexColorModel palette) {
      return (s, out) -> {
        out[0] = palette.getRed(s[0]) / 255.0;
        out[1] = palette.getGreen(s[0]) / 255.0;
        out[2] = palette.getBlue(s[0]) / 255.0;
        out[3] = palette.getAlpha(s[0]) / 255.0;
      };
    }
    int type = cm.getColorSpace().getType();
    boolean grey = type == ColorSpace.TYPE_GRAY && bands == (cm.hasAlpha() ? 2 : 1);
    boolean rgb = type == ColorSpace.TYPE_RGB && bands == (cm.hasAlpha() ? 4 : 3);
    if (!(cm instanceof ComponentColorModel) || cm.isAlphaPremultiplied() || !(grey || rgb)) {
      throw new IllegalArgumentException(file + ": unsupported PNG kind (" + bands + " bands of "
          + Arrays.toString(cm.getComponentSize()) + " bits, " + cm.getClass().getSimpleName()
          + "); read are grey, grey+alpha, RGB, RGBA and palette");
    }
    double[] max = new double[bands];
    for (int b = 0; b < bands; b++) {
      max[b] = (1 << cm.getComponentSize(b)) - 1;
    }
    return (s, out) -> {
      for (int c = 0; c < 3; c++) {
        out[c] = s[grey ? 0 : c] / max[grey ? 0 : c];
      }
      out[3] = cm.hasAlpha() ? s[bands - 1] / max[bands - 1] : 1;
    };
  }

  /** ITU-R BT.601 luma; a grey pixel is its value exactly. */
  static double grey(double[] rgb) {
    if (rgb[0] == rgb[1] && rgb[1] == rgb[2]) {
      return rgb[0];
    }
    return LUMA_R * rgb[0] + LUMA_G * rgb[1] + LUMA_B * rgb[2];
  }

  /** Decodes {@code file} with the PNG reader, after checking the PNG signature. */
  private static BufferedImage decode(Path file) {
    byte[] head = new byte[SIGNATURE.length];
    int got;
    try (InputStream in = Files.newInputStream(file)) {
      got = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
    }
    checkSignature(file.toString(), head, got);
    return decode(file.toString(), () -> ImageIO.createImageInputStream(file.toFile()));
  }

  private static void checkSignature(String file, byte[] head, int length) {
    if (length < SIGNATURE.length
        || !Arrays.equals(head, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
      throw new IllegalArgumentException(file + ": not a PNG file (no PNG signature)");
    }
  }

  /** Where the PNG reader reads from. */
  private interface Source {
    ImageInputStream open() throws IOException;
  }

  private static BufferedImage decode(String file, Source source) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
    if (!readers.hasNext()) {
      throw new IllegalStateException("no PNG reader in this Java runtime");
    }
    ImageReader reader = readers.next();
    try (ImageInputStream in = source.open()) {
      reader.setInput(in, true, true);
      return reader.read(0);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(file + ": not a readable PNG (" + e.getMessage() + ")");
    } finally {
      reader.dispose();
    }
  }
}
