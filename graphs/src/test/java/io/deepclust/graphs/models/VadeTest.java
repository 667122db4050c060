package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** VaDE's autoencoder: its kernels' initialiser per recipe and its pretraining and refit losses. */
class VadeTest {
  /** Every kernel has at least 128 entries, and fan-in and Glorot limits differ by over 10 %. */
  static VadeConfig config(Pretraining recipe) {
    return new VadeConfig(new int[] {4, 4, 1}, 3, 4, new int[] {32, 32, 64},
        new int[] {64, 32, 32}, 2e-3f, 0.9f, 10, 2e-4f, 1e-4f, recipe, GmmStart.paper(), 16, 1,
        21L);
  }

  static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  /** The largest |w| of each variable after initialisation, by name. */
  static Map<String, Double> maxAbs(VadeConfig c, Map<String, Shape> shapes) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Params p = new Params(Ops.create(g), c.seed());
      Vade.variables(p.ops(), p, c);
      s.initialize();
      Map<String, Double> out = new LinkedHashMap<>();
      p.read(s).forEach((name, t) -> {
        try (t) {
          double m = 0;
          for (float v : values(t)) {
            m = Math.max(m, Math.abs(v));
          }
          out.put(name, m);
          shapes.put(name, t.shape());
        }
      });
      return out;
    }
  }

  static void assertKernelsStartAs(Pretraining recipe, boolean fanIn) {
    Map<String, Shape> shapes = new LinkedHashMap<>();
    Map<String, Double> max = maxAbs(config(recipe), shapes);
    int kernels = 0;
    for (var e : max.entrySet()) {
      String name = e.getKey();
      if (!name.endsWith("_kernel")) {
        assertEquals(0.0, e.getValue(), 0.0, name + " starts at zero");
        continue;
      }
      kernels++;
      double in = shapes.get(name).size(0);
      double out = shapes.get(name).size(1);
      double limit = fanIn ? Math.sqrt(1 / in) : Math.sqrt(6 / (in + out));
      assertTrue(e.getValue() <= limit * (1 + 1e-6) && e.getValue() > 0.9 * limit,
          name + " " + shapes.get(name) + ": max |w| " + e.getValue() + ", limit " + limit);
    }
    assertEquals(9, kernels, "qz_1..3, qz_mean, qz_logvar, px_1..3, px_logits");
  }

  @Test
  void aJointLearningRateKeepsTheScheduleAndLowersTheFloorToItself() {
    VadeConfig paper = VadeConfig.mnist(1).withLearningRate(VadeConfig.PAPER_LEARNING_RATE);
    assertEquals(2e-4f, VadeConfig.mnist(1).learningRate(0), 0f, "the default: the floor");
    assertEquals((float) (2e-3 * 0.81), paper.learningRate(25), 1e-9f);
    VadeConfig high = paper.withLearningRate(1e-3f);
    // 1e-3 · 0.9^⌊e/10⌋, floor 2e-4 (0.9^15 · 1e-3 = 2.06e-4 > floor > 0.9^16 · 1e-3).
    assertEquals(1e-3f, high.learningRate(9), 0f);
    assertEquals((float) (1e-3 * 0.9), high.learningRate(10), 1e-9f);
    assertEquals((float) (1e-3 * Math.pow(0.9, 15)), high.learningRate(150), 1e-9f);
    assertEquals(2e-4f, high.learningRate(160), 0f);
    VadeConfig low = paper.withLearningRate(1e-4f);
    for (int e : new int[] {0, 10, 99, 300}) {
      assertEquals(1e-4f, low.learningRate(e), 0f, "a rate under the floor stays constant");
    }
    assertEquals(paper.learningRate(25), paper.withLearningRate(2e-3f).learningRate(25), 0f);
  }

  @Test
  void decKerasRecipeStartsEveryKernelFanInUniform() {
    assertKernelsStartAs(Pretraining.decKeras(), true);
  }

  @Test
  void adamBceRecipeStartsEveryKernelGlorotUniform() {
    assertKernelsStartAs(Pretraining.adamBce(), false);
  }

  /** Dense layer in doubles: x·W + b, ReLU'd when asked. */
  static double[][] dense(double[][] x, float[] w, float[] b, boolean relu) {
    int out = b.length;
    double[][] y = new double[x.length][out];
    for (int r = 0; r < x.length; r++) {
      for (int j = 0; j < out; j++) {
        double s = b[j];
        for (int i = 0; i < x[r].length; i++) {
          s += x[r][i] * w[i * out + j];
        }
        y[r][j] = relu ? Math.max(0, s) : s;
      }
    }
    return y;
  }

  /** Sets every variable to N(0, 0.5²) and returns [pretrain_loss, refit_loss, expected...]. */
  static double[] lossesByGraphAndByHand(Pretraining recipe) {
    VadeConfig c = new VadeConfig(new int[] {2, 3, 1}, 2, 2, new int[] {5, 4, 3},
        new int[] {3, 4, 5}, 2e-3f, 0.9f, 10, 2e-4f, 1e-4f, recipe, GmmStart.paper(), 4, 1, 8L);
    int batch = 4;
    Random rnd = new Random(17);
    float[] pixels = new float[batch * 6];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = rnd.nextFloat();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, c.seed());
      var x = ModelConfig.imageInput(tf, c, "x");
      var t = Vade.training(tf, p, c, x);
      s.initialize();
      Map<String, float[]> w = new LinkedHashMap<>();
      Map<String, TFloat32> assigned = new LinkedHashMap<>();
      p.read(s).forEach((name, v) -> {
        try (v) {
          float[] a = new float[(int) v.shape().size()];
          for (int i = 0; i < a.length; i++) {
            a[i] = (float) (0.5 * rnd.nextGaussian());
          }
          w.put(name, a);
          assigned.put(name, TFloat32.tensorOf(v.shape(), DataBuffers.of(a, true, false)));
        }
      });
      p.assign(s, assigned);
      assigned.values().forEach(TFloat32::close);
      float pretrain;
      float refit;
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(batch, 2, 3, 1),
          DataBuffers.of(pixels, true, false));
          var r = s.runner().feed(x, xs).fetch(t.pretrainLoss()).fetch(t.refitLoss()).run()) {
        pretrain = ((TFloat32) r.get(0)).getFloat();
        refit = ((TFloat32) r.get(1)).getFloat();
      }
      double[][] xd = new double[batch][6];
      for (int i = 0; i < pixels.length; i++) {
        xd[i / 6][i % 6] = pixels[i];
      }
      double[][] h = xd;
      for (String layer : new String[] {"qz_1", "qz_2", "qz_3"}) {
        h = dense(h, w.get(layer + "_kernel"), w.get(layer + "_bias"), true);
      }
      h = dense(h, w.get("qz_mean_kernel"), w.get("qz_mean_bias"), false);
      for (String layer : new String[] {"px_1", "px_2", "px_3"}) {
        h = dense(h, w.get(layer + "_kernel"), w.get(layer + "_bias"), true);
      }
      double[][] logits = dense(h, w.get("px_logits_kernel"), w.get("px_logits_bias"), false);
      double mse = 0;
      double bce = 0;
      for (int b = 0; b < batch; b++) {
        for (int d = 0; d < 6; d++) {
          double l = logits[b][d];
          mse += (l - xd[b][d]) * (l - xd[b][d]) / (6.0 * batch);
          bce += (Math.log1p(Math.exp(l)) - xd[b][d] * l) / batch;
        }
      }
      return new double[] {pretrain, refit, mse, bce};
    }
  }

  @Test
  void mseRecipePretrainsOnTheMeanSquaredErrorOfTheLogitsAndRefitsOnTheSummedBce() {
    double[] v = lossesByGraphAndByHand(Pretraining.decKeras());
    assertEquals(v[2], v[0], 1e-5 * v[2], "pretrain_loss = mean_b mean_d (l − x)²");
    assertEquals(v[3], v[1], 1e-5 * v[3], "refit_loss = mean_b Σ_d softplus(l) − x·l");
  }

  @Test
  void bceRecipePretrainsOnTheSummedBce() {
    double[] v = lossesByGraphAndByHand(Pretraining.adamBce());
    assertEquals(v[3], v[0], 1e-5 * v[3], "pretrain_loss = mean_b Σ_d softplus(l) − x·l");
    assertEquals(v[3], v[1], 1e-5 * v[3], "refit_loss is the BCE too");
    assertTrue(Math.abs(v[2] - v[3]) > 0.1 * v[3], "the two losses are told apart: " + v[2]
        + " vs " + v[3]);
  }
}
