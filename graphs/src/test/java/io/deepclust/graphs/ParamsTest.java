package io.deepclust.graphs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Initial values of variables: their range and moments against the initialisers' formulas. */
class ParamsTest {
  /** The initial values of one variable of {@code shape}, flattened. */
  static float[] initial(Shape shape, Params.Init init, long seed) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Params p = new Params(Ops.create(g), seed);
      p.get("k", shape, init, true);
      s.initialize();
      try (TFloat32 t = p.read(s).get("k")) {
        float[] out = new float[(int) t.shape().size()];
        t.asRawTensor().data().asFloats().read(out);
        return out;
      }
    }
  }

  /** Asserts U(−limit, limit): inside, reaching near the edge, mean 0 and variance limit²/3. */
  static void assertUniform(float[] w, double limit, String what) {
    double max = 0;
    double sum = 0;
    double squares = 0;
    for (float v : w) {
      assertTrue(Math.abs(v) <= (float) limit, what + ": |" + v + "| > " + limit);
      max = Math.max(max, Math.abs(v));
      sum += v;
      squares += (double) v * v;
    }
    double mean = sum / w.length;
    double variance = squares / w.length - mean * mean;
    assertTrue(max > 0.999 * limit, what + ": max |w| " + max + " far below " + limit);
    // The mean's standard error is limit / √(3n); allow six of them.
    assertEquals(0, mean, 6 * limit / Math.sqrt(3.0 * w.length), what + " mean");
    assertEquals(limit * limit / 3, variance, 0.03 * limit * limit / 3, what + " variance");
  }

  @Test
  void fanInUniformDrawsFromPlusMinusTheRootOfOneOverFanIn() {
    float[] w = initial(Shape.of(400, 300), Params.Init.FAN_IN_UNIFORM, 11L);
    assertUniform(w, Math.sqrt(1.0 / 400), "fan_in_uniform [400, 300]");
  }

  @Test
  void glorotUniformDrawsFromPlusMinusTheRootOfSixOverFanInPlusFanOut() {
    float[] w = initial(Shape.of(400, 300), Params.Init.GLOROT_UNIFORM, 11L);
    assertUniform(w, Math.sqrt(6.0 / 700), "glorot_uniform [400, 300]");
  }

  @Test
  void fanInOfAConvolutionKernelCountsItsReceptiveField() {
    // [k1, k2, in, out] = [3, 3, 40, 64]: fan_in = 3·3·40 = 360.
    float[] w = initial(Shape.of(3, 3, 40, 64), Params.Init.FAN_IN_UNIFORM, 5L);
    assertUniform(w, Math.sqrt(1.0 / 360), "fan_in_uniform [3, 3, 40, 64]");
  }

  @Test
  void fanInAndGlorotDifferOnlyInTheirLimit() {
    // Same seed and index, so the same uniform draw u: w = (2u − 1)·limit.
    float[] fanIn = initial(Shape.of(50, 20), Params.Init.FAN_IN_UNIFORM, 3L);
    float[] glorot = initial(Shape.of(50, 20), Params.Init.GLOROT_UNIFORM, 3L);
    double ratio = Math.sqrt(1.0 / 50) / Math.sqrt(6.0 / 70);
    for (int i = 0; i < fanIn.length; i++) {
      assertEquals(glorot[i] * ratio, fanIn[i], 1e-6, "weight " + i);
    }
  }
}
