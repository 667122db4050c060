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
        1e-8f, N, 1, 1f, 0.5f, 10, binarize, straightThrough, false, 5L);
  }

  /** {target, loss} of the training branch at (τ, step t) on images x. */
  static float[][] run(GmvaeGumbelConfig c, float[] x, float tau, long t) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var in = ModelConfig.imageInput(tf, c, "x");
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
    // Float32 rounding of the loss is about 1e-6 relative; the samples' difference is far above.
    assertTrue(Math.abs(soft - hard) > 1e-4f * Math.abs(soft),
        "τ = 1: the one-hot forward changes the loss (" + soft + " vs " + hard + ")");
  }

  @Test
  void featureBnReluMakesTheFeatureLayerAHiddenOne() {
    var c = config(false, false).withFeatureBnRelu(true);
    float[] x = new float[2 * D];
    java.util.Random r = new java.util.Random(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var p = new Params(tf, c.seed());
      var in = ModelConfig.imageInput(tf, c, "x");
      var inf = GmvaeGumbel.inference(tf, p, c, in);
      s.initialize();
      String[] names = {"features_1_dense_kernel", "features_2_dense_kernel",
          "features_out_dense_kernel", "qz_mean_kernel", "qz_mean_bias"};
      float[][] w = new float[names.length][];
      var runner = s.runner();
      for (String n : names) {
        runner.fetch(p.variables().get(n));
      }
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(2, 4, 4, 1), DataBuffers.of(x, true, false));
          var res = runner.feed(in, xs).fetch(inf.embedding()).run()) {
        for (int i = 0; i < names.length; i++) {
          w[i] = floats((TFloat32) res.get(i));
        }
        float[] embedding = floats((TFloat32) res.get(names.length));
        // At initialisation inference batch norm (γ 1, β 0, moving mean 0, variance 1) is a
        // scale by 1/√(1 + ε): each hidden layer is ReLU(h·W / √(1 + ε)), x̂ now among them.
        double scale = 1 / Math.sqrt(1 + io.deepclust.graphs.layers.BatchNorm.EPSILON);
        int[] sizes = {D, 16, 8, 6};
        for (int b = 0; b < 2; b++) {
          double[] h = new double[D];
          for (int i = 0; i < D; i++) {
            h[i] = x[b * D + i];
          }
          for (int layer = 0; layer < 3; layer++) {
            double[] next = new double[sizes[layer + 1]];
            for (int o = 0; o < next.length; o++) {
              double sum = 0;
              for (int i = 0; i < h.length; i++) {
                sum += h[i] * w[layer][i * next.length + o];
              }
              next[o] = Math.max(0, sum * scale);
            }
            h = next;
          }
          for (int o = 0; o < 4; o++) {
            double mu = w[4][o];
            for (int i = 0; i < 6; i++) {
              mu += h[i] * w[3][i * 4 + o];
            }
            assertEquals(mu, embedding[b * 4 + o], 1e-5, "embedding " + b + "," + o);
          }
        }
      }
      assertTrue(p.variables().containsKey("features_out_bn_gamma"));
      assertTrue(!p.variables().containsKey("features_out_kernel"), "no linear x̂ layer");
    }
  }

  @Test
  void jointBnReluPutsBatchNormAndReluOnTheDecodersInput() {
    for (boolean on : new boolean[] {false, true}) {
      var c = config(false, false).withJointBnRelu(on);
      float[] z = new float[2 * 4];
      java.util.Random r = new java.util.Random(6);
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) r.nextGaussian();
      }
      int[] cluster = {2, 0};
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        var p = new Params(tf, c.seed());
        var zIn = tf.placeholder(TFloat32.class);
        var kIn = tf.placeholder(org.tensorflow.types.TInt32.class);
        var images = GmvaeGumbel.decode(tf, p, c, zIn, kIn);
        s.initialize();
        String[] names = {"px_from_z_kernel", "px_from_c_kernel", "px_1_dense_kernel",
            "px_2_dense_kernel", "px_logits_kernel", "px_logits_bias"};
        var runner = s.runner();
        for (String n : names) {
          runner.fetch(p.variables().get(n));
        }
        try (TFloat32 zs = TFloat32.tensorOf(Shape.of(2, 4), DataBuffers.of(z, true, false));
            var ks = org.tensorflow.types.TInt32.vectorOf(cluster);
            var res = runner.feed(zIn, zs).feed(kIn, ks).fetch(images).run()) {
          float[][] w = new float[names.length][];
          for (int i = 0; i < names.length; i++) {
            w[i] = floats((TFloat32) res.get(i));
          }
          float[] got = floats((TFloat32) res.get(names.length));
          // Inference batch norm at initialisation is a scale by 1/√(1 + ε) (see above).
          double scale = 1 / Math.sqrt(1 + io.deepclust.graphs.layers.BatchNorm.EPSILON);
          for (int b = 0; b < 2; b++) {
            double[] h = new double[6];
            for (int o = 0; o < 6; o++) {
              double sum = w[1][cluster[b] * 6 + o];
              for (int i = 0; i < 4; i++) {
                sum += z[b * 4 + i] * w[0][i * 6 + o];
              }
              h[o] = on ? Math.max(0, sum * scale) : sum;
            }
            int[] sizes = {6, 8, 16};
            for (int layer = 0; layer < 2; layer++) {
              double[] next = new double[sizes[layer + 1]];
              for (int o = 0; o < next.length; o++) {
                double sum = 0;
                for (int i = 0; i < h.length; i++) {
                  sum += h[i] * w[2 + layer][i * next.length + o];
                }
                next[o] = Math.max(0, sum * scale);
              }
              h = next;
            }
            for (int o = 0; o < D; o++) {
              double logit = w[5][o];
              for (int i = 0; i < 16; i++) {
                logit += h[i] * w[4][i * D + o];
              }
              assertEquals(1 / (1 + Math.exp(-logit)), got[b * D + o], 1e-5,
                  "jointBnRelu " + on + ", pixel " + b + "," + o);
            }
          }
        }
        assertEquals(on, p.variables().containsKey("px_joint_bn_gamma"));
      }
    }
  }

  private static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }
}
