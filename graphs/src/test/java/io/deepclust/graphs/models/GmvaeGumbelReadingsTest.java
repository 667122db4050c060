package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * GMVAE-Gumbel's readings switches against what they must compute: the binarised image is a
 * Bernoulli draw of each pixel (0 and 1 stay, the mean of a grey level is its value, each step a
 * new draw); the straight-through category equals the soft one where the soft sample is already
 * one-hot (τ → 0) and differs from it where it is not (τ = 1).
 */
class GmvaeGumbelReadingsTest {
  static final int N = 64;
  static final int D = 16;

  static GmvaeGumbelConfig config(boolean binarize, boolean straightThrough) {
    return new GmvaeGumbelConfig(new int[] {4, 4, 1}, 3, new int[] {16, 8}, 6, 4, 5f, 1e-2f,
        1e-8f, N, 1, 1f, 0.5f, 10, binarize, straightThrough, 5L);
  }

  /** {target, loss} of the training branch at (τ, step t) on images x. */
  static float[][] run(GmvaeGumbelConfig c, float[] x, float tau, long t) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var in = GmvaeGumbel.imageInput(tf, c, "x");
      var tr = GmvaeGumbel.training(tf, new Params(tf, c.seed()), c, in);
      s.initialize();
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(N, 4, 4, 1), DataBuffers.of(x, true, false));
          TFloat32 temp = TFloat32.scalarOf(tau);
          TInt64 seed = TInt64.vectorOf(c.seed(), t);
          var r = s.runner().feed(in, xs).feed(tr.temperature(), temp).feed(tr.noiseSeed(), seed)
              .fetch(tr.target()).fetch(tr.loss()).run()) {
        float[] target = new float[N * D];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(target);
        return new float[][] {target, {((TFloat32) r.get(1)).getFloat()}};
      }
    }
  }

  @Test
  void binarisedPixelsAreBernoulliDrawsOfTheGreyLevelsAndChangeEachStep() {
    float[] x = new float[N * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 4 == 0 ? 0f : i % 4 == 1 ? 1f : 0.3f;
    }
    float[] a = run(config(true, false), x, 1f, 1)[0];
    float[] b = run(config(true, false), x, 1f, 2)[0];
    int grey = 0;
    double ones = 0;
    int changed = 0;
    for (int i = 0; i < x.length; i++) {
      assertTrue(a[i] == 0f || a[i] == 1f, "pixel " + i + " is " + a[i]);
      if (x[i] == 0f || x[i] == 1f) {
        assertEquals(x[i], a[i], 0f, "a black or white pixel stays");
      } else {
        grey++;
        ones += a[i];
        changed += a[i] != b[i] ? 1 : 0;
      }
    }
    double sd = Math.sqrt(0.3 * 0.7 / grey);
    assertEquals(0.3, ones / grey, 4 * sd, "mean of " + grey + " draws at 0.3");
    // Two independent draws differ with probability 2·0.3·0.7 = 0.42.
    assertEquals(0.42, (double) changed / grey, 4 * Math.sqrt(0.42 * 0.58 / grey));
    float[] off = run(config(false, false), x, 1f, 1)[0];
    assertTrue(Arrays.equals(x, off), "without the switch the loss sees x itself");
  }

  @Test
  void straightThroughMatchesTheSoftSampleOnlyWhereItIsAlreadyOneHot() {
    float[] x = new float[N * D];
    java.util.Random r = new java.util.Random(9);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    float cold = 1e-4f;
    assertEquals(run(config(false, false), x, cold, 3)[1][0],
        run(config(false, true), x, cold, 3)[1][0], 1e-4f, "τ → 0: both samples one-hot");
    float soft = run(config(false, false), x, 1f, 3)[1][0];
    float hard = run(config(false, true), x, 1f, 3)[1][0];
    assertTrue(Math.abs(soft - hard) > 1e-3f * Math.abs(soft),
        "τ = 1: the one-hot forward changes the loss (" + soft + " vs " + hard + ")");
  }
}
