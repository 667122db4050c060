package io.deepclust.graphs.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deepclust.graphs.GraphCheck;
import io.deepclust.graphs.Params;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class Conv2dTest {
  @Test
  void outputSizesFollowTensorFlowsPaddingRules() {
    var valid2 = new Conv2d.Spec(8, 3, 2, "valid");
    var same2 = new Conv2d.Spec(8, 3, 2, "same");
    assertEquals(10, valid2.convOut(22));
    assertEquals(2, valid2.convOut(6));
    assertEquals(14, same2.convOut(28));
    assertEquals(9, valid2.transposedOut(4));
    assertEquals(6, same2.transposedOut(3));
    assertEquals(28, new Conv2d.Spec(1, 3, 1, "valid").transposedOut(26));
  }

  @Test
  void stacksNameTheirLayersInOrderAndTrackTheShapeTensorFlowComputes() {
    var specs = List.of(new Conv2d.Spec(4, 3, 2, "valid"), new Conv2d.Spec(6, 3, 1, "same"));
    var back = List.of(new Conv2d.Spec(4, 3, 1, "same"), new Conv2d.Spec(2, 3, 2, "valid"));
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, 5);
      var x = new Conv2d.Images(tf.constant(randomArray(new Random(2), 2, 9, 9, 2)), 9, 9, 2);
      var down = Conv2d.stack(tf, p, "enc", x, specs, tf.nn::relu);
      var up = Conv2d.transposedStack(tf, p, "dec", down, back, a -> a);
      assertEquals(List.of(4, 4, 6), List.of(down.height(), down.width(), down.channels()));
      assertEquals(List.of(9, 9, 2), List.of(up.height(), up.width(), up.channels()));
      assertEquals(List.of("enc1_kernel", "enc1_bias", "enc2_kernel", "enc2_bias", "dec1_kernel",
          "dec1_bias", "dec2_kernel", "dec2_bias"), List.copyOf(p.shapes().keySet()));
      try (var r = s.runner().fetch(tf.shape(down.x())).fetch(tf.shape(up.x())).run()) {
        for (int i = 0; i < 2; i++) {
          int[] want = i == 0 ? new int[] {2, 4, 4, 6} : new int[] {2, 9, 9, 2};
          var t = (TInt32) r.get(i);
          for (int d = 0; d < 4; d++) {
            assertEquals(want[d], t.getInt(d), "tensor " + i + " dim " + d);
          }
        }
      }
    }
  }

  @Test
  void transposedConvolutionIsTheAdjointOfConvolution() {
    // <conv(x), y> = <x, conv_transpose(y)> for the same kernel: checks layout and output size.
    var spec = new Conv2d.Spec(3, 3, 2, "valid");
    Random rnd = new Random(1);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, 5);
      var x = tf.constant(randomArray(rnd, 2, 9, 9, 2));
      var conv = Conv2d.apply(tf, p, "c", x, 2, spec); // kernel [3,3,2,3], out 4x4x3
      var y = tf.constant(randomArray(rnd, 2, 4, 4, 3));
      // The transposed conv's kernel [3,3,out=2,in=3] is the conv's kernel: same shape and values.
      var kernel = p.variables().get("c_kernel");
      var convNoBias = tf.nn.conv2d(x, kernel, List.of(1L, 2L, 2L, 1L), "VALID");
      var back = tf.nn.conv2dBackpropInput(tf.constant(new int[] {2, 9, 9, 2}), kernel, y,
          List.of(1L, 2L, 2L, 1L), "VALID");
      var lhs = tf.reduceSum(tf.math.mul(convNoBias, y), tf.constant(new int[] {0, 1, 2, 3}));
      var rhs = tf.reduceSum(tf.math.mul(x, back), tf.constant(new int[] {0, 1, 2, 3}));
      s.initialize();
      try (var r = s.runner().fetch(lhs).fetch(rhs).fetch(conv).run()) {
        float a = ((TFloat32) r.get(0)).getFloat();
        float b = ((TFloat32) r.get(1)).getFloat();
        assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)));
        assertEquals(Shape.of(2, 4, 4, 3), r.get(2).shape());
      }
    }
  }

  @Test
  void transposedConvolutionGradientsMatchFiniteDifferences() {
    MissingGradients.conv2dBackpropInput();
    Shape xShape = Shape.of(1, 3, 3, 2);
    Shape kShape = Shape.of(3, 3, 4, 2);
    try (var check = new GraphCheck(List.of(xShape, kShape), (tf, in) -> {
      var y = tf.nn.conv2dBackpropInput(tf.constant(new int[] {1, 6, 6, 4}), in.get(1), in.get(0),
          List.of(1L, 2L, 2L, 1L), "SAME");
      return tf.math.square(y); // a non-linear function of the output
    })) {
      Random rnd = new Random(3);
      float[] x = random(rnd, (int) xShape.size());
      float[] k = random(rnd, (int) kShape.size());
      for (int i = 0; i < 2; i++) {
        float[] analytic = check.gradient(i, x, k);
        double[] numeric = check.finiteDifference(i, 1e-2, x, k);
        for (int j = 0; j < analytic.length; j++) {
          assertEquals(numeric[j], analytic[j], 2e-3 + 2e-3 * Math.abs(numeric[j]),
              "input " + i + " entry " + j);
        }
      }
    }
  }

  @Test
  void convKernelsCountTheReceptiveFieldInGlorotFans() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, 9);
      var v = p.get("k", Shape.of(3, 3, 16, 32), Params.Init.GLOROT_UNIFORM, true);
      s.initialize();
      try (var r = s.runner().fetch(v).run()) {
        float[] w = new float[3 * 3 * 16 * 32];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(w);
        double limit = Math.sqrt(6.0 / (9 * 16 + 9 * 32));
        double max = 0;
        for (float f : w) {
          max = Math.max(max, Math.abs(f));
        }
        // Uniform on (−limit, limit): the largest of 4608 draws is within 0.2 % of the limit.
        assertEquals(limit, max, limit * 2e-3);
      }
    }
  }

  private static float[] random(Random rnd, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rnd.nextGaussian();
    }
    return out;
  }

  private static float[][][][] randomArray(Random rnd, int a, int b, int c, int d) {
    float[][][][] out = new float[a][b][c][d];
    for (var x : out) {
      for (var y : x) {
        for (var z : y) {
          for (int i = 0; i < d; i++) {
            z[i] = (float) rnd.nextGaussian();
          }
        }
      }
    }
    return out;
  }

}
