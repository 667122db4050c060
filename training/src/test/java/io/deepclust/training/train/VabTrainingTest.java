package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonParser;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.mixture.BernoulliMixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VAB through the trainer: PSNR per epoch, export with compress / classify_bits, resume. */
class VabTrainingTest {
  static VabConfig tiny(int epochs) {
    return new VabConfig(new int[] {4, 4, 1}, 2, 6, new int[] {16}, new int[] {16},
        VabConfig.BERNOULLI, 1f, 0.5f, 10, false, false, 2e-3f, 0.9f, 10, 2e-4f, 1e-8f, 6, 16, epochs,
        8);
  }

  @Test
  void theBackboneIsMlpOrConvAndAConfigWithoutTheKeyReadsMlp() {
    var json = new Gson().toJsonTree(VabConfig.mnist(1)).getAsJsonObject();
    assertEquals("mlp", json.get("backbone").getAsString());
    json.remove("backbone");
    assertEquals("mlp", new Gson().fromJson(json, VabConfig.class).backbone());
    assertTrue(VabConfig.mnist(1).withBackbone("conv").backboneLayers().conv());
    var bad = assertThrows(IllegalArgumentException.class,
        () -> VabConfig.mnist(1).withBackbone("resnet"));
    assertTrue(bad.getMessage().contains("backbone must be one of [mlp, conv], not"),
        bad.getMessage());
  }

  @Test
  void theConvBackboneTrainsAndExportsTheSameContract(@TempDir Path tmp) throws Exception {
    Dataset train = TrainerTest.twoPrototypes(96, 3);
    Dataset test = TrainerTest.twoPrototypes(40, 4);
    var run = new RunDirectory(tmp.resolve("vab-conv"));
    var result = MultiPhaseTrainingTest.train(new VabTrainingGraph(tiny(2).withBackbone("conv")),
        false, train, test, run);
    var config = JsonParser.parseString(Files.readString(run.path().resolve(RunDirectory.CONFIG)))
        .getAsJsonObject().getAsJsonObject("config");
    assertEquals("conv", config.get("backbone").getAsString());
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("vab", model.info().model());
      var a = model.assign(new float[][] {test.image(0), test.image(1)});
      assertEquals(2, a.clusters().length);
      assertTrue(Float.isFinite(a.probs()[0][0]));
    }
  }

  @Test
  void trainsExportsAndTheConsumersBitsGiveTheVendorsClusters(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(96, 1);
    Dataset test = TrainerTest.twoPrototypes(40, 2);
    var run = new RunDirectory(tmp.resolve("vab"));
    var result = MultiPhaseTrainingTest.train(new VabTrainingGraph(tiny(3)), false, train, test,
        run);
    var lines = Files.readAllLines(run.path().resolve(RunDirectory.METRICS));
    assertEquals(3, lines.size());
    var last = JsonParser.parseString(lines.get(2)).getAsJsonObject();
    double psnr = last.get("test_psnr").getAsDouble();
    assertTrue(psnr > 0 && psnr < 100, "PSNR in dB: " + psnr);
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("vab", model.info().model());
      float[][] images = new float[test.n()][];
      for (int i = 0; i < test.n(); i++) {
        images[i] = test.image(i);
      }
      byte[][] bits = model.compress(images);
      assertEquals(6, bits[0].length);
      for (byte[] row : bits) {
        for (byte b : row) {
          assertTrue(b == 0 || b == 1);
        }
      }
      assertArrayEquals(model.assign(images).clusters(), model.classifyBits(bits).clusters());
      var prior = model.prior(new int[] {0, 1});
      assertTrue(prior.mean()[0][0] > 0 && prior.mean()[0][0] < 1, "Bernoulli probabilities");
    }
  }

  @Test
  void theUniformPriorVariantEndsWithAnEmFixedPointOfTheTrainingBits(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(96, 5);
    Dataset test = TrainerTest.twoPrototypes(40, 6);
    var run = new RunDirectory(tmp.resolve("uniform"));
    var config = tiny(3).withUniformPrior(true);
    int k = config.clusters();
    int d = config.bits();
    try (var graph = new VabTrainingGraph(config)) {
      float[] initialLogits = graph.readVariable("pz_logits", k * d);
      var result = new Trainer(new Trainer.Options(false, false, TrainerTest.QUIET, "toy"))
          .train(graph, train, test, run);
      float[] pc = graph.readVariable("pc_logits", k);
      float[] pz = graph.readVariable("pz_logits", k * d);
      assertTrue(!Arrays.equals(initialLogits, pz), "the mixture was fitted");
      double norm = 0;
      for (float v : pc) {
        norm += Math.exp(v);
      }
      assertEquals(1, norm, 1e-5, "pc_logits hold log π");
      double[] w = new double[k];
      double[][] theta = new double[k][d];
      for (int c = 0; c < k; c++) {
        w[c] = Math.exp(pc[c]);
        for (int j = 0; j < d; j++) {
          theta[c][j] = 1 / (1 + Math.exp(-pz[c * d + j]));
        }
      }
      // One more EM step on the training bits barely moves a converged fit (EM stops when the
      // mean squared change falls below its tolerance); the initial mixture would move far.
      byte[] codes = graph.compress(train);
      var fit = new BernoulliMixture.Fit(w, theta, Double.NaN, 0);
      var step = BernoulliMixture.em(codes, d, fit, 1);
      double change = 0;
      for (int c = 0; c < k; c++) {
        for (int j = 0; j < d; j++) {
          change += Math.pow(step.theta()[c][j] - theta[c][j], 2);
        }
      }
      assertTrue(change / (k * d) < 1e-4, "EM fixed point: mean squared step " + change);
      // The export clusters the test bits as this mixture does, computed here in Java.
      try (var model = ClusteringModel.load(result.export())) {
        byte[] testCodes = graph.compress(test);
        byte[][] rows = new byte[test.n()][];
        for (int i = 0; i < test.n(); i++) {
          rows[i] = Arrays.copyOfRange(testCodes, i * d, (i + 1) * d);
        }
        assertArrayEquals(BernoulliMixture.assign(testCodes, d, fit),
            model.classifyBits(rows).clusters());
      }
    }
  }

  @Test
  void aResumedRunRepeatsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
    Dataset train = TrainerTest.twoPrototypes(64, 3);
    Dataset test = TrainerTest.twoPrototypes(16, 4);
    var straight = new RunDirectory(tmp.resolve("straight"));
    MultiPhaseTrainingTest.train(new VabTrainingGraph(tiny(2)), false, train, test, straight);
    var stopped = new RunDirectory(tmp.resolve("stopped"));
    MultiPhaseTrainingTest.train(new VabTrainingGraph(tiny(1)), false, train, test, stopped);
    MultiPhaseTrainingTest.train(new VabTrainingGraph(tiny(2)), true, train, test, stopped);
    assertEquals(VcTrainingTest.losses(straight), VcTrainingTest.losses(stopped));
  }
}
