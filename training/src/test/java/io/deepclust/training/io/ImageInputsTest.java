package io.deepclust.training.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
