package io.deepclust.savedmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.inference.Contract;
import io.deepclust.inference.ContractValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

class GmvaeGumbelExportTest {
  static final GmvaeGumbelConfig CONFIG = new GmvaeGumbelConfig(new int[] {4, 4, 1}, 3,
      new int[] {16, 8}, 6, 4, 5f, 1e-2f, 1e-8f, 16, 1, 1f, 0.5f, 10, false, false, false, 11L);

  static float[] randomImages(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * CONFIG.inputDim()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    return x;
  }

  static float[] values(Tensor t) {
    float[] out = new float[(int) t.shape().size()];
    ((TFloat32) t).asRawTensor().data().asFloats().read(out);
    return out;
  }

  @Test
  void loadedSavedModelGivesExactlyTheInMemoryOutputs(@TempDir Path tmp) throws Exception {
    int n = 16;
    float[] data = randomImages(n, 5L);
    Map<String, float[]> expected = new HashMap<>();
    Map<String, TFloat32> weights;
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, CONFIG.seed());
      var x = ModelConfig.imageInput(tf, CONFIG, "x");
      var t = GmvaeGumbel.training(tf, p, CONFIG, x);
      var inf = GmvaeGumbel.inference(tf, p, CONFIG, x);
      var adam = new AdamStep(tf, "adam", t.loss(), p.trainableVariables(), p.trainableNames(),
          t.batchNormUpdates(), CONFIG.adamEpsilon());
      s.initialize();
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(n, 4, 4, 1), DataBuffers.of(data, true, false));
          TFloat32 temp = TFloat32.scalarOf(1f);
          TFloat32 lr = TFloat32.scalarOf(1e-2f)) {
        // A few steps so that weights and batch-norm statistics differ from their initial values.
        for (int step = 1; step <= 5; step++) {
          float[] bp = adam.betaPowers(step);
          try (TInt64 seed = TInt64.vectorOf(1, step);
              TFloat32 b1 = TFloat32.scalarOf(bp[0]);
              TFloat32 b2 = TFloat32.scalarOf(bp[1])) {
            s.runner().feed(x, xs).feed(t.temperature(), temp).feed(t.noiseSeed(), seed)
                .feed(adam.learningRate, lr).feed(adam.beta1Power, b1).feed(adam.beta2Power, b2)
                .addTarget(adam.step).run();
          }
        }
        try (var r = s.runner().feed(x, xs).fetch(inf.probs()).fetch(inf.cluster())
            .fetch(inf.embedding()).fetch(inf.reconstruction()).run()) {
          expected.put("probs", values(r.get(0)));
          long[] clusters = new long[n];
          ((TInt64) r.get(1)).asRawTensor().data().asLongs().read(clusters);
          float[] asFloat = new float[n];
          for (int i = 0; i < n; i++) {
            asFloat[i] = clusters[i];
          }
          expected.put("cluster", asFloat);
          expected.put("z", values(r.get(2)));
          expected.put("x_hat", values(r.get(3)));
        }
      }
      weights = p.read(s);
    }
    Path export = tmp.resolve("model");
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, "synthetic");
    GmvaeGumbelExport.export(CONFIG, weights, info, export);
    weights.values().forEach(Tensor::close);
    assertTrue(Files.isRegularFile(export.resolve("assets/deepclust.json")));
    var info2 = ContractValidator.validate(export);
    assertEquals("gmvae_gumbel", info2.model());
    assertEquals(CONFIG.clusters(), info2.clusters());
    assertEquals(CONFIG.latentDim(), info2.latentDim());

    try (SavedModelBundle b = SavedModelBundle.load(export.toString(), Contract.TAG);
        TFloat32 xs = TFloat32.tensorOf(Shape.of(n, 4, 4, 1), DataBuffers.of(data, true, false))) {
      try (var r = b.function(Contract.SIG_ASSIGN).call(Map.of(Contract.IN_X, xs))) {
        assertArrayEquals(expected.get("probs"), values(r.get(Contract.OUT_PROBS).get()));
        long[] clusters = new long[n];
        ((TInt64) r.get(Contract.OUT_CLUSTER).get()).asRawTensor().data().asLongs().read(clusters);
        for (int i = 0; i < n; i++) {
          assertEquals(expected.get("cluster")[i], clusters[i]);
        }
      }
      try (var r = b.function(Contract.SIG_EMBED).call(Map.of(Contract.IN_X, xs))) {
        assertArrayEquals(expected.get("z"), values(r.get(Contract.OUT_Z).get()));
      }
      try (var r = b.function(Contract.SIG_RECONSTRUCT).call(Map.of(Contract.IN_X, xs))) {
        assertArrayEquals(expected.get("x_hat"), values(r.get(Contract.OUT_X_HAT).get()));
      }
      try (TInt32 k = TInt32.vectorOf(0, 2);
          var r = b.function(Contract.SIG_PRIOR).call(Map.of(Contract.IN_CLUSTER, k))) {
        assertArrayEquals(new float[2 * CONFIG.latentDim()], values(r.get(Contract.OUT_MEAN).get()));
      }
    }
  }
}
