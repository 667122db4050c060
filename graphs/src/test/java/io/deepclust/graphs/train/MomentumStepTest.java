package io.deepclust.graphs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** SGD with heavy-ball momentum against its recursion written out by hand, in doubles. */
class MomentumStepTest {
  /** loss = Σ_i a_i·w_i² + b_i·w_i, so g_i = 2·a_i·w_i + b_i. */
  static final double[] A = {0.5, 1.5, 0.25};
  static final double[] B = {-1.0, 0.5, 2.0};
  static final float[] W0 = {1.0f, -2.0f, 0.5f};
  static final float MU = 0.9f;

  static float[] read(Session s, Operand<TFloat32> v) {
    try (var r = s.runner().fetch(v).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size()];
      t.asRawTensor().data().asFloats().read(out);
      return out;
    }
  }

  static void step(Session s, MomentumStep step, float lr) {
    try (TFloat32 l = TFloat32.scalarOf(lr)) {
      s.runner().feed(step.learningRate, l).addTarget(step.step).run();
    }
  }

  static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      double tol = 1e-6 * Math.max(1, Math.abs(expected[i]));
      assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
    }
  }

  /** The quadratic graph: variable w, its loss, and a momentum step named "sgd" on it. */
  static MomentumStep quadratic(Ops tf, Variable<TFloat32> w, float momentum) {
    var a = tf.constant(new float[] {(float) A[0], (float) A[1], (float) A[2]});
    var b = tf.constant(new float[] {(float) B[0], (float) B[1], (float) B[2]});
    // w·w, not square(w): TF's Square gradient crashes (SIGSEGV) on a ref variable's output.
    var perDim = tf.math.add(tf.math.mul(a, tf.math.mul(w, w)), tf.math.mul(b, w));
    Operand<TFloat32> loss = tf.reduceSum(perDim, tf.constant(0));
    return new MomentumStep(tf, "sgd", loss, List.of(w), List.of("w"), momentum);
  }

  @Test
  void stepsFollowTheHeavyBallRecursionThroughALearningRateChange() {
    float[] rates = {0.1f, 0.1f, 0.05f};
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(W0));
      MomentumStep step = quadratic(tf, w, MU);
      var slot = step.slots.variables().get("w_sgd_momentum");
      s.initialize();
      double[] wd = {W0[0], W0[1], W0[2]};
      double[] acc = new double[3];
      for (float lr : rates) {
        step(s, step, lr);
        for (int i = 0; i < 3; i++) {
          double grad = 2 * A[i] * wd[i] + B[i];
          acc[i] = (double) MU * acc[i] + grad;
          wd[i] -= (double) lr * acc[i];
        }
        assertClose(acc, read(s, slot), "accumulator after lr " + lr);
        assertClose(wd, read(s, w), "w after lr " + lr);
      }
    }
  }

  @Test
  void atAConstantLearningRateItIsKerasSgdWithMomentum() {
    float lr = 0.2f;
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(W0));
      MomentumStep step = quadratic(tf, w, MU);
      var slot = step.slots.variables().get("w_sgd_momentum");
      s.initialize();
      // Keras: v ← μ·v − η·g, w ← w + v; its velocity is −η times the accumulator.
      double[] wd = {W0[0], W0[1], W0[2]};
      double[] velocity = new double[3];
      for (int t = 1; t <= 3; t++) {
        step(s, step, lr);
        double[] minusAccTimesLr = new double[3];
        for (int i = 0; i < 3; i++) {
          double grad = 2 * A[i] * wd[i] + B[i];
          velocity[i] = (double) MU * velocity[i] - (double) lr * grad;
          wd[i] += velocity[i];
          minusAccTimesLr[i] = -velocity[i] / lr;
        }
        assertClose(wd, read(s, w), "w at step " + t);
        assertClose(minusAccTimesLr, read(s, slot), "accumulator = −v/η at step " + t);
      }
    }
  }

  @Test
  void everyGradientIsTakenBeforeAnyVariableChanges() {
    // Σ_p u_p·v_p + u_p²/2: g_u = v + u, g_v = u, each read from the other's old value. Eight
    // pairs, because one pair updated without the ordering still came out right in 49 of 50
    // runs, and eight never did (measured by hand with ApplyMomentum and no control edges).
    int pairs = 8;
    float[] u0 = {1.0f, -0.5f};
    float[] v0 = {2.0f, 3.0f};
    float lr = 0.5f;
    float mu = 0.5f;
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Variable<TFloat32>> vars = new ArrayList<>();
      List<String> names = new ArrayList<>();
      Operand<TFloat32> loss = tf.constant(0f);
      for (int p = 0; p < pairs; p++) {
        Variable<TFloat32> u = tf.withName("u" + p).variable(tf.constant(u0));
        Variable<TFloat32> v = tf.withName("v" + p).variable(tf.constant(v0));
        vars.addAll(List.of(u, v));
        names.addAll(List.of("u" + p, "v" + p));
        var perDim = tf.math.add(tf.math.mul(u, v),
            tf.math.mul(tf.constant(0.5f), tf.math.mul(u, u)));
        loss = tf.math.add(loss, tf.reduceSum(perDim, tf.constant(0)));
      }
      var step = new MomentumStep(tf, "sgd", loss, vars, names, mu);
      s.initialize();
      double[] ud = {u0[0], u0[1]};
      double[] vd = {v0[0], v0[1]};
      double[] au = new double[2];
      double[] av = new double[2];
      for (int t = 1; t <= 3; t++) {
        step(s, step, lr);
        for (int i = 0; i < 2; i++) {
          double gu = vd[i] + ud[i];
          double gv = ud[i];
          au[i] = mu * au[i] + gu;
          av[i] = mu * av[i] + gv;
          ud[i] -= lr * au[i];
          vd[i] -= lr * av[i];
        }
        for (int p = 0; p < pairs; p++) {
          String at = " of pair " + p + " at step " + t;
          assertClose(ud, read(s, vars.get(2 * p)), "u" + at);
          assertClose(vd, read(s, vars.get(2 * p + 1)), "v" + at);
          var slots = step.slots.variables();
          assertClose(au, read(s, slots.get("u" + p + "_sgd_momentum")), "a_u" + at);
          assertClose(av, read(s, slots.get("v" + p + "_sgd_momentum")), "a_v" + at);
        }
      }
    }
  }

  @Test
  void theSlotsAreNamedAfterTheVariablesAndTheStep() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(W0));
      MomentumStep step = quadratic(tf, w, 0f);
      assertEquals(List.of("w_sgd_momentum"), List.copyOf(step.slots.variables().keySet()));
      assertEquals(List.of(), step.slots.trainableNames(), "accumulators are not trained");
      assertEquals(1, step.gradients.size());
    }
  }

  @Test
  void aMomentumOutsideZeroToOneIsRefused() {
    for (float bad : new float[] {-0.1f, 1f, 1.5f, Float.NaN}) {
      try (Graph g = new Graph()) {
        Ops tf = Ops.create(g);
        Variable<TFloat32> w = tf.withName("w").variable(tf.constant(W0));
        var e = assertThrows(IllegalArgumentException.class, () -> quadratic(tf, w, bad),
            "momentum " + bad);
        assertEquals("momentum must be in [0, 1), got " + bad, e.getMessage());
      }
    }
  }
}
