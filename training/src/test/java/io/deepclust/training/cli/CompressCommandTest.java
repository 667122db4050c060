package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ModelInfo;
import io.deepclust.training.cli.DeepclustCliTest.Run;
import io.deepclust.training.io.BitCodes;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deepclust compress} on a tiny VAB model ({@link TinyVab}): the file holds the model's
 * {@code compress} bits of every image, checked byte by byte against the layout unpacked here; and
 * the one-line failures.
 */
class CompressCommandTest {
  static final Path VADE = Path.of("src/test/resources/golden/vade_tiny/python_export");
  static final int N = 60;

  @TempDir static Path root;
  static Path model;
  static Path idx;
  static float[][] images;

  @BeforeAll
  static void exportTinyVabAndImages() throws IOException {
    model = new TinyVab(11).export(root.resolve("vab"));
    idx = root.resolve("images-idx3-ubyte");
    images = TinyVab.rows(TinyVab.writeIdx(idx, N, 5), N);
  }

  @Test
  void fileHoldsTheModelsBitsOfEveryImagePackedMostSignificantBitFirst() throws IOException {
    Path codes = root.resolve("all.bits");
    Run r = run("compress", "--model-dir", model.toString(), "--input", idx.toString(),
        "--output", codes.toString());
    assertEquals(0, r.code(), r.err());
    byte[][] expected;
    try (ClusteringModel m = ClusteringModel.load(model)) {
      expected = m.compress(images);
    }
    byte[] file = Files.readAllBytes(codes);
    assertEquals(12 + N * 2, file.length);
    assertArrayEquals(new byte[] {'D', 'C', 'B', '1', 0, 0, 0, N, 0, 0, 0, TinyVab.Z},
        Arrays.copyOf(file, 12));
    Set<Integer> ones = new HashSet<>();
    for (int i = 0; i < N; i++) {
      int code = ((file[12 + 2 * i] & 0xff) << 8) | (file[13 + 2 * i] & 0xff);
      assertEquals(0, code & 0x3f, "padding of code " + i);
      for (int j = 0; j < TinyVab.Z; j++) {
        int bit = (code >>> (15 - j)) & 1;
        assertEquals(expected[i][j], bit, "bit " + j + " of code " + i);
        if (bit == 1) {
          ones.add(j);
        }
      }
    }
    assertEquals(TinyVab.Z, ones.size(), "every bit is 1 somewhere, so the check has teeth");
  }

  @Test
  void printsOneLineWithCodesBytesBitsPerPixelAndThePapersBpp() {
    Path codes = root.resolve("summary.bits");
    Run r = run("compress", "--model-dir", model.toString(), "--input", idx.toString(),
        "--output", codes.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("wrote " + codes + ": 60 codes x 10 bits, 132 bytes; 0.833333 bits per pixel "
        + "(10 / 4x3x1), paper BPP 0.009765625 (10 / 1024)", r.out().strip());
    assertEquals("", r.err());
  }

  @Test
  void papersBppOfTwentyEightBitsIsItsNumber() {
    var info = new ModelInfo(1, "vab", 10, 28, new int[] {28, 28, 1},
        "bernoulli", "java", "mnist", Map.of(), Map.of());
    String line = CompressCommand.summary(Path.of("c.bits"), 10000, 28, info);
    assertEquals("wrote c.bits: 10000 codes x 28 bits, 40012 bytes; 0.0357143 bits per pixel "
        + "(28 / 28x28x1), paper BPP 0.02734375 (28 / 1024)", line);
  }

  @Test
  void pngFolderIsCompressedInFileNameOrder() throws IOException {
    Path folder = Files.createDirectories(root.resolve("pngs"));
    float[][] expectedRows = new float[2][];
    for (int f = 0; f < 2; f++) {
      BufferedImage img = new BufferedImage(TinyVab.W, TinyVab.H, BufferedImage.TYPE_INT_RGB);
      expectedRows[f] = new float[TinyVab.D];
      for (int y = 0; y < TinyVab.H; y++) {
        for (int x = 0; x < TinyVab.W; x++) {
          int v = (f == 0) ? 20 * (y * TinyVab.W + x) : 255 - 20 * (y * TinyVab.W + x);
          img.setRGB(x, y, (v << 16) | (v << 8) | v);
          expectedRows[f][y * TinyVab.W + x] = v / 255f;
        }
      }
      ImageIO.write(img, "png", folder.resolve((f == 0 ? "a" : "b") + ".png").toFile());
    }
    Path codes = root.resolve("pngs.bits");
    Run r = run("compress", "--model-dir", model.toString(), "--input", folder.toString(),
        "--output", codes.toString());
    assertEquals(0, r.code(), r.err());
    try (ClusteringModel m = ClusteringModel.load(model)) {
      byte[][] expected = m.compress(expectedRows);
      byte[][] got = BitCodes.read(codes);
      assertEquals(2, got.length);
      assertArrayEquals(expected[0], got[0]);
      assertArrayEquals(expected[1], got[1]);
    }
  }

  @Test
  void modelWithoutCompressFailsWithClusteringModelsMessage() throws IOException {
    Path mnistSized = root.resolve("mnist-idx3-ubyte");
    try (var out = new DataOutputStream(Files.newOutputStream(mnistSized))) {
      out.writeInt(0x00000803);
      out.writeInt(2);
      out.writeInt(28);
      out.writeInt(28);
      out.write(new byte[2 * 28 * 28]);
    }
    Path codes = root.resolve("vade.bits");
    Run r = run("compress", "--model-dir", VADE.toString(), "--input", mnistSized.toString(),
        "--output", codes.toString());
    assertOneLineError(r, 1, "model 'vade' has no 'compress' signature (VAB only)");
    assertFalse(Files.exists(codes));
  }

  @Test
  void missingInputIsAOneLineFailureNamingIt() {
    Path none = root.resolve("none-idx3-ubyte");
    Path codes = root.resolve("none.bits");
    assertOneLineError(run("compress", "--model-dir", model.toString(), "--input",
        none.toString(), "--output", codes.toString()), 1, none + " does not exist");
    assertFalse(Files.exists(codes));
  }

  @Test
  void missingModelDirectoryIsAOneLineFailureNamingIt() {
    Path none = root.resolve("no-model");
    assertOneLineError(run("compress", "--model-dir", none.toString(), "--input", idx.toString(),
        "--output", root.resolve("x.bits").toString()), 1, none.toString());
  }

  @Test
  void imagesOfAnotherSizeAreAOneLineFailure() throws IOException {
    Path wide = root.resolve("wide-idx3-ubyte");
    try (var out = new DataOutputStream(Files.newOutputStream(wide))) {
      out.writeInt(0x00000803);
      out.writeInt(1);
      out.writeInt(4);
      out.writeInt(4);
      out.write(new byte[16]);
    }
    assertOneLineError(run("compress", "--model-dir", model.toString(), "--input", wide.toString(),
        "--output", root.resolve("wide.bits").toString()), 1, "4x4x1");
  }

  @Test
  void missingOutputOptionIsAUsageError() {
    Run r = run("compress", "--model-dir", model.toString(), "--input", idx.toString());
    assertOneLineError(r, 2, "--output");
    assertTrue(r.err().contains("(see --help)"), r.err());
  }
}
