package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
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
import org.tensorflow.types.TUint8;

/** VAB's terms against plain-Java computations (Eq. 10-11), straight-through, finite differences. */
class VabTest {
  static final int B = 4;
  static final int D = 16;
  static final float TAU = 0.7f;

  static VabConfig tiny(boolean straightThrough) {
    return new VabConfig(new int[] {4, 4, 1}, 3, 5, new int[] {8}, new int[] {8},
        VabConfig.BERNOULLI, 1f, 0.5f, 100, straightThrough, false, 1e-3f, 0.9f, 10, 2e-4f, 1e-8f,
        0, B, 1, 21);
  }

  /** A tiny training branch in its own session, pc_logits set non-uniform. */
  static final class Built implements AutoCloseable {
    final Graph g = new Graph();
    final Ops tf = Ops.create(g);
    final Params p;
    final VabConfig c;
    final Vab.Training t;
    final Session s;
    final List<Tensor> open = new ArrayList<>();

    Built(VabConfig c) {
      this.c = c;
      p = new Params(tf, c.seed());
      t = Vab.training(tf, p, c, ModelConfig.imageInput(tf, c, "x"));
      s = new Session(g);
      s.initialize();
      if (!c.uniformPrior()) {
        try (TFloat32 pc = TFloat32.vectorOf(0.3f, -0.2f, 0.5f)) {
          p.assignSome(s, Map.of("pc_logits", pc));
        }
      }
    }

    float[][] run(float[] x, long step, List<Operand<?>> fetch) {
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(B, 4, 4, 1), DataBuffers.of(x, true, false));
          TInt64 seed = TInt64.vectorOf(c.seed(), step);
          TFloat32 tau = TFloat32.scalarOf(TAU)) {
        var r = s.runner().feed(t.x(), xs).feed(t.noiseSeed(), seed).feed(t.temperature(), tau);
        fetch.forEach(r::fetch);
        try (var result = r.run()) {
          float[][] out = new float[fetch.size()][];
          for (int i = 0; i < fetch.size(); i++) {
            out[i] = floats(result.get(i));
          }
          return out;
        }
      }
    }

    float[] eval(Operand<?> out, Placeholder<TFloat32> in, float[] v, Shape shape) {
      try (TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(v, true, false));
          var r = s.runner().feed(in, t).fetch(out).run()) {
        return floats(r.get(0));
      }
    }

    @Override
    public void close() {
      s.close();
      g.close();
    }
  }

  @Test
  void learningRateWarmsUpLinearlyOverTheFirstStepsThenFollowsTheEpochSchedule() {
    VabConfig c = VabConfig.mnist(1);
    assertEquals(600, c.warmupSteps());
    assertEquals(1e-3f / 600, c.learningRate(0, 1), 1e-12f);
    assertEquals(1e-3f / 2, c.learningRate(0, 300), 1e-10f);
    assertEquals(1e-3f, c.learningRate(0, 600), 0f);
    assertEquals(1e-3f, c.learningRate(0, 601), 0f);
    // Epoch 10's rate (1e-3 · 0.9) once warm; no warm-up: the epoch's rate from step 1.
    assertEquals(9e-4f, c.learningRate(10, 6000), 1e-10f);
    VabConfig none = tiny(false);
    assertEquals(0, none.warmupSteps());
    assertEquals(none.learningRate(0), none.learningRate(0, 1), 0f);
  }

  @Test
  void uniformPriorLossIsTheReconstructionPlusTheClosedFormKlToOneHalf() {
    VabConfig c = tiny(false).withUniformPrior(true);
    int d = c.bits();
    Random rnd = new Random(6);
    float[] x = new float[B * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat();
    }
    float[][] mixture;
    try (var m = new Built(tiny(false))) {
      mixture = m.run(x, 2, List.of(m.t.reconstruction()));
    }
    try (var m = new Built(c)) {
      var v = m.run(x, 2, List.of(m.t.logits(), m.t.reconstruction(), m.t.loss(), m.t.logPz(),
          m.t.logPc(), m.t.entropyC()));
      double kl = 0;
      for (float l : v[0]) {
        double mu = 1 / (1 + Math.exp(-l));
        kl += mu * Math.log(2 * mu) + (1 - mu) * Math.log(2 * (1 - mu));
      }
      kl /= B;
      assertEquals(mixture[0][0], v[1][0], 0f, "the same reconstruction as the joint model's");
      assertEquals(v[1][0] + kl, v[2][0], 1e-5 * Math.abs(v[2][0]), "loss");
      assertEquals(-d * Math.log(2), v[3][0], 1e-5, "log_p_z");
      assertEquals(0f, v[4][0], 0f);
      assertEquals(0f, v[5][0], 0f);
      assertFalse(m.p.variables().containsKey("pz_logits"), "the mixture is not in the loss");
    }
  }

  @Test
  void elboTermsMatchAPlainJavaComputationOfEq10And11() {
    VabConfig c = tiny(false);
    int d = c.bits();
    int k = c.clusters();
    try (var m = new Built(c)) {
      Random rnd = new Random(4);
      float[] x = new float[B * D];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextFloat() < 0.4 ? 1f : 0f;
      }
      var tf = m.tf;
      var u = tf.random.statelessRandomUniform(tf.constant(new int[] {B, d, 2}),
          tf.constant(new long[] {21, 2 * 3}));
      var yIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, d)));
      var decoderLogits = Vab.pXGivenZ(tf, m.p, c, yIn)[0];
      var v = m.run(x, 3, List.of(m.t.logits(), u, m.p.variables().get("pz_logits"),
          m.p.variables().get("pc_logits"), m.t.reconstruction(), m.t.logPz(), m.t.logPc(),
          m.t.logQz(), m.t.entropyC(), m.t.loss()));
      float[] l = v[0];
      float[] uu = v[1];
      float[] pz = v[2];
      float[] pc = v[3];
      float[] y = new float[B * d];
      for (int i = 0; i < y.length; i++) {
        double g1 = -Math.log(-Math.log(uu[2 * i] + 1e-20) + 1e-20);
        double g0 = -Math.log(-Math.log(uu[2 * i + 1] + 1e-20) + 1e-20);
        // the two-class softmax over (log μ + g1, log(1 − μ) + g0) / τ, component "1"
        double mu = 1 / (1 + Math.exp(-l[i]));
        double a = (Math.log(mu) + g1) / TAU;
        double b = (Math.log(1 - mu) + g0) / TAU;
        y[i] = (float) (1 / (1 + Math.exp(b - a)));
      }
      float[] px = m.eval(decoderLogits, yIn, y, Shape.of(B, d));
      double logZ = Math.log(Math.exp(pc[0]) + Math.exp(pc[1]) + Math.exp(pc[2]));
      double rec = 0;
      double logPz = 0;
      double logPc = 0;
      double logQz = 0;
      double ent = 0;
      for (int n = 0; n < B; n++) {
        for (int i = 0; i < D; i++) {
          double li = px[n * D + i];
          rec += (Math.log1p(Math.exp(-Math.abs(li))) + Math.max(li, 0) - x[n * D + i] * li) / B;
        }
        double[] joint = new double[k];
        double[] logPyc = new double[k];
        double norm = 0;
        for (int cc = 0; cc < k; cc++) {
          double lp = 0;
          for (int j = 0; j < d; j++) {
            double mu = 1 / (1 + Math.exp(-pz[cc * d + j]));
            lp += y[n * d + j] * Math.log(mu) + (1 - y[n * d + j]) * Math.log(1 - mu);
          }
          logPyc[cc] = lp;
          // Eq. 11 directly, without log space: π_c p(y|c) / Σ
          joint[cc] = Math.exp(pc[cc] - logZ) * Math.exp(lp);
          norm += joint[cc];
        }
        for (int cc = 0; cc < k; cc++) {
          double q = joint[cc] / norm;
          logPz += q * logPyc[cc] / B;
          logPc += q * (pc[cc] - logZ) / B;
          ent -= q * Math.log(q) / B;
        }
        for (int j = 0; j < d; j++) {
          double mu = 1 / (1 + Math.exp(-l[n * d + j]));
          logQz += (y[n * d + j] * Math.log(mu) + (1 - y[n * d + j]) * Math.log(1 - mu)) / B;
        }
      }
      assertClose(rec, v[4][0], "reconstruction");
      assertClose(logPz, v[5][0], "log_p_z");
      assertClose(logPc, v[6][0], "log_p_c");
      assertClose(logQz, v[7][0], "log_q_z");
      assertClose(ent, v[8][0], "entropy_c");
      assertClose(rec - logPz - logPc + logQz - ent, v[9][0], "loss");
    }
  }

  @Test
  void classifyBitsIsEq11AndImagesClassifyAsTheirCompressedBits() {
    VabConfig c = tiny(false);
    try (var m = new Built(c)) {
      var tf = m.tf;
      var x = m.t.x();
      var bits = Vab.compress(tf, m.p, c, x);
      var bitsIn = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, c.bits())));
      var classified = Vab.classifyBits(tf, m.p, c, bitsIn);
      var inf = Vab.inference(tf, m.p, c, x);
      Random rnd = new Random(9);
      float[] xs = new float[B * D];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = rnd.nextFloat();
      }
      var v = m.run(xs, 1, List.of(bits, m.t.logits(), inf.probs(), inf.cluster()));
      for (int i = 0; i < v[0].length; i++) {
        assertEquals(v[1][i] > 0 ? 1f : 0f, v[0][i], "bit " + i + " is [l > 0]");
      }
      byte[] raw = new byte[v[0].length];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) v[0][i];
      }
      try (TUint8 b = TUint8.tensorOf(Shape.of(B, c.bits()), DataBuffers.of(raw, true, false));
          var r = m.s.runner().feed(bitsIn, b).fetch(classified[0]).fetch(classified[1]).run()) {
        assertArrayEquals(v[2], floats(r.get(0)), 1e-6f);
        assertArrayEquals(v[3], floats(r.get(1)), 0f);
      }
    }
  }

  @Test
  void straightThroughForwardsHardBitsAndKeepsTheSoftGradient() {
    Random rnd = new Random(2);
    float[] x = new float[B * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat();
    }
    float[][] soft;
    float[][] hard;
    try (var m = new Built(tiny(false))) {
      soft = m.run(x, 2, List.of(m.t.code(), codeGradient(m)));
    }
    try (var m = new Built(tiny(true))) {
      hard = m.run(x, 2, List.of(m.t.code(), codeGradient(m)));
    }
    for (int i = 0; i < soft[0].length; i++) {
      assertTrue(soft[0][i] > 0 && soft[0][i] < 1, "relaxed code in (0, 1)");
      assertEquals(Math.round(soft[0][i]), hard[0][i], 0f, "straight-through: round(y)");
    }
    // Same weights and noise: d(Σ_i w_i y_i)/dl is the soft one in both modes.
    assertArrayEquals(soft[1], hard[1], 1e-6f);
    assertTrue(maxAbs(soft[1]) > 0);
  }

  private static Operand<TFloat32> codeGradient(Built m) {
    var w = m.tf.constant(new float[] {0.3f, -1f, 0.7f, 2f, -0.4f});
    var weighted = m.tf.reduceSum(m.tf.math.mul(m.t.code(), w), m.tf.constant(new int[] {0, 1}));
    @SuppressWarnings("unchecked")
    var g = (Operand<TFloat32>) m.tf.gradients(weighted, List.of(m.t.logits())).dy().get(0);
    return g;
  }

  @Test
  void lossGradientMatchesFiniteDifferences() {
    VabConfig c = tiny(false);
    try (var m = new Built(c)) {
      Random rnd = new Random(6);
      float[] x = new float[B * D];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextFloat() < 0.5 ? 1f : 0f;
      }
      List<String> names = List.of("qz_logits_bias", "px_logits_bias", "pc_logits", "pz_logits",
          "qz_1_kernel");
      for (String name : names) {
        var var = m.p.variables().get(name);
        var grad = m.tf.gradients(m.t.loss(), List.of(var)).dy().get(0);
        float analytic = m.run(x, 5, List.of(grad))[0][0];
        double h = 1e-2;
        double numeric = (lossWith(m, name, h, x) - lossWith(m, name, -h, x)) / (2 * h);
        assertEquals(numeric, analytic, 2e-3 + 2e-2 * Math.abs(numeric), name);
      }
    }
  }

  private static double lossWith(Built m, String name, double h, float[] x) {
    var var = m.p.variables().get(name);
    float[] values;
    try (var r = m.s.runner().fetch(var).run()) {
      values = floats(r.get(0));
    }
    float keep = values[0];
    values[0] = (float) (keep + h);
    try (TFloat32 moved = TFloat32.tensorOf(var.shape(), DataBuffers.of(values, true, false))) {
      m.p.assignSome(m.s, Map.of(name, moved));
    }
    double loss = m.run(x, 5, List.of(m.t.loss()))[0][0];
    values[0] = keep;
    try (TFloat32 back = TFloat32.tensorOf(var.shape(), DataBuffers.of(values, true, false))) {
      m.p.assignSome(m.s, Map.of(name, back));
    }
    return loss;
  }

  static float[] floats(Tensor t) {
    if (t instanceof TInt64 l) {
      float[] out = new float[(int) l.shape().size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = l.getLong(i);
      }
      return out;
    }
    if (t instanceof TUint8 b) {
      float[] out = new float[(int) b.shape().size()];
      byte[] raw = new byte[out.length];
      b.asRawTensor().data().read(raw);
      for (int i = 0; i < out.length; i++) {
        out[i] = raw[i];
      }
      return out;
    }
    float[] out = new float[(int) t.shape().size()];
    ((TFloat32) t).asRawTensor().data().asFloats().read(out);
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
    assertEquals(want, got, 2e-5 * Math.max(1, Math.abs(want)), what);
  }
}
