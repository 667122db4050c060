package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.deepclust.graphs.layers.Conv2d.Spec;
import io.deepclust.graphs.models.VcConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Variational Clustering through the trainer: augmented steps, export with prior_mix, resume. */
class VcTrainingTest {
  /** The MNIST geometry with few filters, K = 2, Z = 3, batch 16, 2 epochs, λ_aug 1 from epoch 1. */
  static VcConfig tiny(int epochs) {
    var m = VcConfig.mnist(6);
    int[] encFilters = {4, 4, 4, 6, 6, 6, 8};
    int[] decFilters = {6, 6, 6, 4, 4, 4, 1};
    List<Spec> enc = new ArrayList<>();
    List<Spec> dec = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Spec e = m.encoderConvs().get(i);
      enc.add(new Spec(encFilters[i], e.kernel(), e.stride(), e.padding()));
      Spec d = m.decoderDeconvs().get(i);
      dec.add(new Spec(decFilters[i], d.kernel(), d.stride(), d.padding()));
    }
    return new VcConfig(m.inputShape(), 2, 3, enc, new int[] {8, 8}, new int[] {},
        new int[] {8, 72}, new int[] {3, 3, 8}, dec, VcConfig.RELU, VcConfig.BERNOULLI, 1e-3f,
        1e-8f, 16, epochs, new float[] {0.5f}, new float[] {0.01f, 1, 1f}, false, "rotation",
        false, false, false, 6);
  }

  /** 28×28 images: class 0 lights the top half, class 1 the bottom half, 5 % of pixels flipped. */
  static Dataset halves(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * 784];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(2);
      for (int j = 0; j < 784; j++) {
        boolean on = (labels[i] == 0) == (j < 392);
        x[i * 784 + j] = on ^ (r.nextDouble() < 0.05) ? 1f : 0f;
      }
    }
    return new Dataset("halves", x, labels, 28, 28, 1, 2);
  }

  static List<Double> losses(RunDirectory run) throws Exception {
    return Files.readAllLines(run.path().resolve(RunDirectory.METRICS)).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject().get("loss").getAsDouble())
        .toList();
  }

  @Test
  void trainsOnAugmentedBatchesAndExportsAModelWithPriorMix(@TempDir Path tmp) throws Exception {
    Dataset train = halves(64, 1);
    Dataset test = halves(32, 2);
    var run = new RunDirectory(tmp.resolve("vc"));
    var result = MultiPhaseTrainingTest.train(new VcTrainingGraph(tiny(2)), false, train, test,
        run);
    var metrics = Files.readAllLines(run.path().resolve(RunDirectory.METRICS));
    assertEquals(2, metrics.size());
    var last = JsonParser.parseString(metrics.get(1)).getAsJsonObject();
    // The paper's terms (Eq. 13-17) under the names the Python twin logs too.
    for (String term :
        List.of("loss", "reconstruction", "entropy", "gaussian_kl", "aug_l2", "aug_w2")) {
      assertTrue(Double.isFinite(last.get(term).getAsDouble()), term);
    }
    assertTrue(last.get("aug_w2").getAsDouble() > 0, "rotated copies differ from the batch");
    try (var model = ClusteringModel.load(result.export())) {
      assertEquals("vc", model.info().model());
      assertTrue(model.hasPriorMix());
      var prior = model.prior(new int[] {0, 1});
      var mix = model.priorMix(new float[][] {{1f, 0f}, {0f, 1f}});
      assertArrayEquals(prior.mean()[1], mix.mean()[1], 1e-6f);
      assertArrayEquals(prior.stddev()[0], mix.stddev()[0], 1e-6f);
      var a = model.assign(new float[][] {test.image(0), test.image(1)});
      assertEquals(1f, a.probs()[0][0] + a.probs()[0][1], 1e-5f);
      assertEquals(784, model.reconstruct(new float[][] {test.image(0)})[0].length);
    }
  }

  @Test
  void aResumedRunRepeatsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
    Dataset train = halves(48, 3);
    Dataset test = halves(16, 4);
    var straight = new RunDirectory(tmp.resolve("straight"));
    MultiPhaseTrainingTest.train(new VcTrainingGraph(tiny(2)), false, train, test, straight);
    var stopped = new RunDirectory(tmp.resolve("stopped"));
    MultiPhaseTrainingTest.train(new VcTrainingGraph(tiny(1)), false, train, test, stopped);
    MultiPhaseTrainingTest.train(new VcTrainingGraph(tiny(2)), true, train, test, stopped);
    assertEquals(losses(straight), losses(stopped));
  }
}
