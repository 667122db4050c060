package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.training.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/** VaDE's pretrain → refit → joint through the trainer: GMM restarts, refit, pretraining cache. */
class VadePretrainCacheTrainingTest {
  /** Two epochs of Adam 1e-3 on the summed BCE, batch 16, then one epoch of decoder refit. */
  static final Pretraining RECIPE = new Pretraining(Pretraining.ADAM, 1e-3f, 0f, Pretraining.BCE,
      16, 2, Pretraining.GLOROT_UNIFORM, 1);
  static final VadeConfig CONFIG = MultiPhaseTrainingTest.VADE.withPretraining(RECIPE)
      .withGmmStart(new GmmStart(3, 2, GmmStart.UNIFORM));

  /** What one run left: its directory and its console output. */
  record Run(RunDirectory dir, String out) {
    List<String> phases() throws Exception {
      return MultiPhaseTrainingTest.phases(dir);
    }

    JsonObject jointStart() throws IOException {
      return JsonParser.parseString(Files.readString(dir.path().resolve("joint-start.json")))
          .getAsJsonObject();
    }

    double[] restartLosses() throws IOException {
      JsonArray restarts = jointStart().getAsJsonArray("restarts");
      double[] out = new double[restarts.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = restarts.get(i).getAsJsonObject().get("loss").getAsDouble();
      }
      return out;
    }
  }

  static Run train(VadeConfig c, PretrainCache cache, Path dir, Dataset train, Dataset test) {
    var bytes = new ByteArrayOutputStream();
    var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    var run = new RunDirectory(dir);
    try (var m = new VadeTrainingGraph(c)) {
      m.usePretrainCache(cache, "fp32");
      new Trainer(new Trainer.Options(false, false, out, "toy")).train(m, train, test, run);
    }
    return new Run(run, bytes.toString(StandardCharsets.UTF_8));
  }

  static List<String> vadeEntries(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("vade-")).toList();
    }
  }

  @Test
  void aSecondRunTakesTheAutoencoderFromTheCacheAndStartsAsTheFirst(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(64, 7);
    Dataset test = TrainerTest.twoPrototypes(32, 8);
    var cache = new PretrainCache(tmp.resolve("cache"));
    Run first = train(CONFIG, cache, tmp.resolve("first"), train, test);
    assertEquals(List.of("pretrain", "pretrain", "refit", "joint", "joint"), first.phases());
    assertTrue(first.out().contains("no entry"), first.out());

    JsonObject start = first.jointStart();
    double[] losses = first.restartLosses();
    assertEquals(3, losses.length, "GmmStart(3, ...) makes three restarts");
    JsonArray rows = start.getAsJsonArray("restarts");
    // The least k-means error is kept; among equal errors the least -ELBO.
    int argmin = 0;
    for (int i = 1; i < losses.length; i++) {
      assertTrue(Double.isFinite(losses[i]));
      double sse = rows.get(i).getAsJsonObject().get("kmeans_sse").getAsDouble();
      double best = rows.get(argmin).getAsJsonObject().get("kmeans_sse").getAsDouble();
      if (sse < best * (1 - 1e-9) || (sse <= best * (1 + 1e-9) && losses[i] < losses[argmin])) {
        argmin = i;
      }
    }
    assertEquals(argmin, start.get("selected").getAsInt(), "the least k-means error is kept");
    // Every restart is scored on the same noise draw: equal fits give equal objectives.
    for (int i = 1; i < rows.size(); i++) {
      double ll0 = rows.get(0).getAsJsonObject().get("gmm_log_likelihood").getAsDouble();
      double lli = rows.get(i).getAsJsonObject().get("gmm_log_likelihood").getAsDouble();
      if (ll0 == lli) {
        assertEquals(losses[0], losses[i], 0.0, "restarts 0 and " + i + " fit the same GMM");
      }
    }
    assertEquals(1, vadeEntries(cache.root()).size(), "the first run stored its autoencoder");

    Run second = train(CONFIG, cache, tmp.resolve("second"), train, test);
    assertEquals(List.of("joint", "joint"), second.phases(), "no pretrain or refit epochs");
    assertTrue(second.out().contains("took the autoencoder from"), second.out());
    assertArrayEquals(losses, second.restartLosses(), 0.0,
        "the same autoencoder and seeds give the same restarts");
    assertEquals(argmin, second.jointStart().get("selected").getAsInt());

    Run other = train(CONFIG.withEpochs(1, 2), cache, tmp.resolve("other"), train, test);
    assertEquals(List.of("pretrain", "refit", "joint", "joint"), other.phases(),
        "another recipe pretrains anew");
    assertFalse(other.out().contains("took the autoencoder from"), other.out());
    assertEquals(2, vadeEntries(cache.root()).size(), "and stores its own entry");
  }

  @Test
  void withoutACacheEveryRunPretrainsAndRefits(@TempDir Path tmp) throws Exception {
    Dataset train = TrainerTest.twoPrototypes(48, 9);
    Dataset test = TrainerTest.twoPrototypes(16, 10);
    var bytes = new ByteArrayOutputStream();
    var run = new RunDirectory(tmp.resolve("run"));
    try (var m = new VadeTrainingGraph(CONFIG.withEpochs(1, 1))) {
      new Trainer(new Trainer.Options(false, false, new PrintStream(bytes, true,
          StandardCharsets.UTF_8), "toy")).train(m, train, test, run);
    }
    assertEquals(List.of("pretrain", "refit", "joint"), MultiPhaseTrainingTest.phases(run));
    assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("pretraining cache"));
  }

  static float[] flat(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  /** Every variable's values, by name. */
  static Map<String, float[]> weights(VadeTrainingGraph m) {
    var read = m.params.read(m.session());
    try {
      var out = new LinkedHashMap<String, float[]>();
      read.forEach((n, t) -> out.put(n, flat(t)));
      return out;
    } finally {
      read.values().forEach(TFloat32::close);
    }
  }

  @Test
  void theRefitChangesTheDecoderAndNothingElse() {
    Dataset train = TrainerTest.twoPrototypes(16, 11);
    try (var m = new VadeTrainingGraph(CONFIG)) {
      Map<String, float[]> before = weights(m);
      for (int t = 1; t <= 3; t++) {
        float[] loss = m.refitStep(train.pixels(), 16, 1e-2f, t);
        assertTrue(Float.isFinite(loss[0]));
      }
      Map<String, float[]> after = weights(m);
      assertEquals(before.keySet(), after.keySet());
      int decoder = 0;
      for (String n : before.keySet()) {
        boolean same = Arrays.equals(before.get(n), after.get(n));
        if (n.startsWith("px_") && n.endsWith("_kernel")) {
          assertFalse(same, n + " is refitted");
          decoder++;
        } else if (!n.startsWith("px_")) {
          assertTrue(same, n + " stays as it was");
        }
      }
      assertEquals(4, decoder, "px_1, px_2, px_3, px_logits");

      // The comparison can fail: pretraining moves the encoder.
      m.pretrainStep(train.pixels(), 16, 1e-2f, 1);
      assertFalse(Arrays.equals(after.get("qz_1_kernel"), weights(m).get("qz_1_kernel")));
    }
  }

  @Test
  void theRefitLowersTheSummedBceOfTheAutoencoder() {
    Dataset train = TrainerTest.twoPrototypes(32, 12);
    try (var m = new VadeTrainingGraph(CONFIG)) {
      float first = m.refitStep(train.pixels(), 32, 1e-2f, 1)[0];
      float last = first;
      for (int t = 2; t <= 30; t++) {
        last = m.refitStep(train.pixels(), 32, 1e-2f, t)[0];
      }
      assertTrue(last < 0.8f * first, "refit BCE went from " + first + " to " + last);
    }
  }
}
