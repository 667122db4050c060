package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.deepclust.graphs.models.KdvaeConfig;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VaDE and k-DVAE through the trainer's phases on a toy dataset: export, load, exact resume. */
class MultiPhaseTrainingTest {
  /** Two epochs of Adam 1e-3 on the summed BCE, batch 16. */
  static final Pretraining TOY_PRETRAINING = new Pretraining(Pretraining.ADAM, 1e-3f, 0f,
      Pretraining.BCE, 16, 2, Pretraining.GLOROT_UNIFORM, 0);
  static final VadeConfig VADE = new VadeConfig(new int[] {4, 4, 1}, 2, 2, new int[] {16, 16, 8},
      new int[] {8, 16, 16}, 2e-3f, 0.9f, 10, 2e-4f, 1e-4f, TOY_PRETRAINING,
      new GmmStart(2, 2, GmmStart.UNIFORM), 16, 2, 3L);
  static final KdvaeConfig KDVAE = new KdvaeConfig(new int[] {4, 4, 1}, 2, 2, new int[] {16},
      new int[] {16}, 1e-3f, 1e-7f, 16, 2, 1, TOY_PRETRAINING.withEpochs(1),
      new GmmStart(1, 2, GmmStart.UNIFORM), 1, 4L);

  static Trainer.Result train(TrainingModel m, boolean resume, Dataset train, Dataset test,
      RunDirectory run) {
    try (m) {
      return new Trainer(new Trainer.Options(resume, false, TrainerTest.QUIET, "toy"))
          .train(m, train, test, run);
    }
  }

  static List<String> phases(RunDirectory run) throws Exception {
    return Files.readAllLines(run.path().resolve(RunDirectory.METRICS)).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject().get("phase").getAsString())
        .toList();
  }

  @Test
  void vadePretrainsThenTrainsJointlyAndExportsALoadableModel(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(96, 1);
    Dataset test = TrainerTest.twoPrototypes(32, 2);
    var run = new RunDirectory(tmp.resolve("vade"));
    var result = train(new VadeTrainingGraph(VADE), false, train, test, run);
    assertEquals(List.of("pretrain", "pretrain", "joint", "joint"), phases(run));
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("vade", model.info().model());
      var prior = model.prior(new int[] {0, 1});
      assertEquals(2, prior.mean()[0].length);
      assertTrue(prior.stddev()[1][0] > 0);
      assertEquals(2, model.assign(new float[][] {test.image(0), test.image(1)}).size());
    }
  }

  @Test
  void vadeResumedAcrossItsPhaseBoundaryRepeatsTheUninterruptedRun(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(64, 3);
    Dataset test = TrainerTest.twoPrototypes(32, 4);
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new VadeTrainingGraph(VADE), false, train, test, straight);
    var stopped = new RunDirectory(tmp.resolve("stopped"));
    // Stop after pretraining and one joint epoch, then resume with the full config.
    train(new VadeTrainingGraph(VADE.withEpochs(2, 1)), false, train, test, stopped);
    train(new VadeTrainingGraph(VADE), true, train, test, stopped);
    List<String> a = Files.readAllLines(straight.path().resolve(RunDirectory.METRICS));
    List<String> b = Files.readAllLines(stopped.path().resolve(RunDirectory.METRICS));
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      var x = JsonParser.parseString(a.get(i)).getAsJsonObject();
      var y = JsonParser.parseString(b.get(i)).getAsJsonObject();
      assertEquals(x.get("loss").getAsDouble(), y.get("loss").getAsDouble(), 0.0, "line " + i);
    }
    try (var m1 = ClusteringModel.load(straight.exportPath());
        var m2 = ClusteringModel.load(stopped.exportPath())) {
      float[][] rows = {test.image(0), test.image(3)};
      assertArrayEquals(m1.assign(rows).probs()[1], m2.assign(rows).probs()[1], 0f);
    }
  }

  @Test
  void kdvaeRunsItsFourPhasesAndExportsALoadableModel(@TempDir Path tmp) throws Exception {
    Dataset train = TrainerTest.twoPrototypes(96, 5);
    Dataset test = TrainerTest.twoPrototypes(32, 6);
    var run = new RunDirectory(tmp.resolve("kdvae"));
    var result = train(new KdvaeTrainingGraph(KDVAE), false, train, test, run);
    assertEquals(List.of("vade_pretrain", "vade_joint", "pair_pretrain", "joint", "joint"),
        phases(run));
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("kdvae", model.info().model());
      float[][] z = {{0.1f, -0.2f}, {0.3f, 0.4f}};
      float[][] x0 = model.decode(z, new int[] {0, 0});
      float[][] x1 = model.decode(z, new int[] {1, 1});
      assertEquals(16, x0[0].length);
      assertTrue(!java.util.Arrays.equals(x0[0], x1[0]), "each cluster has its own decoder");
    }
  }
}
