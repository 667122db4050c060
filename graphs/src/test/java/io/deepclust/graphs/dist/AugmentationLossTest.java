package io.deepclust.graphs.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Eq. 14 and 17 of variational-clustering-w2 against the same sums written out in double. */
class AugmentationLossTest {
  static final int B = 3;
  static final int K = 4;
  static final int Z = 2;

  @Test
  void perClusterTermsAreTheBatchMeansOfEq14AndEq17() {
    Random r = new Random(7);
    float[][] probs = simplexRows(r);
    float[][] probsAug = simplexRows(r);
    float[][][] mean = cube(r, -1, 1);
    float[][][] meanAug = cube(r, -1, 1);
    float[][][] sd = cube(r, 0.2, 2);
    float[][][] sdAug = cube(r, 0.2, 2);
    double l2 = 0;
    double w2 = 0;
    for (int b = 0; b < B; b++) {
      for (int k = 0; k < K; k++) {
        l2 += Math.pow(probs[b][k] - probsAug[b][k], 2) / B;
        double w = 0;
        for (int j = 0; j < Z; j++) {
          w += Math.pow(mean[b][k][j] - meanAug[b][k][j], 2)
              + Math.pow(sd[b][k][j] - sdAug[b][k][j], 2);
        }
        w2 += probs[b][k] * w / B;
      }
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var aug = AugmentationLoss.perCluster(tf, tf.constant(probs), tf.constant(mean),
          tf.constant(sd), tf.constant(probsAug), tf.constant(meanAug), tf.constant(sdAug));
      var same = AugmentationLoss.perCluster(tf, tf.constant(probs), tf.constant(mean),
          tf.constant(sd), tf.constant(probs), tf.constant(mean), tf.constant(sd));
      try (var res = s.runner().fetch(aug.l2()).fetch(aug.w2()).fetch(same.l2())
          .fetch(same.w2()).run()) {
        assertEquals(l2, ((TFloat32) res.get(0)).getFloat(), 1e-6 * (1 + l2));
        assertEquals(w2, ((TFloat32) res.get(1)).getFloat(), 1e-5 * (1 + w2));
        assertEquals(0f, ((TFloat32) res.get(2)).getFloat(), 0f);
        assertEquals(0f, ((TFloat32) res.get(3)).getFloat(), 0f);
      }
    }
  }

  @Test
  void singleTermsAreTheBatchMeansOfEq14AndOneW2PerImage() {
    Random r = new Random(11);
    float[][] probs = simplexRows(r);
    float[][] probsAug = simplexRows(r);
    float[][] mean = cube(r, -1, 1)[0];
    float[][] meanAug = cube(r, -1, 1)[0];
    float[][] sd = cube(r, 0.2, 2)[0];
    float[][] sdAug = cube(r, 0.2, 2)[0];
    double l2 = 0;
    double w2 = 0;
    for (int b = 0; b < B; b++) {
      for (int k = 0; k < K; k++) {
        l2 += Math.pow(probs[b][k] - probsAug[b][k], 2) / B;
      }
    }
    // cube(...)[0] is [K][Z]: K rows stand for the images here.
    for (int b = 0; b < K; b++) {
      for (int j = 0; j < Z; j++) {
        w2 += (Math.pow(mean[b][j] - meanAug[b][j], 2) + Math.pow(sd[b][j] - sdAug[b][j], 2)) / K;
      }
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var aug = AugmentationLoss.single(tf, tf.constant(probs), tf.constant(mean),
          tf.constant(sd), tf.constant(probsAug), tf.constant(meanAug), tf.constant(sdAug));
      try (var res = s.runner().fetch(aug.l2()).fetch(aug.w2()).run()) {
        assertEquals(l2, ((TFloat32) res.get(0)).getFloat(), 1e-6 * (1 + l2));
        assertEquals(w2, ((TFloat32) res.get(1)).getFloat(), 1e-5 * (1 + w2));
      }
    }
  }

  @Test
  void theWeightScheduleAndTheTransformsAreThePapers() {
    assertEquals(0.01f, AugmentationLoss.weightAt(0));
    assertEquals(0.01f, AugmentationLoss.weightAt(39));
    assertEquals(0.5f, AugmentationLoss.weightAt(40));
    assertEquals(1f, AugmentationLoss.weightAt(80));
    assertEquals("rotation", AugmentationLoss.transformFor(new int[] {28, 28, 1}, "mnist"));
    assertEquals("brightness_binarise",
        AugmentationLoss.transformFor(new int[] {28, 28, 1}, "fashion-mnist"));
    assertEquals("affine_flip", AugmentationLoss.transformFor(new int[] {32, 32, 3}, "any"));
  }

  private static float[][] simplexRows(Random r) {
    float[][] p = new float[B][K];
    for (float[] row : p) {
      double sum = 0;
      for (int k = 0; k < K; k++) {
        row[k] = (float) (0.05 + r.nextDouble());
        sum += row[k];
      }
      for (int k = 0; k < K; k++) {
        row[k] /= (float) sum;
      }
    }
    return p;
  }

  private static float[][][] cube(Random r, double lo, double hi) {
    float[][][] v = new float[B][K][Z];
    for (float[][] a : v) {
      for (float[] row : a) {
        for (int j = 0; j < Z; j++) {
          row[j] = (float) (lo + (hi - lo) * r.nextDouble());
        }
      }
    }
    return v;
  }
}
