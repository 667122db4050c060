package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.training.eager.EagerModels;
import io.deepclust.training.eager.EagerStep;
import io.deepclust.training.data.Dataset;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * Session mode against eager mode (issue 7): from the same initial weights, batches and noise, 20
 * Adam steps of each model's main objective give the same weights (≤ 1e-5, relative to each
 * variable's largest entry).
 */
class EagerParityTest {
  static final int STEPS = 20;
  static final int BATCH = 8;
  static final float TEMPERATURE = 0.8f;

  static ModelConfig config(String model) {
    return switch (model) {
      case "gmvae_gumbel" -> TrainerTest.CONFIG;
      case "vade" -> MultiPhaseTrainingTest.VADE;
      case "kdvae" -> MultiPhaseTrainingTest.KDVAE;
      case "vc" -> VcTrainingTest.tiny(1);
      case "vab" -> VabTrainingTest.tiny(1);
      default -> throw new IllegalArgumentException(model);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"gmvae_gumbel", "vade", "kdvae", "vc", "vab"})
  void twentyEagerStepsGiveTheSessionsWeights(String model) {
    parity(model);
  }

  /** The fallback call through TF-Java's ops (a TF-Java whose eager context is out of reach). */
  @ParameterizedTest
  @ValueSource(strings = {"gmvae_gumbel", "vc"})
  void theCallThroughTfJavasOpsGivesTheSameWeights(String model) {
    System.setProperty(EagerStep.CALL_PROPERTY, "ops");
    try {
      parity(model);
    } finally {
      System.clearProperty(EagerStep.CALL_PROPERTY);
    }
  }

  private static void parity(String model) {
    ModelConfig c = config(model);
    JsonElement json = new Gson().toJsonTree(c);
    int[] s = c.inputShape();
    int dim = s[0] * s[1] * s[2];
    float lr = new Gson().fromJson(json, LearningRate.class).learningRate;
    // The main objective's step: the last phase's (VaDE's and k-DVAE's joint phase).
    var phases = List.copyOf(Models.spec(model).eagerPhases(json).values());
    var spec = phases.get(phases.size() - 1);
    try (TrainingModel session = Models.open(model, json);
        EagerStep eager = new EagerStep(spec.graph(), spec.seed(), spec.adamEpsilon())) {
      CrossCheckable m = (CrossCheckable) session;
      Map<String, float[]> start = new java.util.HashMap<>();
      Map<String, TFloat32> sessionStart = m.params().read(m.session());
      Map<String, TFloat32> eagerStart = eager.weights();
      try {
        // The eager variables start where the session's do: the same stateless draws.
        for (String n : sessionStart.keySet()) {
          start.put(n, floats(sessionStart.get(n)));
          assertEquals(0.0, maxRelative(start.get(n), floats(eagerStart.get(n))), n);
        }
      } finally {
        sessionStart.values().forEach(Tensor::close);
        eagerStart.values().forEach(Tensor::close);
      }
      Random rnd = new Random(13);
      for (int t = 1; t <= STEPS; t++) {
        float[] pixels = new float[BATCH * dim];
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = rnd.nextFloat() < 0.3 ? 1f : rnd.nextFloat() * 0.2f;
        }
        m.crossCheckStep(pixels, BATCH, lr, TEMPERATURE, c.seed(), t);
        var feeds = spec.feeds().apply(new EagerModels.StepInputs(pixels, pixels, BATCH,
            TEMPERATURE, 1f, 1f, c.seed(), t));
        try {
          float[] terms = eager.step(feeds, lr, t);
          assertTrue(Float.isFinite(terms[0]));
        } finally {
          feeds.values().forEach(Tensor::close);
        }
      }
      Map<String, TFloat32> a = m.params().read(m.session());
      Map<String, TFloat32> b = eager.weights();
      try {
        double worst = 0;
        double moved = 0;
        for (String n : a.keySet()) {
          moved = Math.max(moved, maxRelative(start.get(n), floats(a.get(n))));
          double rel = maxRelative(floats(a.get(n)), floats(b.get(n)));
          worst = Math.max(worst, rel);
          assertTrue(rel <= 1e-5, model + " " + n + ": " + rel);
        }
        assertTrue(moved > 1e-3, "the weights moved in training: " + moved);
        System.out.printf("%s (call: %s): max relative difference after %d steps %.2e (weights "
            + "moved by up to %.2e)%n", model,
            System.getProperty(EagerStep.CALL_PROPERTY, "C API"), STEPS, worst, moved);
      } finally {
        a.values().forEach(Tensor::close);
        b.values().forEach(Tensor::close);
      }
    }
  }

  @Test
  void eagerModeThroughTheTrainerWritesTheSessionModesMetrics(@TempDir Path tmp)
      throws Exception {
    Dataset train = TrainerTest.twoPrototypes(64, 3);
    Dataset test = TrainerTest.twoPrototypes(16, 4);
    // VaDE: both phases eagerly (autoencoder pretraining on its own variables, then joint).
    var session = new RunDirectory(tmp.resolve("vade-session"));
    MultiPhaseTrainingTest.train(new VadeTrainingGraph(MultiPhaseTrainingTest.VADE), false, train,
        test, session);
    var eager = new RunDirectory(tmp.resolve("vade-eager"));
    MultiPhaseTrainingTest.train(EagerTraining.wrap(
        new VadeTrainingGraph(MultiPhaseTrainingTest.VADE)), false, train, test, eager);
    assertEquals(VcTrainingTest.losses(session), VcTrainingTest.losses(eager));
    // k-DVAE: its initialising VaDE in session mode, pair pretraining and joint phase eagerly.
    var kSession = new RunDirectory(tmp.resolve("kdvae-session"));
    MultiPhaseTrainingTest.train(new KdvaeTrainingGraph(MultiPhaseTrainingTest.KDVAE), false,
        train, test, kSession);
    var kEager = new RunDirectory(tmp.resolve("kdvae-eager"));
    MultiPhaseTrainingTest.train(EagerTraining.wrap(
        new KdvaeTrainingGraph(MultiPhaseTrainingTest.KDVAE)), false, train, test, kEager);
    assertEquals(VcTrainingTest.losses(kSession), VcTrainingTest.losses(kEager));
    // VAB: an eager run stopped after one epoch and resumed eagerly repeats the session run.
    var straight = new RunDirectory(tmp.resolve("vab-session"));
    MultiPhaseTrainingTest.train(new VabTrainingGraph(VabTrainingTest.tiny(2)), false, train,
        test, straight);
    var stopped = new RunDirectory(tmp.resolve("vab-eager"));
    MultiPhaseTrainingTest.train(EagerTraining.wrap(new VabTrainingGraph(VabTrainingTest.tiny(1))),
        false, train, test, stopped);
    MultiPhaseTrainingTest.train(EagerTraining.wrap(new VabTrainingGraph(VabTrainingTest.tiny(2))),
        true, train, test, stopped);
    assertEquals(VcTrainingTest.losses(straight), VcTrainingTest.losses(stopped));
  }

  /** The config's (main) learning rate, whatever the model. */
  static final class LearningRate {
    float learningRate;
  }

  static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  static double maxRelative(float[] a, float[] b) {
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }
}
