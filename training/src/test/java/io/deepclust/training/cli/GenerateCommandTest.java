package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Contract;
import io.deepclust.inference.Prior;
import io.deepclust.savedmodels.ContractExport;
import io.deepclust.training.cli.DeepclustCliTest.Run;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * {@code deepclust generate} on the Python-made golden VaDE export (28×28×1, K = 3, Z = 4, no
 * prior_mix) and on a tiny RGB model with prior_mix exported here, checked pixel by pixel against
 * draws and decodes recomputed in the test.
 */
class GenerateCommandTest {
  static final Path VADE = Path.of("src/test/resources/golden/vade_tiny/python_export");
  static final int GAP = 2;

  /** The tiny vc model: 3×2 RGB images, K = 3, Z = 2, decode(z, k) = sigmoid(z·U + B[k]). */
  static final int H = 3, W = 2, C = 3, D = H * W * C, K = 3, Z = 2;
  static float[][] u, b, m, logS;

  @TempDir static Path root;
  static Path vc;

  @BeforeAll
  static void exportTinyVc() {
    Random r = new Random(7);
    u = gaussian(r, Z, D);
    b = gaussian(r, K, D);
    m = gaussian(r, K, Z);
    logS = gaussian(r, K, Z);
    Map<String, TFloat32> weights = new LinkedHashMap<>();
    weights.put("kernel", TFloat32.tensorOf(StdArrays.ndCopyOf(gaussian(r, D, K))));
    weights.put("decode_kernel", TFloat32.tensorOf(StdArrays.ndCopyOf(u)));
    weights.put("decode_bias", TFloat32.tensorOf(StdArrays.ndCopyOf(b)));
    weights.put("prior_mean", TFloat32.tensorOf(StdArrays.ndCopyOf(m)));
    weights.put("prior_log_stddev", TFloat32.tensorOf(StdArrays.ndCopyOf(logS)));
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, "synthetic");
    vc = root.resolve("vc");
    ContractExport.export(
        new ContractExport.Description("vc", new int[] {H, W, C}, K, Z, "bernoulli", 3L,
            new JsonObject()),
        (tf, p, in) -> {
          var kernel = p.get("kernel", Shape.of(D, K), Params.Init.ZEROS, true);
          var du = p.get("decode_kernel", Shape.of(Z, D), Params.Init.ZEROS, true);
          var db = p.get("decode_bias", Shape.of(K, D), Params.Init.ZEROS, true);
          var pm = p.get("prior_mean", Shape.of(K, Z), Params.Init.ZEROS, true);
          var pl = p.get("prior_log_stddev", Shape.of(K, Z), Params.Init.ZEROS, true);
          Operand<TFloat32> flat = tf.reshape(in.x(), tf.constant(new long[] {-1, D}));
          Operand<TFloat32> logits = tf.linalg.matMul(flat, kernel);
          Operand<TFloat32> z = tf.slice(logits, tf.constant(new long[] {0, 0}),
              tf.constant(new long[] {-1, Z}));
          var image = tf.constant(new long[] {-1, H, W, C});
          var oneHot = tf.oneHot(in.decodeCluster(), tf.constant(K), tf.constant(1f),
              tf.constant(0f));
          Operand<TFloat32> decoded = tf.reshape(tf.math.sigmoid(tf.math.add(
              tf.linalg.matMul(in.z(), du), tf.linalg.matMul(oneHot, db))), image);
          var weightsIn = ContractExport.priorMixWeights(tf, K);
          return new ContractExport.Outputs(tf.nn.softmax(logits),
              tf.math.argMax(logits, tf.constant(1), TInt64.class), z,
              tf.reshape(tf.math.sigmoid(tf.linalg.matMul(z, du)), image), decoded,
              tf.gather(pm, in.priorCluster(), tf.constant(0)),
              tf.math.exp(tf.gather(pl, in.priorCluster(), tf.constant(0))))
              .withSignatures(ContractExport.priorMix(weightsIn, tf.linalg.matMul(weightsIn, pm),
                  tf.math.exp(tf.linalg.matMul(weightsIn, pl))));
        }, weights, info, vc);
    weights.values().forEach(Tensor::close);
  }

  @AfterAll
  static void noLeftovers() throws IOException {
    try (var files = Files.list(root)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
    }
  }

  @Test
  void samplesGridHasOneRowPerClusterAndThePrintedSize() throws IOException {
    Path png = root.resolve("samples.png");
    Run r = run("generate", "--model-dir", VADE.toString(), "--out", png.toString(),
        "--samples", "4");
    assertEquals(0, r.code(), r.err());
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(4 * 28 * 2 + 3 * GAP, img.getWidth());
    assertEquals(3 * 28 * 2 + 2 * GAP, img.getHeight());
    assertEquals(1, r.out().strip().lines().count(), r.out());
    assertTrue(r.out().contains("wrote " + png + ": 3x4 grid"), r.out());
    assertTrue(r.out().contains("230x172 pixels"), r.out());
  }

  @Test
  void samplesAreDecodesOfTheDocumentedDrawsFromEachClustersPrior() throws IOException {
    Path png = root.resolve("draws.png");
    int n = 3;
    assertEquals(0, run("generate", "--model-dir", VADE.toString(), "--out", png.toString(),
        "--samples", Integer.toString(n), "--seed", "42", "--scale", "1").code());
    BufferedImage img = ImageIO.read(png.toFile());
    try (ClusteringModel model = ClusteringModel.load(VADE)) {
      Prior prior = model.prior(new int[] {0, 1, 2});
      SplittableRandom rows = new SplittableRandom(42);
      for (int k = 0; k < 3; k++) {
        SplittableRandom rng = rows.split();
        float[][] z = new float[n][];
        for (int i = 0; i < n; i++) {
          z[i] = gaussianDraw(prior.mean()[k], prior.stddev()[k], rng);
        }
        float[][] x = model.decode(z, new int[] {k, k, k});
        for (int i = 0; i < n; i++) {
          assertTile(img, k, i, 28, 28, 1, 1, x[i], "sample " + i + " of cluster " + k);
        }
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() throws IOException {
    Path a = root.resolve("a.png");
    Path b = root.resolve("b.png");
    Path c = root.resolve("c.png");
    assertEquals(0, run("generate", "--model-dir", VADE.toString(), "--out", a.toString(),
        "--seed", "5").code());
    assertEquals(0, run("generate", "--model-dir", VADE.toString(), "--out", b.toString(),
        "--seed", "5").code());
    assertEquals(0, run("generate", "--model-dir", VADE.toString(), "--out", c.toString(),
        "--seed", "6").code());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
  }

  @Test
  void zInterpolationRunsFromTheFirstDrawToTheSecond() throws IOException {
    Path png = root.resolve("z.png");
    int steps = 5;
    assertEquals(0, run("generate", "--model-dir", VADE.toString(), "--out", png.toString(),
        "--interpolate", "z", "--steps", Integer.toString(steps), "--seed", "9",
        "--scale", "1").code());
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(steps * 28 + (steps - 1) * GAP, img.getWidth());
    assertEquals(3 * 28 + 2 * GAP, img.getHeight());
    try (ClusteringModel model = ClusteringModel.load(VADE)) {
      Prior prior = model.prior(new int[] {0, 1, 2});
      SplittableRandom rows = new SplittableRandom(9);
      for (int k = 0; k < 3; k++) {
        SplittableRandom rng = rows.split();
        float[] za = gaussianDraw(prior.mean()[k], prior.stddev()[k], rng);
        float[] zb = gaussianDraw(prior.mean()[k], prior.stddev()[k], rng);
        float[] mid = new float[za.length];
        for (int j = 0; j < mid.length; j++) {
          mid[j] = (float) (0.5 * za[j] + 0.5 * zb[j]);
        }
        float[][] x = model.decode(new float[][] {za, mid, zb}, new int[] {k, k, k});
        assertTile(img, k, 0, 28, 28, 1, 1, x[0], "α = 0 of cluster " + k);
        assertTile(img, k, 2, 28, 28, 1, 1, x[1], "α = 1/2 of cluster " + k);
        assertTile(img, k, steps - 1, 28, 28, 1, 1, x[2], "α = 1 of cluster " + k);
        assertFalse(Arrays.equals(x[0], x[2]), "the two ends differ");
      }
    }
  }

  @Test
  void kInterpolationDecodesThePriorMixMeanUnderTheNearerCluster() throws IOException {
    Path png = root.resolve("k.png");
    int steps = 5;
    int scale = 3;
    Run r = run("generate", "--model-dir", vc.toString(), "--out", png.toString(),
        "--interpolate", "k", "--steps", Integer.toString(steps), "--scale",
        Integer.toString(scale));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("3x5 grid (rows: cluster pairs (k, k+1)"), r.out());
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(steps * W * scale + (steps - 1) * GAP, img.getWidth());
    assertEquals(K * H * scale + (K - 1) * GAP, img.getHeight());
    for (int k = 0; k < K; k++) {
      int next = (k + 1) % K;
      for (int j = 0; j < steps; j++) {
        double alpha = j / (steps - 1.0);
        double[] z = new double[Z];
        for (int d = 0; d < Z; d++) {
          z[d] = (1 - alpha) * m[k][d] + alpha * m[next][d];
        }
        int cluster = alpha < 0.5 ? k : next;
        float[] x = new float[D];
        for (int p = 0; p < D; p++) {
          double a = b[cluster][p];
          for (int d = 0; d < Z; d++) {
            a += z[d] * u[d][p];
          }
          x[p] = (float) (1 / (1 + Math.exp(-a)));
        }
        assertTile(img, k, j, H, W, C, scale, x, "pair " + k + ", α = " + alpha);
      }
    }
  }

  @Test
  void kInterpolationWithoutPriorMixFailsNamingTheModel() {
    Path png = root.resolve("nomix.png");
    Run r = run("generate", "--model-dir", VADE.toString(), "--out", png.toString(),
        "--interpolate", "k");
    assertOneLineError(r, 1, "has no prior_mix signature (only the vc model exports it)");
    assertTrue(r.err().contains(VADE.toString()), r.err());
    assertFalse(Files.exists(png));
  }

  @Test
  void badOptionsAreOneLineUsageErrors() {
    String out = root.resolve("bad.png").toString();
    String dir = VADE.toString();
    assertOneLineError(run("generate", "--model-dir", dir, "--out", out, "--samples", "0"), 2,
        "option '--samples': must be at least 1, not 0");
    assertOneLineError(run("generate", "--model-dir", dir, "--out", out, "--interpolate", "z",
        "--steps", "1"), 2, "option '--steps': must be at least 2, not 1");
    assertOneLineError(run("generate", "--model-dir", dir, "--out", out, "--scale", "0"), 2,
        "option '--scale': must be at least 1, not 0");
    assertOneLineError(run("generate", "--model-dir", dir, "--out", out, "--interpolate", "x"),
        2, "--interpolate must be z or k, not 'x'");
    assertOneLineError(run("generate", "--model-dir", dir, "--out", out, "--samples",
        "1000000"), 2, "pixels, more than");
    assertOneLineError(run("generate", "--model-dir", dir), 2, "--out");
    assertFalse(Files.exists(Path.of(out)));
  }

  @Test
  void missingModelDirectoryIsAOneLineFailureNamingIt() {
    Path missing = root.resolve("no-such-model");
    assertOneLineError(run("generate", "--model-dir", missing.toString(), "--out",
        root.resolve("m.png").toString()), 1, missing.toString());
  }

  @Test
  void helpNamesTheModes() {
    Run r = run("generate", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("Usage: deepclust generate"), r.out());
    assertTrue(r.out().contains("--interpolate"), r.out());
  }

  /** z = mean + stddev·ε, ε from {@code rng.nextGaussian()} in order, as GenerateCommand says. */
  static float[] gaussianDraw(float[] mean, float[] stddev, SplittableRandom rng) {
    float[] z = new float[mean.length];
    for (int j = 0; j < z.length; j++) {
      z[j] = (float) (mean[j] + stddev[j] * rng.nextGaussian());
    }
    return z;
  }

  /** Every pixel of tile (row, col) is round(255·clip(x)), give or take 1 for float rounding. */
  static void assertTile(BufferedImage img, int row, int col, int h, int w, int c, int scale,
      float[] x, String what) {
    for (int i = 0; i < h * scale; i++) {
      for (int j = 0; j < w * scale; j++) {
        int px = col * (w * scale + GAP) + j;
        int py = row * (h * scale + GAP) + i;
        for (int ch = 0; ch < c; ch++) {
          double v = Math.min(1, Math.max(0, x[((i / scale) * w + j / scale) * c + ch]));
          int expected = (int) Math.round(v * 255);
          int actual = c == 1 ? img.getRaster().getSample(px, py, 0)
              : (img.getRGB(px, py) >> (16 - 8 * ch)) & 0xff;
          assertEquals(expected, actual, 1.0,
              what + ": pixel (" + i + ", " + j + ") channel " + ch);
        }
      }
    }
  }

  static float[][] gaussian(Random r, int rows, int cols) {
    float[][] a = new float[rows][cols];
    for (float[] row : a) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) r.nextGaussian();
      }
    }
    return a;
  }
}
