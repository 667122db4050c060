package io.deepclust.graphs.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The Gumbel-max property behind the relaxation: with u from the seeded stateless generator, the
 * index of the largest Gumbel-softmax component is distributed as softmax(logits), at any
 * temperature.
 */
class GumbelSoftmaxStatisticsTest {
  static final int DRAWS = 200_000;

  @Test
  void argmaxFrequenciesMatchSoftmaxOfLogits() {
    float[] logits = {1.5f, 0.2f, -1.0f, 0.7f, -0.3f};
    int k = logits.length;
    double[] expected = softmax(logits);
    long[] counts = new long[k];
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var tiled = tf.tile(tf.constant(new float[][] {logits}), tf.constant(new int[] {DRAWS, 1}));
      var u = tf.random.statelessRandomUniform(tf.constant(new int[] {DRAWS, k}),
          tf.constant(new long[] {42, 7}));
      var y = GumbelSoftmax.sample(tf, tiled, tf.constant(0.5f), u);
      var argmax = tf.math.argMax(y, tf.constant(1));
      try (var r = s.runner().fetch(argmax).run()) {
        long[] idx = new long[DRAWS];
        ((TInt64) r.get(0)).asRawTensor().data().asLongs().read(idx);
        for (long i : idx) {
          counts[(int) i]++;
        }
      }
    }
    for (int j = 0; j < k; j++) {
      double p = expected[j];
      double freq = counts[j] / (double) DRAWS;
      // Four binomial standard errors: a false alarm about once in 16,000 runs per class.
      double tolerance = 4 * Math.sqrt(p * (1 - p) / DRAWS);
      assertEquals(p, freq, tolerance, "class " + j);
    }
  }

  @Test
  void aBinarySampleIsOneAsOftenAsSigmoidOfItsLogitAndIsTheClosedForm() {
    float[] logits = {2.0f, -0.5f, 0.0f, 1.2f};
    int d = logits.length;
    float tau = 0.7f;
    long[] ones = new long[d];
    float[] y = new float[DRAWS * d];
    float[] u = new float[DRAWS * d * 2];
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var tiled = tf.tile(tf.constant(new float[][] {logits}), tf.constant(new int[] {DRAWS, 1}));
      var uniform = tf.random.statelessRandomUniform(tf.constant(new int[] {DRAWS, d, 2}),
          tf.constant(new long[] {5, 9}));
      var sample = GumbelSoftmax.binarySample(tf, tiled, tf.constant(tau), uniform);
      try (var r = s.runner().fetch(sample).fetch(uniform).run()) {
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(y);
        ((TFloat32) r.get(1)).asRawTensor().data().asFloats().read(u);
      }
    }
    for (int i = 0; i < DRAWS; i++) {
      for (int j = 0; j < d; j++) {
        int at = i * d + j;
        if (y[at] > 0.5f) {
          ones[j]++;
        }
        if (i < 1000) {  // the closed form sigmoid((l + g1 - g0) / tau), in double
          double g1 = -Math.log(-Math.log(u[2 * at] + 1e-20) + 1e-20);
          double g0 = -Math.log(-Math.log(u[2 * at + 1] + 1e-20) + 1e-20);
          double want = 1 / (1 + Math.exp(-(logits[j] + g1 - g0) / tau));
          assertEquals(want, y[at], 1e-5 + 1e-4 * want, "draw " + i + ", bit " + j);
        }
      }
    }
    for (int j = 0; j < d; j++) {
      double p = 1 / (1 + Math.exp(-logits[j]));
      double tolerance = 4 * Math.sqrt(p * (1 - p) / DRAWS);
      assertEquals(p, ones[j] / (double) DRAWS, tolerance, "bit " + j);
    }
  }

  @Test
  void straightThroughIsTheHardValueForwardAndTheIdentityBackward() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var y = tf.constant(new float[][] {{0.2f, 0.7f, 0.1f}, {0.4f, 0.35f, 0.25f}});
      var w = tf.constant(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
      var oneHot = GumbelSoftmax.straightThroughOneHot(tf, y, 3);
      var rounded = GumbelSoftmax.straightThroughRound(tf, y);
      var grads = g.addGradients(null, new Output<?>[] {
          tf.reduceSum(tf.math.mul(w, tf.math.add(oneHot, rounded)),
              tf.constant(new int[] {0, 1})).asOutput()}, new Output<?>[] {
          y.asOutput()}, null);
      try (var r = s.runner().fetch(oneHot).fetch(rounded).fetch(grads[0]).run()) {
        float[] hot = new float[6];
        float[] round = new float[6];
        float[] grad = new float[6];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(hot);
        ((TFloat32) r.get(1)).asRawTensor().data().asFloats().read(round);
        ((TFloat32) r.get(2)).asRawTensor().data().asFloats().read(grad);
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 0}, hot);
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 0}, round);
        // d/dy of sum(w * (st1(y) + st2(y))) = 2w: both estimators pass y's gradient through.
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, grad);
      }
    }
  }

  @Test
  void samplesAreOnTheSimplex() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var u = tf.random.statelessRandomUniform(tf.constant(new int[] {1000, 3}),
          tf.constant(new long[] {1, 2}));
      var logits = tf.math.mul(tf.random.statelessRandomNormal(tf.constant(new int[] {1000, 3}),
          tf.constant(new long[] {3, 4})), tf.constant(5f));
      var y = GumbelSoftmax.sample(tf, logits, tf.constant(0.1f), u);
      var rowSums = tf.reduceSum(y, tf.constant(1));
      try (var r = s.runner().fetch(rowSums).fetch(tf.reduceMin(y, tf.constant(new int[] {0, 1})))
          .run()) {
        float[] sums = new float[1000];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(sums);
        for (float v : sums) {
          assertEquals(1f, v, 1e-5f);
        }
        assertEquals(true, ((TFloat32) r.get(1)).getFloat() >= 0f);
      }
    }
  }

  static double[] softmax(float[] l) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : l) {
      max = Math.max(max, v);
    }
    double[] e = new double[l.length];
    double z = 0;
    for (int i = 0; i < l.length; i++) {
      e[i] = Math.exp(l[i] - max);
      z += e[i];
    }
    for (int i = 0; i < l.length; i++) {
      e[i] /= z;
    }
    return e;
  }
}
