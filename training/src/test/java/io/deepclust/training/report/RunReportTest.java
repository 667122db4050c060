package io.deepclust.training.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.train.RunDirectory;
import io.deepclust.training.train.Trainer;
import io.deepclust.training.train.TrainingModel;
import io.deepclust.training.train.VabTrainingGraph;
import io.deepclust.training.train.VadeTrainingGraph;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny models trained for two epochs on 4×4 toy images, then reported. */
class RunReportTest {
  /** VaDE, K = Z = 2: one pretraining epoch, then one joint epoch (two phases). */
  static final VadeConfig VADE = new VadeConfig(new int[] {4, 4, 1}, 2, 2, new int[] {16, 16, 8},
      new int[] {8, 16, 16}, 2e-3f, 0.9f, 10, 2e-4f, 1e-4f,
      new Pretraining(Pretraining.ADAM, 1e-3f, 0f, Pretraining.BCE, 16, 1,
          Pretraining.GLOROT_UNIFORM, 0), new GmmStart(1, 2, GmmStart.UNIFORM), 16, 1, 3L);
  /** VAB, K = 2, 6 bits, two epochs: its prior is Bernoulli, without stddev. */
  static final VabConfig VAB = new VabConfig(new int[] {4, 4, 1}, 2, 6, new int[] {16},
      new int[] {16}, VabConfig.BERNOULLI, 1f, 0.5f, 10, false, false, 2e-3f, 0.9f, 10, 2e-4f, 1e-8f, 0,
      16, 2, 8);
  /** Tiles of 4×4 pixels are upscaled 14 times: 56 pixels, 2 between tiles. */
  static final int TILE = 56;
  static final int GAP = 2;

  /** Two noisy binary prototypes: the left or the right half lit. */
  static Dataset toy(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * 16];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(2);
      for (int j = 0; j < 16; j++) {
        boolean on = (labels[i] == 0) == (j % 4 < 2);
        x[i * 16 + j] = on ^ (r.nextDouble() < 0.05) ? 1f : 0f;
      }
    }
    return new Dataset("toy/test", x, labels, 4, 4, 1, 2);
  }

  static Path train(TrainingModel model, Path dir) {
    try (model) {
      var run = new RunDirectory(dir);
      new Trainer(new Trainer.Options(false, false,
          new PrintStream(PrintStream.nullOutputStream()), "toy"))
          .train(model, toy(96, 1), toy(40, 2), run);
      return run.path();
    }
  }

  /** Width or height of a grid of {@code tiles} tiles. */
  static int grid(int tiles) {
    return tiles * TILE + (tiles - 1) * GAP;
  }

  static void assertReport(Path run, RunReport.Result result) throws IOException {
    Path dir = run.resolve(RunReport.DIR);
    assertEquals(dir.resolve(RunReport.MARKDOWN), result.markdown());
    Map<String, int[]> sizes = Map.of(
        RunReport.LOSSES, new int[] {900, 520},
        RunReport.METRICS, new int[] {900, 520},
        RunReport.RECONSTRUCTIONS, new int[] {grid(16), grid(2)},
        RunReport.SAMPLES, new int[] {grid(10), grid(2)},
        RunReport.EMBEDDING, new int[] {2 * 640, 600},
        RunReport.CONFUSION, new int[] {760, 680});
    String md = Files.readString(result.markdown());
    assertEquals(6, result.images().size());
    for (String name : RunReport.IMAGES) {
      Path png = dir.resolve(name);
      assertTrue(result.images().contains(png), name);
      BufferedImage image = ImageIO.read(png.toFile());
      assertNotNull(image, name + " opens as an image");
      assertArrayEquals(sizes.get(name), new int[] {image.getWidth(), image.getHeight()}, name);
      assertTrue(md.contains("](" + name + ")"), "report.md embeds " + name);
    }
    try (var files = Files.list(dir)) {
      assertEquals(7, files.count(), "six PNGs and report.md, no temporaries");
    }
    assertTrue(md.startsWith("# "), md);
    assertTrue(md.contains("| test ACC |"), md);
    assertTrue(md.contains("./deepclust report "), md);
  }

  @Test
  void aTwoPhaseVadeRunGetsEveryFigureAtItsSizeAndAReportThatEmbedsThem(@TempDir Path tmp)
      throws IOException {
    Path run = train(new VadeTrainingGraph(VADE), tmp.resolve("vade"));
    RunReport.Result result = RunReport.write(run, toy(40, 2));
    assertReport(run, result);
    String md = Files.readString(result.markdown());
    assertTrue(md.contains("# vade on toy, seed 3"), md);
    assertTrue(md.contains("dashed lines mark the start of each phase"), md);
  }

  @Test
  void aVabRunWithItsBernoulliPriorIsReportedAndRewritingGivesTheSameFiles(@TempDir Path tmp)
      throws IOException {
    Path run = train(new VabTrainingGraph(VAB), tmp.resolve("vab"));
    Dataset test = toy(40, 2);
    RunReport.Result first = RunReport.write(run, test);
    assertReport(run, first);
    assertTrue(Files.readString(first.markdown()).contains("| test PSNR |"));
    List<byte[]> before = new ArrayList<>();
    for (Path p : first.images()) {
      before.add(Files.readAllBytes(p));
    }
    byte[] mdBefore = Files.readAllBytes(first.markdown());
    RunReport.Result second = RunReport.write(run, test);
    for (int i = 0; i < before.size(); i++) {
      assertArrayEquals(before.get(i), Files.readAllBytes(second.images().get(i)),
          second.images().get(i).getFileName() + " is the same");
    }
    assertArrayEquals(mdBefore, Files.readAllBytes(second.markdown()));
  }

  @Test
  void aRunWithoutExportSaysHowToMakeIt(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("config.json"), "{\"model\":\"vade\",\"dataset\":\"mnist\"}");
    Files.writeString(tmp.resolve("metrics.jsonl"), "{\"epoch\":1,\"loss\":1}\n");
    var e = assertThrows(IllegalArgumentException.class,
        () -> RunReport.write(tmp, toy(4, 1)));
    assertTrue(e.getMessage().contains("./deepclust export --run-dir"), e.getMessage());
  }
}
