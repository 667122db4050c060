package io.deepclust.training.crosscheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The per-step gate's rounding allowance against TensorFlow's own ApplyAdam kernel (the one both
 * sides run), and the gate's verdicts on steps that differ by their gradients, by rounding, and by
 * an optimizer constant.
 */
class AdamBoundTest {
  static final float LR = 1e-3f;
  static final float BETA1 = 0.9f;
  static final float BETA2 = 0.999f;
  static final float EPS = 1e-4f;

  /** One ApplyAdam step of TensorFlow's float32 kernel: {w', m', v'}. */
  static float[][] tfAdam(float[] w, float[] m, float[] v, float[] g, long t, float beta2) {
    try (Graph graph = new Graph(); Session s = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Shape shape = Shape.of(w.length);
      Variable<TFloat32> vw = tf.variable(tf.constant(shape, DataBuffers.of(w, true, false)));
      Variable<TFloat32> vm = tf.variable(tf.constant(shape, DataBuffers.of(m, true, false)));
      Variable<TFloat32> vv = tf.variable(tf.constant(shape, DataBuffers.of(v, true, false)));
      var step = tf.train.applyAdam(vw, vm, vv,
          tf.constant((float) Math.pow(BETA1, t)), tf.constant((float) Math.pow(beta2, t)),
          tf.constant(LR), tf.constant(BETA1), tf.constant(beta2), tf.constant(EPS),
          tf.constant(shape, DataBuffers.of(g, true, false)));
      s.initialize();
      s.runner().addTarget(step).run();
      try (Result r = s.runner().fetch(vw).fetch(vm).fetch(vv).run()) {
        float[][] out = new float[3][w.length];
        for (int i = 0; i < 3; i++) {
          ((TFloat32) r.get(i)).asRawTensor().data().asFloats().read(out[i]);
        }
        return out;
      }
    }
  }

  /**
   * A state with the hard cases: moments from earlier steps, zero moments (step 1), gradients
   * near zero and near ε/√(1 − β₂), m' that cancels (g against m), weights from 0 to O(1).
   */
  static float[][] state(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w = new float[n];
    float[] m = new float[n];
    float[] v = new float[n];
    float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      double gScale = Math.pow(10, -8 + 9 * r.nextDouble());
      g[i] = (float) ((r.nextBoolean() ? 1 : -1) * gScale);
      w[i] = i % 7 == 0 ? 0f : (float) (r.nextGaussian() * Math.pow(10, -3 + 3 * r.nextDouble()));
      switch (i % 4) {
        case 0 -> {
          m[i] = 0f;
          v[i] = 0f;
        }
        case 1 -> {
          // m' = 0.9 m + 0.1 g cancels to a few ulps of |m|.
          m[i] = -g[i] / 9f;
          v[i] = (float) (1e-3 * g[i] * g[i] * (1 + r.nextDouble()));
        }
        default -> {
          double prev = Math.pow(10, -8 + 9 * r.nextDouble());
          m[i] = (float) (0.1 * prev * (r.nextBoolean() ? 1 : -1));
          v[i] = (float) (1e-3 * prev * prev);
        }
      }
    }
    return new float[][] {w, m, v, g};
  }

  @Test
  void tensorFlowsKernelIsWithinHalfTheRoundingAllowanceOfTheExactUpdate() {
    int n = 20_000;
    double worst = 0;
    for (long t : new long[] {1, 2, 17}) {
      float[][] st = state(n, 42 + t);
      float[] w = st[0];
      float[] m = st[1];
      float[] v = st[2];
      float[] g = st[3];
      float[][] out = tfAdam(w, m, v, g, t, BETA2);
      double b1 = BETA1;
      double b2 = BETA2;
      // The kernel's inputs: the powers rounded to float32, as tfAdam feeds them.
      double alpha = LR * Math.sqrt(1 - (double) (float) Math.pow(BETA2, t))
          / (1 - (double) (float) Math.pow(BETA1, t));
      for (int i = 0; i < n; i++) {
        // The exact update, computed here in double from the float32 inputs.
        double m1 = b1 * m[i] + (1 - b1) * g[i];
        double v1 = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
        double u = alpha * m1 / (Math.sqrt(v1) + EPS);
        double sw = Math.abs(w[i]) + Math.abs(u)
            + alpha * (Math.abs(m[i]) + Math.abs(g[i])) / (Math.sqrt(v1) + EPS);
        double sm = Math.abs(m[i]) + Math.abs(g[i]);
        double sv = Math.abs(v[i]) + (1 - b2) * (double) g[i] * g[i];
        double half = AdamBound.ROUNDING / 2;
        worst = Math.max(worst, Math.abs(out[0][i] - (w[i] - u)) / (half * sw));
        worst = Math.max(worst, Math.abs(out[1][i] - m1) / (half * sm));
        worst = Math.max(worst, Math.abs(out[2][i] - v1) / (half * sv));
      }
    }
    System.out.printf("ApplyAdam's float32 rounding used %.3f of half the allowance%n", worst);
    assertTrue(worst <= 1, "kernel rounding " + worst + " of ρ/2·s");
  }

  static AdamBound.Outcome measure(float[][] st, float[] gJava, float[] gPython, long t,
      float javaBeta2) {
    float[][] java = tfAdam(st[0], st[1], st[2], gJava, t, javaBeta2);
    float[][] python = tfAdam(st[0], st[1], st[2], gPython, t, BETA2);
    return AdamBound.measure(new AdamBound.Step(LR, BETA1, BETA2, EPS, t), st[0], st[1], st[2],
        gJava, gPython, java[0], java[1], java[2], python[0], python[1], python[2]);
  }

  static double worstOfGate(AdamBound.Outcome o) {
    return Math.max(o.weight().ofGate(), Math.max(o.m().ofGate(), o.v().ofGate()));
  }

  @Test
  void theSameGradientGivesTheSameStateAndUsesNoneOfTheGate() {
    float[][] st = state(5_000, 7);
    AdamBound.Outcome o = measure(st, st[3], st[3], 3, BETA2);
    assertEquals(0.0, o.weight().maxAbs());
    assertEquals(0.0, worstOfGate(o));
  }

  @Test
  void gradientsThatDifferByRoundingPassAndTheirDifferenceIsCarriedThroughTheUpdate() {
    float[][] st = state(5_000, 8);
    float[] g = st[3];
    double scale = 0;
    for (float x : g) {
      scale = Math.max(scale, Math.abs(x));
    }
    SplittableRandom r = new SplittableRandom(9);
    float[] noisy = new float[g.length];
    for (int i = 0; i < g.length; i++) {
      noisy[i] = (float) (g[i] + 1e-6 * scale * (2 * r.nextDouble() - 1));
    }
    for (long t : new long[] {1, 5}) {
      AdamBound.Outcome o = measure(st, noisy, g, t, BETA2);
      // Far more than rounding apart (a step is ~1e-3 here), and the gate explains it by the
      // gradients, which leaves it with rounding.
      assertTrue(o.weight().maxAbs() > 1e-6, "the weights differ: " + o);
      assertTrue(worstOfGate(o) <= 1, "within the gate: " + o);
    }
  }

  @Test
  void subnormalGradientsThatTheKernelFlushesPass() {
    // Step 1 from zero moments with gradients near 1e-38 that differ by 20 %: m' = 0.1 g is
    // subnormal, and TensorFlow's kernel flushes it (and v' = 1e-3 g², which underflows) to 0.
    int n = 1_000;
    SplittableRandom r = new SplittableRandom(12);
    float[] w = new float[n];
    float[] zero = new float[n];
    float[] gJava = new float[n];
    float[] gPython = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) r.nextGaussian();
      gPython[i] = (float) ((r.nextBoolean() ? 1 : -1) * (1 + 9 * r.nextDouble()) * 1e-38);
      gJava[i] = 1.2f * gPython[i];
    }
    float[][] st = {w, zero, zero, gPython};
    float[][] java = tfAdam(w, zero, zero, gJava, 1, BETA2);
    int flushed = 0;
    for (int i = 0; i < n; i++) {
      if (Math.abs(0.1 * gJava[i]) < Float.MIN_NORMAL) {
        assertEquals(0f, java[1][i], "this kernel flushes a subnormal m' = 0.1 g to zero");
        flushed++;
      }
    }
    assertTrue(flushed > n / 2, "most m' are subnormal here: " + flushed);
    AdamBound.Outcome o = measure(st, gJava, gPython, 1, BETA2);
    assertTrue(worstOfGate(o) <= 1, "within the gate: " + o);
    // The flushed moments do differ from the exact update (0.1 of the gradients' difference),
    // so it is the floor, not an exact match, that passes them; against the relative allowance
    // alone, ρ·|g|, that residual is ~2e4.
    assertTrue(o.m().ofGate() > 0, "the flushed m' leaves a residual: " + o.m());
  }

  @Test
  void anotherBeta2FailsTheGate() {
    float[][] st = state(5_000, 10);
    for (long t : new long[] {1, 5}) {
      AdamBound.Outcome o = measure(st, st[3], st[3], t, 0.99f);
      assertTrue(worstOfGate(o) > 100, "β₂ = 0.99 at step " + t + ": " + o);
    }
  }

  @Test
  void aStepThatIsNotTakenFailsTheGate() {
    float[][] st = state(1_000, 11);
    float[][] python = tfAdam(st[0], st[1], st[2], st[3], 2, BETA2);
    AdamBound.Outcome o = AdamBound.measure(new AdamBound.Step(LR, BETA1, BETA2, EPS, 2), st[0],
        st[1], st[2], st[3], st[3], st[0], st[1], st[2], python[0], python[1], python[2]);
    assertTrue(worstOfGate(o) > 1e3, "Java left its state unchanged: " + o);
  }
}
