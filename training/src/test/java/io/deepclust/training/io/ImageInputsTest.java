package io.deepclust.training.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.deepclust.inference.io.DatasetException;
import io.deepclust.inference.io.IdxReader;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageInputsTest {
  static void writeGreyPng(Path file, int w, int h, int grey) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = (x == 0 && y == 0) ? 255 : grey;
        img.setRGB(x, y, (v << 16) | (v << 8) | v);
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  @Test
  void pngFolderGivesSortedNamesAndPixelsInUnitRange(@TempDir Path dir) throws Exception {
    writeGreyPng(dir.resolve("b.png"), 3, 2, 51);
    writeGreyPng(dir.resolve("a.png"), 3, 2, 0);
    Files.writeString(dir.resolve("notes.txt"), "ignored");
    var images = ImageInputs.read(dir, 2, 3, 1);
    assertEquals(List.of("a.png", "b.png"), images.names());
    assertEquals(1f, images.rows()[0][0], 1e-6f);
    assertEquals(0f, images.rows()[0][1], 1e-6f);
    assertEquals(0.2f, images.rows()[1][5], 1e-6f);
  }

  @Test
  void pngOfTheWrongSizeNamesTheFileAndBothSizes(@TempDir Path dir) throws Exception {
    writeGreyPng(dir.resolve("big.png"), 5, 5, 10);
    var e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.read(dir, 28, 28, 1));
    assertTrue(e.getMessage().contains("big.png") && e.getMessage().contains("5x5")
        && e.getMessage().contains("28x28"), e.getMessage());
  }

  @Test
  void idxFileRowsAreNamedByIndex(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("imgs-idx3-ubyte");
    try (var out = new DataOutputStream(Files.newOutputStream(f))) {
      out.writeInt(0x00000803);
      out.writeInt(2);
      out.writeInt(2);
      out.writeInt(2);
      out.write(new byte[] {0, (byte) 255, 51, 102, 0, 0, 0, (byte) 204});
    }
    var images = ImageInputs.read(f, 2, 2, 1);
    assertEquals(List.of("0", "1"), images.names());
    assertEquals(1f, images.rows()[0][1], 1e-6f);
    assertEquals(0.8f, images.rows()[1][3], 1e-6f);
    var e = assertThrows(RuntimeException.class, () -> ImageInputs.read(f, 28, 28, 1));
    assertTrue(e.getMessage().contains("imgs-idx3-ubyte"), e.getMessage());
  }

  @Test
  void emptyFolderIsAClearError(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.read(dir, 28, 28, 1));
    assertTrue(e.getMessage().contains("no .png"), e.getMessage());
  }

  @Test
  void idxFileOfNoImagesNamesTheFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("none-idx3-ubyte");
    try (var out = new DataOutputStream(Files.newOutputStream(f))) {
      out.writeInt(0x00000803);
      out.writeInt(0);
      out.writeInt(28);
      out.writeInt(28);
    }
    var e = assertThrows(DatasetException.class, () -> ImageInputs.read(f, 28, 28, 1));
    assertEquals(DatasetException.Problem.EMPTY, e.problem());
    assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains("no images"),
        e.getMessage());
  }

  @Test
  void pngFolderWithSubfoldersIsRefusedNamingThem(@TempDir Path dir) throws Exception {
    writeGreyPng(dir.resolve("a.png"), 3, 2, 0);
    Files.createDirectories(dir.resolve("sevens"));
    writeGreyPng(dir.resolve("sevens/b.png"), 3, 2, 0);
    Files.createDirectories(dir.resolve("ones"));
    var e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.read(dir, 2, 3, 1));
    assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("2 subfolders")
        && e.getMessage().contains("ones, sevens"), e.getMessage());
  }

  // --- each PNG kind against known pixel values: samples / (2^bits - 1), no colour conversion ---

  /** H = 2, W = 3: the pixels of the kind tests, row by row. */
  static final int PH = 2, PW = 3;

  /** Reads {@code img}, written as the only PNG of a folder, through {@link ImageInputs#read}. */
  static float[] readBack(Path dir, BufferedImage img, int channels) throws Exception {
    assertTrue(ImageIO.write(img, "png", dir.resolve("x.png").toFile()), "no PNG writer");
    var images = ImageInputs.read(dir, PH, PW, channels);
    assertEquals(List.of("x.png"), images.names());
    return images.rows()[0];
  }

  static BufferedImage component(ColorSpace space, boolean alpha, int dataType, int[][] pixels) {
    var cm = new ComponentColorModel(space, alpha, false,
        alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, dataType);
    var img = new BufferedImage(cm, cm.createCompatibleWritableRaster(PW, PH), false, null);
    for (int i = 0; i < pixels.length; i++) {
      img.getRaster().setPixel(i % PW, i / PW, pixels[i]);
    }
    return img;
  }

  static final ColorSpace GREY = ColorSpace.getInstance(ColorSpace.CS_GRAY);
  static final ColorSpace SRGB = ColorSpace.getInstance(ColorSpace.CS_sRGB);

  /** ITU-R BT.601 luma of 8-bit or 16-bit R, G, B, in [0, 1]. */
  static double luma(int r, int g, int b, int max) {
    return (0.299 * r + 0.587 * g + 0.114 * b) / max;
  }

  @Test
  void greyPngOf8BitsGivesItsSamplesOver255(@TempDir Path dir) throws Exception {
    int[] v = {0, 32, 128, 255, 7, 200};
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < v.length; i++) {
      img.getRaster().setSample(i % PW, i / PW, 0, v[i]);
    }
    float[] x = readBack(dir, img, 1);
    for (int i = 0; i < v.length; i++) {
      assertEquals(v[i] / 255.0, x[i], 1e-7, "pixel " + i);
    }
  }

  @Test
  void greyPngOf16BitsGivesItsSamplesOver65535(@TempDir Path dir) throws Exception {
    int[] v = {0, 1234, 32768, 65535, 1, 40000};
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_USHORT_GRAY);
    for (int i = 0; i < v.length; i++) {
      img.getRaster().setSample(i % PW, i / PW, 0, v[i]);
    }
    float[] x = readBack(dir, img, 1);
    for (int i = 0; i < v.length; i++) {
      assertEquals(v[i] / 65535.0, x[i], 1e-7, "pixel " + i);
    }
  }

  @Test
  void greyPngOf4BitsGivesItsLevelsOver15(@TempDir Path dir) throws Exception {
    byte[] levels = new byte[16];
    for (int l = 0; l < 16; l++) {
      levels[l] = (byte) (l * 17);
    }
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_BYTE_BINARY,
        new IndexColorModel(4, 16, levels, levels, levels));
    int[] v = {0, 5, 15, 9, 1, 14};
    for (int i = 0; i < v.length; i++) {
      img.getRaster().setSample(i % PW, i / PW, 0, v[i]);
    }
    float[] x = readBack(dir, img, 1);
    for (int i = 0; i < v.length; i++) {
      assertEquals(v[i] / 15.0, x[i], 1e-7, "pixel " + i);
    }
  }

  @Test
  void greyPngInAThreeChannelModelRepeatsTheGrey(@TempDir Path dir) throws Exception {
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setSample(1, 0, 0, 32);
    float[] x = readBack(dir, img, 3);
    assertArrayEquals(new float[] {32 / 255f, 32 / 255f, 32 / 255f}, slice(x, 3, 3), 1e-7f);
    assertArrayEquals(new float[] {0, 0, 0}, slice(x, 0, 3), 0f);
  }

  @Test
  void rgbPngGivesItsChannelsOrTheirBt601Luma(@TempDir Path dir) throws Exception {
    int[][] px = {{10, 20, 30}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {32, 32, 32},
        {200, 100, 50}};
    BufferedImage img = component(SRGB, false, DataBuffer.TYPE_BYTE, px);
    float[] rgb = readBack(dir, img, 3);
    float[] grey = ImageInputs.read(dir, PH, PW, 1).rows()[0];
    for (int i = 0; i < px.length; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(px[i][c] / 255.0, rgb[i * 3 + c], 1e-7, "pixel " + i + " channel " + c);
      }
      assertEquals(luma(px[i][0], px[i][1], px[i][2], 255), grey[i], 1e-6, "pixel " + i);
    }
  }

  @Test
  void rgbPngOf16BitsGivesItsChannelsOver65535(@TempDir Path dir) throws Exception {
    int[][] px = {{1000, 2000, 65535}, {0, 0, 0}, {65535, 1, 32768}, {7, 8, 9}, {300, 300, 300},
        {65535, 65535, 65535}};
    float[] rgb = readBack(dir, component(SRGB, false, DataBuffer.TYPE_USHORT, px), 3);
    for (int i = 0; i < px.length; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(px[i][c] / 65535.0, rgb[i * 3 + c], 1e-7, "pixel " + i + " channel " + c);
      }
    }
  }

  @Test
  void rgbaPngIsCompositedOverBlack(@TempDir Path dir) throws Exception {
    int[][] px = {{10, 20, 30, 128}, {255, 255, 255, 0}, {255, 255, 255, 255}, {200, 100, 50, 64},
        {0, 0, 0, 255}, {32, 32, 32, 255}};
    BufferedImage img = component(SRGB, true, DataBuffer.TYPE_BYTE, px);
    float[] rgb = readBack(dir, img, 3);
    float[] grey = ImageInputs.read(dir, PH, PW, 1).rows()[0];
    for (int i = 0; i < px.length; i++) {
      double a = px[i][3] / 255.0;
      for (int c = 0; c < 3; c++) {
        assertEquals(px[i][c] / 255.0 * a, rgb[i * 3 + c], 1e-7, "pixel " + i + " channel " + c);
      }
      assertEquals(luma(px[i][0], px[i][1], px[i][2], 255) * a, grey[i], 1e-6, "pixel " + i);
    }
  }

  @Test
  void aFullyTransparentImageIsBlackNotWhite(@TempDir Path dir) throws Exception {
    int[][] px = new int[PH * PW][];
    Arrays.fill(px, new int[] {255, 255, 255, 0});
    assertArrayEquals(new float[PH * PW], readBack(dir,
        component(SRGB, true, DataBuffer.TYPE_BYTE, px), 1), 0f);
  }

  @Test
  void greyAndAlphaPngIsCompositedOverBlack(@TempDir Path dir) throws Exception {
    int[][] px = {{200, 100}, {32, 255}, {255, 0}, {0, 255}, {128, 128}, {77, 1}};
    float[] x = readBack(dir, component(GREY, true, DataBuffer.TYPE_BYTE, px), 1);
    for (int i = 0; i < px.length; i++) {
      assertEquals(px[i][0] / 255.0 * (px[i][1] / 255.0), x[i], 1e-7, "pixel " + i);
    }
  }

  @Test
  void palettePngGivesItsEntriesColoursLumaAndAlpha(@TempDir Path dir) throws Exception {
    byte[] r = {0, 32, (byte) 200, (byte) 255};
    byte[] g = {0, 32, 100, (byte) 255};
    byte[] b = {0, 32, 50, (byte) 255};
    byte[] a = {(byte) 255, (byte) 255, (byte) 255, 64};
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_BYTE_INDEXED,
        new IndexColorModel(8, 4, r, g, b, a));
    int[] index = {0, 1, 2, 3, 1, 2};
    for (int i = 0; i < index.length; i++) {
      img.getRaster().setSample(i % PW, i / PW, 0, index[i]);
    }
    float[] grey = readBack(dir, img, 1);
    float[] rgb = ImageInputs.read(dir, PH, PW, 3).rows()[0];
    for (int i = 0; i < index.length; i++) {
      int e = index[i];
      double alpha = (a[e] & 0xff) / 255.0;
      assertEquals(luma(r[e] & 0xff, g[e] & 0xff, b[e] & 0xff, 255) * alpha, grey[i], 1e-6,
          "pixel " + i);
      assertEquals((r[e] & 0xff) / 255.0 * alpha, rgb[i * 3], 1e-7, "pixel " + i + " red");
      assertEquals((b[e] & 0xff) / 255.0 * alpha, rgb[i * 3 + 2], 1e-7, "pixel " + i + " blue");
    }
    assertEquals(32 / 255.0, grey[1], 1e-7, "a grey entry is its value");
  }

  @Test
  void mnistAsGreyPngsGivesTheIdxFilesPixels(@TempDir Path dir) throws Exception {
    Path idx = Datasets.imagesFile(Datasets.defaultCacheDir(), Datasets.MNIST, Split.TEST);
    assumeTrue(Files.isRegularFile(idx), "MNIST not in the cache; run tools/fetch-data mnist");
    float[][] fromIdx = ImageInputs.read(idx, 28, 28, 1).rows();
    IdxReader.Images raw = IdxReader.readImages(idx);
    int n = 50;
    for (int i = 0; i < n; i++) {
      var img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28,
          Arrays.copyOfRange(raw.data(), i * 784, (i + 1) * 784));
      ImageIO.write(img, "png", dir.resolve(String.format("%03d.png", i)).toFile());
    }
    float[][] fromPng = ImageInputs.read(dir, 28, 28, 1).rows();
    for (int i = 0; i < n; i++) {
      assertArrayEquals(fromIdx[i], fromPng[i], 0f, "image " + i);
    }
  }

  @Test
  void aFileThatIsNotAPngIsRefusedByName(@TempDir Path dir) throws Exception {
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_3BYTE_BGR);
    assertTrue(ImageIO.write(img, "jpeg", dir.resolve("photo.png").toFile()));
    var e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.read(dir, PH, PW, 1));
    assertTrue(e.getMessage().contains("photo.png") && e.getMessage().contains("not a PNG"),
        e.getMessage());
  }

  @Test
  void aModelOfOtherThanOneOrThreeChannelsIsRefusedForPngs(@TempDir Path dir) throws Exception {
    var img = new BufferedImage(PW, PH, BufferedImage.TYPE_BYTE_GRAY);
    assertTrue(ImageIO.write(img, "png", dir.resolve("x.png").toFile()));
    var e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.read(dir, PH, PW, 2));
    assertTrue(e.getMessage().contains("x.png") && e.getMessage().contains("2 channels"),
        e.getMessage());
  }

  private static float[] slice(float[] x, int from, int n) {
    float[] out = new float[n];
    System.arraycopy(x, from, out, 0, n);
    return out;
  }
}
