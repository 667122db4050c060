package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generic training loop, driven with GMVAE-Gumbel on a toy dataset. */
class TrainerTest {
  static final GmvaeGumbelConfig CONFIG = new GmvaeGumbelConfig(new int[] {4, 4, 1}, 2,
      new int[] {32, 16}, 8, 4, 5f, 1e-2f, 1e-8f, 16, 3, 1f, 0.5f, 2, false, false, false, 5L);
  static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

  /** Two noisy binary prototypes (left half lit, or right half lit). */
  static Dataset twoPrototypes(int n, long seed) {
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
    return new Dataset("two-prototypes", x, labels, 4, 4, 1, 2);
  }

  static Trainer.Result train(GmvaeGumbelConfig c, boolean resume, Dataset train, Dataset test,
      RunDirectory run, TrainingListener... listeners) {
    try (var model = new GmvaeGumbelTrainingGraph(c)) {
      var trainer = new Trainer(new Trainer.Options(resume, false, QUIET, "toy"));
      for (TrainingListener l : listeners) {
        trainer.addListener(l);
      }
      return trainer.train(model, train, test, run);
    }
  }

  @Test
  void trainingWritesOneMetricsLinePerEpochACheckpointAndALoadableExport(@TempDir Path tmp)
      throws Exception {
    Dataset train = twoPrototypes(160, 1);
    Dataset test = twoPrototypes(64, 2);
    var run = new RunDirectory(tmp.resolve("run"));
    var result = train(CONFIG, false, train, test, run);
    List<String> lines = Files.readAllLines(run.path().resolve(RunDirectory.METRICS));
    assertEquals(3, lines.size());
    for (int i = 0; i < lines.size(); i++) {
      var o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
      assertEquals(i + 1, o.get("epoch").getAsInt());
      assertTrue(Double.isFinite(o.get("loss").getAsDouble()));
      assertTrue(o.get("test_acc").getAsDouble() >= 0.5, "ACC of two clusters is at least 1/2");
    }
    assertEquals(3, run.checkpointState().orElseThrow().epochsDone());
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("gmvae_gumbel", model.info().model());
      assertEquals("java", model.info().madeBy());
      var a = model.assign(new float[][] {test.image(0), test.image(1)});
      assertEquals(2, a.size());
    }
  }

  @Test
  void anAddedListenerSeesEachEpochAsTheMetricsLineAndTheExportScoresTheLastOne(@TempDir Path tmp)
      throws Exception {
    List<TrainingListener.Epoch> seen = new ArrayList<>();
    Dataset test = twoPrototypes(40, 6);
    var run = new RunDirectory(tmp.resolve("listened"));
    var result = train(CONFIG, false, twoPrototypes(96, 5), test, run, seen::add);
    List<String> lines = Files.readAllLines(run.path().resolve(RunDirectory.METRICS));
    assertEquals(lines.size(), seen.size());
    for (int i = 0; i < lines.size(); i++) {
      var o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
      var e = seen.get(i);
      assertEquals(o.get("epoch").getAsInt(), e.overallEpoch());
      assertEquals(o.get("step").getAsLong(), e.step());
      for (var t : e.terms().entrySet()) {
        assertEquals(o.get(t.getKey()).getAsDouble(), t.getValue(), 0.0, t.getKey());
      }
      assertEquals(o.get("test_acc").getAsDouble(), e.scores().get("test")[0], 0.0);
    }
    assertEquals(seen.size() - 1, seen.get(seen.size() - 1).phaseEpoch());
    assertTrue(seen.get(seen.size() - 1).phaseEnds());
    // The result's ACC is the last epoch's, and the exported SavedModel (loaded by the inference
    // module, not the training graph) assigns the test images to the clusters that score it.
    double last = seen.get(seen.size() - 1).scores().get("test")[0];
    assertEquals(last, result.testAcc(), 0.0);
    float[][] images = new float[test.n()][];
    for (int i = 0; i < test.n(); i++) {
      images[i] = test.image(i);
    }
    try (var exported = ClusteringModel.load(result.export())) {
      int[] clusters = exported.assign(images).clusters();
      assertEquals(last, ClusteringMetrics.accuracy(test.labels(), clusters).acc(), 1e-12);
    }
  }

  @Test
  void resumingAfterAStopGivesTheSameRunAsNeverStopping(@TempDir Path tmp) throws Exception {
    Dataset train = twoPrototypes(96, 3);
    Dataset test = twoPrototypes(32, 4);
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(CONFIG, false, train, test, straight);

    var stopped = new RunDirectory(tmp.resolve("stopped"));
    train(CONFIG.withEpochs(2), false, train, test, stopped);
    train(CONFIG, true, train, test, stopped);

    List<String> a = Files.readAllLines(straight.path().resolve(RunDirectory.METRICS));
    List<String> b = Files.readAllLines(stopped.path().resolve(RunDirectory.METRICS));
    assertEquals(3, b.size());
    for (int i = 0; i < 3; i++) {
      var x = JsonParser.parseString(a.get(i)).getAsJsonObject();
      var y = JsonParser.parseString(b.get(i)).getAsJsonObject();
      assertEquals(x.get("loss").getAsDouble(), y.get("loss").getAsDouble(), 0.0, "epoch " + i);
      assertEquals(x.get("step").getAsLong(), y.get("step").getAsLong());
    }
    try (var m1 = ClusteringModel.load(straight.exportPath());
        var m2 = ClusteringModel.load(stopped.exportPath())) {
      float[][] rows = {test.image(0), test.image(5), test.image(9)};
      var p1 = m1.assign(rows).probs();
      var p2 = m2.assign(rows).probs();
      for (int i = 0; i < rows.length; i++) {
        assertArrayEquals(p1[i], p2[i], 0f);
      }
    }
  }

  @Test
  void exportingACheckpointGivesTheModelThatTrainingExported(@TempDir Path tmp) {
    Dataset train = twoPrototypes(64, 5);
    Dataset test = twoPrototypes(32, 6);
    var run = new RunDirectory(tmp.resolve("run"));
    train(CONFIG.withEpochs(1), false, train, test, run);
    Path again = CheckpointExport.latest(run, tmp.resolve("again"));
    try (var m1 = ClusteringModel.load(run.exportPath()); var m2 = ClusteringModel.load(again)) {
      float[][] rows = {test.image(0), test.image(1)};
      assertArrayEquals(m1.embed(rows)[0], m2.embed(rows)[0], 0f);
      assertArrayEquals(m1.assign(rows).probs()[1], m2.assign(rows).probs()[1], 0f);
    }
  }

  @Test
  void aTrainingSetOfNoImagesLeavesTheEarlierRunAsItWas(@TempDir Path tmp) throws Exception {
    Dataset test = twoPrototypes(32, 8);
    var run = earlierRun(tmp, test);
    var before = RunFiles.snapshot(run.path());
    var e = assertThrows(IllegalArgumentException.class,
        () -> train(CONFIG, false, twoPrototypes(64, 7).first(0), test, run));
    assertTrue(e.getMessage().contains("no images"), e.getMessage());
    RunFiles.assertUnchanged(before, RunFiles.snapshot(run.path()));
  }

  @Test
  void aBatchLargerThanTheTrainingSetLeavesTheEarlierRunAsItWas(@TempDir Path tmp)
      throws Exception {
    Dataset test = twoPrototypes(32, 8);
    var run = earlierRun(tmp, test);
    var before = RunFiles.snapshot(run.path());
    var e = assertThrows(IllegalArgumentException.class,
        () -> train(CONFIG, false, twoPrototypes(15, 7), test, run));
    assertTrue(e.getMessage().contains("has 15 images, fewer than one batch of 16"),
        e.getMessage());
    RunFiles.assertUnchanged(before, RunFiles.snapshot(run.path()));
  }

  @Test
  void anEvaluationSetOfNoImagesLeavesTheEarlierRunAsItWas(@TempDir Path tmp) throws Exception {
    Dataset test = twoPrototypes(32, 8);
    var run = earlierRun(tmp, test);
    var before = RunFiles.snapshot(run.path());
    var e = assertThrows(IllegalArgumentException.class,
        () -> train(CONFIG, false, twoPrototypes(64, 7), test.first(0), run));
    assertTrue(e.getMessage().contains("'test'") && e.getMessage().contains("no images"),
        e.getMessage());
    RunFiles.assertUnchanged(before, RunFiles.snapshot(run.path()));
  }

  /** A finished 2-epoch run: checkpoints, config.json, two metrics lines, an export. */
  private static RunDirectory earlierRun(Path tmp, Dataset test) {
    var run = new RunDirectory(tmp.resolve("run"));
    train(CONFIG.withEpochs(2), false, twoPrototypes(64, 7), test, run);
    return run;
  }
}
