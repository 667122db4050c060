package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.layers.Conv2d.Spec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Variational Clustering's terms against plain-Java computations and finite differences. */
class VariationalClusteringTest {
  static final int B = 3;

  /** The MNIST geometry with few filters, K = 4, Z = 3. */
  static VcConfig tiny(boolean stopGradientTarget) {
    var m = VcConfig.mnist(11);
    List<Spec> enc = new ArrayList<>();
    int[] encFilters = {4, 4, 4, 6, 6, 6, 8};
    for (int i = 0; i < encFilters.length; i++) {
      Spec s = m.encoderConvs().get(i);
      enc.add(new Spec(encFilters[i], s.kernel(), s.stride(), s.padding()));
    }
    List<Spec> dec = new ArrayList<>();
    int[] decFilters = {6, 6, 6, 4, 4, 4, 1};
    for (int i = 0; i < decFilters.length; i++) {
      Spec s = m.decoderDeconvs().get(i);
      dec.add(new Spec(decFilters[i], s.kernel(), s.stride(), s.padding()));
    }
    return new VcConfig(m.inputShape(), 4, 3, enc, new int[] {8, 8}, new int[] {}, new int[] {8,
        72}, new int[] {3, 3, 8}, dec, VcConfig.RELU, VcConfig.BERNOULLI, 1e-3f, 1e-8f, B, 1,
        new float[] {0.5f}, new float[] {1f}, stopGradientTarget, "rotation", false, false, false,
        11);
  }

  @Test
  void w2IsZeroForIdenticalPosteriorsAndMatchesAHandValue() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var mu = tf.constant(new float[][] {{1f, 2f}});
      var sd = tf.constant(new float[][] {{1f, 0.5f}});
      var same = DiagonalGaussian.wasserstein2(tf, mu, sd, mu, sd);
      // ‖(1,2) − (0,0)‖² + ‖(1,0.5) − (2,0.5)‖² = 5 + 1
      var hand = DiagonalGaussian.wasserstein2(tf, mu, sd, tf.constant(new float[][] {{0f,
          0f}}), tf.constant(new float[][] {{2f, 0.5f}}));
      try (var r = s.runner().fetch(same).fetch(hand).run()) {
        assertEquals(0f, ((TFloat32) r.get(0)).getFloat(0), 0f);
        assertEquals(6f, ((TFloat32) r.get(1)).getFloat(0), 1e-6f);
      }
    }
  }

  @Test
  void klOfIdenticalGaussiansIsZeroAndMatchesAHandValue() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      // posteriors [1, 1, 1] against priors [1, 1]
      var mu = tf.constant(new float[][][] {{{0f}}});
      var sd = tf.constant(new float[][][] {{{1f}}});
      var same = VariationalClustering.klPerCluster(tf, mu, sd, tf.constant(new float[][] {{0f}}),
          tf.constant(new float[][] {{1f}}));
      // KL(N(0,1) ‖ N(1,4)) = log 2 + (1 + 1)/8 − ½
      var hand = VariationalClustering.klPerCluster(tf, mu, sd, tf.constant(new float[][] {{1f}}),
          tf.constant(new float[][] {{2f}}));
      try (var r = s.runner().fetch(same).fetch(hand).run()) {
        assertEquals(0f, ((TFloat32) r.get(0)).getFloat(0, 0), 1e-7f);
        assertEquals(Math.log(2) + 0.25 - 0.5, ((TFloat32) r.get(1)).getFloat(0, 0), 1e-6);
      }
    }
  }

  @Test
  void theTablesArchitecturesGiveTheInputShapeBack() {
    assertEquals(2 * 2 * 256, VcConfig.mnist(1).featureDim());
    assertEquals(4 * 4 * 192, VcConfig.rgb32(1).featureDim());
    for (VcConfig c : List.of(VcConfig.mnist(1), VcConfig.rgb32(1))) {
      int[] s = c.inputShape();
      try (Graph g = new Graph(); Session session = new Session(g)) {
        Ops tf = Ops.create(g);
        Params p = new Params(tf, 1);
        var x = ModelConfig.imageInput(tf, c, "x");
        var inf = VariationalClustering.inference(tf, p, c, x);
        session.initialize();
        try (TFloat32 xs = TFloat32.tensorOf(Shape.of(2, s[0], s[1], s[2]));
            var r = session.runner().feed(x, xs).fetch(inf.probs()).fetch(inf.embedding())
                .fetch(inf.reconstruction()).run()) {
          assertEquals(Shape.of(2, 10), r.get(0).shape());
          assertEquals(Shape.of(2, 32), r.get(1).shape());
          assertEquals(Shape.of(2, s[0], s[1], s[2]), r.get(2).shape());
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> VcConfig.forShape(new int[] {30, 30, 1},
        1));
  }

  @Test
  void lossTermsMatchAPlainJavaComputation() {
    VcConfig c = tiny(false);
    int k = c.clusters();
    int z = c.latentDim();
    int d = 28 * 28;
    try (var m = new Built(c)) {
      Random rnd = new Random(5);
      float[] x = uniform(rnd, B * d);
      float[] xAug = uniform(rnd, B * d);
      Ops tf = m.tf;
      var qx = VariationalClustering.posterior(tf, m.p, c, m.t.x());
      var qa = VariationalClustering.posterior(tf, m.p, c, m.t.xAug());
      float[][] eye = new float[k][k];
      for (int i = 0; i < k; i++) {
        eye[i][i] = 1;
      }
      var prior = VariationalClustering.pZGivenK(tf, m.p, c, tf.constant(eye));
      var eps = tf.random.statelessRandomNormal(tf.constant(new int[] {B, k, z}),
          tf.constant(new long[] {11, 2 * 4 + 1}));
      var zIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, z)));
      var logits = VariationalClustering.pXGivenZ(tf, m.p, c, zIn).meanOrLogits();
      Map<String, float[]> v = m.run(x, xAug, 4, List.of(qx.logProbs(), qx.mean(), qx.sd(),
          qa.probs(), qa.mean(), qa.sd(), prior[0], prior[1], eps, m.t.reconstruction(),
          m.t.entropy(), m.t.gaussianKl(), m.t.augL2(), m.t.augW2(), m.t.loss()));
      float[] logq = v.get("0");
      float[] mu = v.get("1");
      float[] sd = v.get("2");
      float[] zs = new float[B * k * z];
      for (int i = 0; i < zs.length; i++) {
        zs[i] = mu[i] + sd[i] * v.get("8")[i];
      }
      float[] l = m.eval(logits, zIn, zs, Shape.of(B * k, z));
      double rec = 0;
      double ent = 0;
      double kl = 0;
      double l2 = 0;
      double w2 = 0;
      for (int b = 0; b < B; b++) {
        for (int j = 0; j < k; j++) {
          double q = Math.exp(logq[b * k + j]);
          double nll = 0;
          for (int i = 0; i < d; i++) {
            double li = l[(b * k + j) * d + i];
            nll += Math.log1p(Math.exp(-Math.abs(li))) + Math.max(li, 0) - x[b * d + i] * li;
          }
          rec += q * nll / B;
          ent -= q * logq[b * k + j] / B;
          double klj = 0;
          double w2j = 0;
          for (int t = 0; t < z; t++) {
            int at = (b * k + j) * z + t;
            double pm = v.get("6")[j * z + t];
            double ps = v.get("7")[j * z + t];
            klj += Math.log(ps) - Math.log(sd[at])
                + (sd[at] * sd[at] + (mu[at] - pm) * (mu[at] - pm)) / (2 * ps * ps) - 0.5;
            w2j += Math.pow(mu[at] - v.get("4")[at], 2) + Math.pow(sd[at] - v.get("5")[at], 2);
          }
          kl += q * klj / B;
          w2 += q * w2j / B;
          l2 += Math.pow(q - v.get("3")[b * k + j], 2) / B;
        }
      }
      double loss = 0.5 * rec - ent + kl + 1.0 * (l2 + w2);
      assertClose(rec, v.get("9")[0], "reconstruction");
      assertClose(ent, v.get("10")[0], "entropy");
      assertClose(kl, v.get("11")[0], "gaussian_kl");
      assertClose(l2, v.get("12")[0], "aug_l2");
      assertClose(w2, v.get("13")[0], "aug_w2");
      assertClose(loss, v.get("14")[0], "loss");
      assertTrue(l2 > 0 && w2 > 0, "different x and x_aug give a non-zero augmentation loss");
    }
  }

  @Test
  void lossGradientMatchesFiniteDifferencesOfTheWeights() {
    VcConfig c = tiny(false);
    try (var m = new Built(c)) {
      Random rnd = new Random(8);
      float[] x = uniform(rnd, B * 28 * 28);
      float[] xAug = uniform(rnd, B * 28 * 28);
      List<String> names = List.of("qk_logits_bias", "qz_mean_bias", "qz_sd_bias",
          "pz_mean_bias", "pz_sd_bias", "px_mean_bias", "px_deconv3_bias", "qk_conv1_bias");
      List<Operand<TFloat32>> vars = new ArrayList<>();
      names.forEach(n -> vars.add(m.p.variables().get(n)));
      var grads = m.tf.gradients(m.t.loss(), vars).dy();
      for (int i = 0; i < names.size(); i++) {
        @SuppressWarnings("unchecked")
        Operand<TFloat32> gi = (Operand<TFloat32>) grads.get(i);
        float analytic = m.run(x, xAug, 3, List.of(gi)).get("0")[0];
        // Float32 losses of ~500 and ReLU kinks: a step of 1e-2 balances rounding and curvature.
        double h = 1e-2;
        double plus = m.lossWithEntry0(names.get(i), h, x, xAug);
        double minus = m.lossWithEntry0(names.get(i), -h, x, xAug);
        double base = m.lossWithEntry0(names.get(i), 0, x, xAug);
        // Where the step crosses ReLU kinks the loss is piecewise smooth: the gradient lies
        // between the one-sided quotients (left and right derivative); elsewhere they agree.
        double left = (base - minus) / h;
        double right = (plus - base) / h;
        // Rounding of a ~500 float32 loss: about 6e-3 absolute in a one-sided quotient.
        double tol = 1e-2 + 3e-2 * Math.max(Math.abs(left), Math.abs(right));
        assertTrue(analytic >= Math.min(left, right) - tol && analytic <= Math.max(left, right)
            + tol, names.get(i) + ": " + analytic + " outside [" + left + ", " + right + "]");
      }
    }
  }

  @Test
  void stopGradientTargetLetsOnlyTheAugmentedBranchLearnFromW2() {
    for (boolean stop : new boolean[] {false, true}) {
      try (var m = new Built(tiny(stop))) {
        var g = m.tf.gradients(m.t.augW2(), List.of(m.t.x(), m.t.xAug())).dy();
        Random rnd = new Random(2);
        float[] x = uniform(rnd, B * 28 * 28);
        float[] xAug = uniform(rnd, B * 28 * 28);
        @SuppressWarnings("unchecked")
        Operand<TFloat32> gAug = (Operand<TFloat32>) g.get(1);
        assertTrue(maxAbs(m.run(x, xAug, 1, List.of(gAug)).get("0")) > 0);
        boolean cleanHasPath;
        try {
          g.get(0).dataType();
          cleanHasPath = true;
        } catch (IllegalStateException | NullPointerException e) {
          cleanHasPath = false;
        }
        if (stop) {
          assertTrue(!cleanHasPath, "no gradient reaches x through the stopped target");
        } else {
          @SuppressWarnings("unchecked")
          Operand<TFloat32> gx = (Operand<TFloat32>) g.get(0);
          assertTrue(maxAbs(m.run(x, xAug, 1, List.of(gx)).get("0")) > 0);
        }
      }
    }
  }

  /** A tiny config's training branch in its own session. */
  static final class Built implements AutoCloseable {
    final Graph g = new Graph();
    final Ops tf = Ops.create(g);
    final Params p;
    final VcConfig c;
    final VariationalClustering.Training t;
    final Session s;

    Built(VcConfig c) {
      this.c = c;
      p = new Params(tf, c.seed());
      t = VariationalClustering.training(tf, p, c, ModelConfig.imageInput(tf, c, "x"));
      s = new Session(g);
    }

    Map<String, float[]> run(float[] x, float[] xAug, long step, List<Operand<TFloat32>> fetch) {
      initialise();
      List<Tensor> open = new ArrayList<>();
      try {
        var r = s.runner().feed(t.x(), track(open, images(x)))
            .feed(t.xAug(), track(open, images(xAug)))
            .feed(t.noiseSeed(), track(open, TInt64.vectorOf(c.seed(), step)))
            .feed(t.reconsScale(), track(open, TFloat32.scalarOf(0.5f)))
            .feed(t.augWeight(), track(open, TFloat32.scalarOf(1f)));
        fetch.forEach(r::fetch);
        try (var result = r.run()) {
          Map<String, float[]> out = new java.util.HashMap<>();
          for (int i = 0; i < fetch.size(); i++) {
            out.put(String.valueOf(i), floats((TFloat32) result.get(i)));
          }
          return out;
        }
      } finally {
        open.forEach(Tensor::close);
      }
    }

    float[] eval(Operand<TFloat32> out, Placeholder<TFloat32> in, float[] values, Shape shape) {
      try (TFloat32 v = TFloat32.tensorOf(shape, DataBuffers.of(values, true, false));
          var r = s.runner().feed(in, v).fetch(out).run()) {
        return floats((TFloat32) r.get(0));
      }
    }

    /** The loss at noise step 3 with entry 0 of variable {@code name} moved by h. */
    double lossWithEntry0(String name, double h, float[] x, float[] xAug) {
      initialise();
      var var = p.variables().get(name);
      float[] values;
      try (var r = s.runner().fetch(var).run()) {
        values = floats((TFloat32) r.get(0));
      }
      float keep = values[0];
      values[0] = (float) (keep + h);
      try (TFloat32 moved = TFloat32.tensorOf(var.shape(), DataBuffers.of(values, true, false))) {
        p.assignSome(s, Map.of(name, moved));
      }
      double loss = run(x, xAug, 3, List.of(t.loss())).get("0")[0];
      values[0] = keep;
      try (TFloat32 back = TFloat32.tensorOf(var.shape(), DataBuffers.of(values, true, false))) {
        p.assignSome(s, Map.of(name, back));
      }
      return loss;
    }

    private boolean initialised;

    private void initialise() {
      if (!initialised) {
        s.initialize();
        initialised = true;
      }
    }

    private TFloat32 images(float[] pixels) {
      return TFloat32.tensorOf(Shape.of(pixels.length / (28 * 28), 28, 28, 1),
          DataBuffers.of(pixels, true, false));
    }

    private static <T extends Tensor> T track(List<Tensor> open, T t) {
      open.add(t);
      return t;
    }

    @Override
    public void close() {
      s.close();
      g.close();
    }
  }

  static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  private static float[] uniform(Random rnd, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = rnd.nextFloat();
    }
    return out;
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }

  private static void assertClose(double want, float got, String what) {
    assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)), what);
  }
}
