package io.deepclust.training.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
  @TempDir Path dir;

  /**
   * Tile (r, c) of a 2×3 grid of 2×3 grayscale tiles: pixel (i, j) = (10·(3r + c) + 3i + j)/63,
   * never at a rounding tie of 255·v.
   */
  static float[][][] grayTiles() {
    float[][][] tiles = new float[2][3][6];
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 2; i++) {
          for (int j = 0; j < 3; j++) {
            tiles[r][c][i * 3 + j] = (10 * (3 * r + c) + 3 * i + j) / 63f;
          }
        }
      }
    }
    return tiles;
  }

  @Test
  void grayGridHasTheDocumentedSizeTilesAndGaps() throws IOException {
    Path png = dir.resolve("grid.png");
    ImageGrid.write(grayTiles(), 2, 3, 1, 2, png);
    BufferedImage img = ImageIO.read(png.toFile());
    // 3 tiles of 3 px at scale 2, 2 gaps of 2 px; 2 tiles of 2 px at scale 2, 1 gap.
    assertEquals(3 * 6 + 2 * 2, img.getWidth());
    assertEquals(2 * 4 + 2, img.getHeight());
    assertEquals(1, img.getRaster().getNumBands());
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 2; i++) {
          for (int j = 0; j < 3; j++) {
            int expected = (int) Math.round((10 * (3 * r + c) + 3 * i + j) / 63.0 * 255);
            for (int d = 0; d < 4; d++) {
              int x = c * 8 + 2 * j + d % 2;
              int y = r * 6 + 2 * i + d / 2;
              assertEquals(expected, img.getRaster().getSample(x, y, 0),
                  "tile " + r + "," + c + " pixel " + i + "," + j + " at " + x + "," + y);
            }
          }
        }
      }
    }
    // Vertical gaps at x = 6, 7 and 14, 15; the horizontal gap at y = 4, 5.
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x : new int[] {6, 7, 14, 15}) {
        assertEquals(255, img.getRaster().getSample(x, y, 0), "gap at " + x + "," + y);
      }
    }
    for (int x = 0; x < img.getWidth(); x++) {
      assertEquals(255, img.getRaster().getSample(x, 4, 0), "gap at " + x + ",4");
      assertEquals(255, img.getRaster().getSample(x, 5, 0), "gap at " + x + ",5");
    }
  }

  @Test
  void rgbTilesKeepTheirChannels() throws IOException {
    // 1×2 tiles of 1×2 RGB pixels, NHWC: (r, g, b) per pixel.
    float[][][] tiles = {{{1, 0, 0, 0, 1, 0}, {0, 0, 1, 0.2f, 0.4f, 0.6f}}};
    Path png = dir.resolve("rgb.png");
    ImageGrid.write(tiles, 1, 2, 3, 1, png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(2 + 2 + 2, img.getWidth());
    assertEquals(1, img.getHeight());
    assertEquals(0xff0000, img.getRGB(0, 0) & 0xffffff);
    assertEquals(0x00ff00, img.getRGB(1, 0) & 0xffffff);
    assertEquals(0xffffff, img.getRGB(2, 0) & 0xffffff, "gap");
    assertEquals(0xffffff, img.getRGB(3, 0) & 0xffffff, "gap");
    assertEquals(0x0000ff, img.getRGB(4, 0) & 0xffffff);
    int expected = (51 << 16) | (102 << 8) | 153; // round(255 × 0.2, 0.4, 0.6)
    assertEquals(expected, img.getRGB(5, 0) & 0xffffff);
  }

  @Test
  void valuesOutsideTheUnitIntervalAreClippedAndNanIsBlack() throws IOException {
    float[][][] tiles = {{{-0.5f, 1.7f, Float.NaN, 0.5f}}};
    Path png = dir.resolve("clip.png");
    ImageGrid.write(tiles, 1, 4, 1, 1, png);
    var raster = ImageIO.read(png.toFile()).getRaster();
    assertEquals(0, raster.getSample(0, 0, 0));
    assertEquals(255, raster.getSample(1, 0, 0));
    assertEquals(0, raster.getSample(2, 0, 0));
    assertEquals(128, raster.getSample(3, 0, 0));
  }

  @Test
  void writingReplacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
    Path png = dir.resolve("sub").resolve("grid.png");
    Files.createDirectories(png.getParent());
    Files.writeString(png, "not a png");
    ImageGrid.write(grayTiles(), 2, 3, 1, 1, png);
    assertEquals(3 * 3 + 2 * 2, ImageIO.read(png.toFile()).getWidth());
    try (Stream<Path> files = Files.list(png.getParent())) {
      assertEquals(List.of(png), files.toList());
    }
  }

  @Test
  void mismatchedTilesAreRejectedAndNothingIsWritten() {
    Path png = dir.resolve("bad.png");
    float[][][] ragged = {{new float[6], new float[6]}, {new float[6]}};
    var e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.write(ragged, 2, 3, 1, 1, png));
    assertTrue(e.getMessage().contains("row 1 has 1 tiles, row 0 has 2"), e.getMessage());
    float[][][] wrongSize = {{new float[5]}};
    e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.write(wrongSize, 2, 3, 1, 1, png));
    assertTrue(e.getMessage().contains("tile [0][0] has 5 values, expected H*W*C = 2*3*1 = 6"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.write(new float[][][] {{new float[12]}}, 2, 3, 2, 1, png));
    assertTrue(e.getMessage().contains("1 (grayscale) or 3 (RGB) channels, got 2"),
        e.getMessage());
    assertFalse(Files.exists(png));
  }

  @Test
  void hugeGridsAreRefusedBeforeDrawing() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.checkSize(10, 100_000, 28, 28, 1, 2));
    assertTrue(e.getMessage().contains("more than " + ImageGrid.MAX_PIXELS), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ImageGrid.checkSize(1, 1, 28, 28, 1, 0));
  }
}
