package io.deepclust.graphs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Initial values of variables: their range and moments against the initialisers' formulas, and
 * their seed: the model seed and the variable's name, not the order of creation.
 */
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
  void aStackOfConvolutionKernelsDrawsEachWithOneKernelsLimit() {
    // [K, k1, k2, in, out] = [3, 4, 4, 8, 16]: fan_in = 4·4·8 = 128, fan_out = 4·4·16 = 256.
    float[] w = initial(Shape.of(3, 4, 4, 8, 16), Params.Init.GLOROT_UNIFORM, 5L);
    assertUniform(w, Math.sqrt(6.0 / (128 + 256)), "glorot [3, 4, 4, 8, 16]");
  }

  @Test
  void fanInAndGlorotDifferOnlyInTheirLimit() {
    // Same seed and name, so the same uniform draw u: w = (2u − 1)·limit.
    float[] fanIn = initial(Shape.of(50, 20), Params.Init.FAN_IN_UNIFORM, 3L);
    float[] glorot = initial(Shape.of(50, 20), Params.Init.GLOROT_UNIFORM, 3L);
    double ratio = Math.sqrt(1.0 / 50) / Math.sqrt(6.0 / 70);
    for (int i = 0; i < fanIn.length; i++) {
      assertEquals(glorot[i] * ratio, fanIn[i], 1e-6, "weight " + i);
    }
  }

  @Test
  void nameKeyIsTheFnv1a64HashOfTheName() {
    // The published FNV-1a 64-bit test vectors (Fowler, Noll, Vo).
    assertEquals(0xcbf29ce484222325L, Params.nameKey(""));
    assertEquals(0xaf63dc4c8601ec8cL, Params.nameKey("a"));
    assertEquals(0x85944171f73967e8L, Params.nameKey("foobar"));
  }

  /** The initial values of variables "a" [3, 4] and "b" [4, 2], created in the order given. */
  static Map<String, float[]> createdInOrder(String... names) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Params p = new Params(Ops.create(g), 9L);
      for (String n : names) {
        p.get(n, n.equals("a") ? Shape.of(3, 4) : Shape.of(4, 2), Params.Init.GLOROT_UNIFORM,
            true);
      }
      s.initialize();
      Map<String, float[]> out = new HashMap<>();
      p.read(s).forEach((n, t) -> {
        try (t) {
          float[] v = new float[(int) t.shape().size()];
          t.asRawTensor().data().asFloats().read(v);
          out.put(n, v);
        }
      });
      return out;
    }
  }

  @Test
  void theOrderOfCreationChangesNoInitialWeight() {
    Map<String, float[]> ab = createdInOrder("a", "b");
    Map<String, float[]> ba = createdInOrder("b", "a");
    assertArrayEquals(ab.get("a"), ba.get("a"));
    assertArrayEquals(ab.get("b"), ba.get("b"));
  }

  @Test
  void aWeightIsTheStatelessDrawOfTheSeedAndItsNameKey() {
    float[] w = createdInOrder("b", "a").get("a");
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var u = tf.random.statelessRandomUniform(tf.constant(new long[] {3, 4}),
          tf.constant(new long[] {9L, Params.nameKey("a")}));
      try (Result r = s.runner().fetch(u).run()) {
        TFloat32 t = (TFloat32) r.get(0);
        float limit = (float) Math.sqrt(6.0 / 7);
        for (int i = 0; i < w.length; i++) {
          float expected = (t.getFloat(i / 4, i % 4) * 2f - 1f) * limit;
          assertEquals(expected, w[i], 1e-6, "a[" + i + "]");
        }
      }
    }
  }
}
