package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** k-DVAE's objective (Eq. 6) and clustering (Eq. 8) on a tiny model. */
class KdvaeTest {
  static final KdvaeConfig CONFIG = new KdvaeConfig(new int[] {2, 2, 1}, 3, 2, new int[] {5},
      new int[] {5}, 1e-3f, 1e-7f, 4, 1, 1, Pretraining.adamBce().withEpochs(0), GmmStart.paper(),
      0, 9L);

  static float[] values(org.tensorflow.Tensor t) {
    float[] out = new float[(int) t.shape().size()];
    ((TFloat32) t).asRawTensor().data().asFloats().read(out);
    return out;
  }

  @Test
  void theGradientOfEq6ReachesOnlyTheBestPairOfTheSample() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, CONFIG.seed());
      var x = ModelConfig.imageInput(tf, CONFIG, "x");
      var t = Kdvae.training(tf, p, CONFIG, x);
      var kernel = p.variables().get("px_logits_kernel");
      Output<?> grad = tf.gradients(t.loss(), java.util.List.of(kernel)).dy(0);
      s.initialize();
      float[] one = {0.1f, 0.9f, 0.4f, 0.0f};
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(1, 2, 2, 1), DataBuffers.of(one, true, false));
          TInt64 seed = TInt64.vectorOf(1, 1);
          var r = s.runner().feed(x, xs).feed(t.noiseSeed(), seed)
              .fetch(t.score()).fetch(t.assigned()).fetch(grad).fetch(t.loss()).run()) {
        float[] score = values(r.get(0));
        long best = ((TInt64) r.get(1)).getLong(0);
        int bestByHand = 0;
        for (int i = 1; i < 3; i++) {
          if (score[i] > score[bestByHand]) {
            bestByHand = i;
          }
        }
        assertEquals(bestByHand, best);
        assertEquals(-score[bestByHand], ((TFloat32) r.get(3)).getFloat(), 1e-5f);
        float[] gk = values(r.get(2));
        int per = gk.length / 3;
        for (int i = 0; i < 3; i++) {
          double norm = 0;
          for (int j = 0; j < per; j++) {
            norm += Math.abs(gk[i * per + j]);
          }
          if (i == best) {
            assertTrue(norm > 0, "the best pair learns");
          } else {
            assertEquals(0.0, norm, 0.0, "pair " + i + " gets no gradient");
          }
        }
      }
    }
  }

  @Test
  void clusterIsTheArgmaxOfEq8ScoresAndProbsTheirSoftmax() {
    Random rnd = new Random(3);
    float[] imgs = new float[6 * 4];
    for (int i = 0; i < imgs.length; i++) {
      imgs[i] = rnd.nextFloat();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, CONFIG.seed());
      var x = ModelConfig.imageInput(tf, CONFIG, "x");
      var inf = Kdvae.inference(tf, p, CONFIG, x);
      s.initialize();
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(6, 2, 2, 1), DataBuffers.of(imgs, true, false));
          var r = s.runner().feed(x, xs).fetch(inf.probs()).fetch(inf.cluster()).run()) {
        float[] probs = values(r.get(0));
        for (int b = 0; b < 6; b++) {
          double sum = 0;
          int argmax = 0;
          for (int k = 0; k < 3; k++) {
            sum += probs[b * 3 + k];
            if (probs[b * 3 + k] > probs[b * 3 + argmax]) {
              argmax = k;
            }
          }
          assertEquals(1.0, sum, 1e-5);
          assertEquals(argmax, ((TInt64) r.get(1)).getLong(b));
        }
      }
    }
  }

  @Test
  void thePairLossScoresEachBlockUnderItsOwnPairAndTrainsOnlyThatPair() {
    Random rnd = new Random(5);
    float[] imgs = new float[6 * 4];
    for (int i = 0; i < imgs.length; i++) {
      imgs[i] = rnd.nextFloat();
    }
    float[] changed = imgs.clone();
    for (int i = 8; i < changed.length; i++) {
      changed[i] = rnd.nextFloat();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, CONFIG.seed());
      var x = ModelConfig.imageInput(tf, CONFIG, "x");
      var t = Kdvae.training(tf, p, CONFIG, x);
      Output<?> grad = tf.gradients(t.pairLoss(),
          java.util.List.of(p.variables().get("qz_1_kernel"))).dy(0);
      s.initialize();
      // Rows 0-1 are pair 0's block, 2-3 pair 1's, 4-5 pair 2's. Block i alone through Eq. 6's
      // branch draws the same eps [K, 2, Z], so its pair-i row of that score is what the pair
      // loss averages.
      double want = 0;
      for (int i = 0; i < 3; i++) {
        float[] block = java.util.Arrays.copyOfRange(imgs, i * 8, i * 8 + 8);
        try (TFloat32 xs = TFloat32.tensorOf(Shape.of(2, 2, 2, 1),
                DataBuffers.of(block, true, false));
            TInt64 seed = TInt64.vectorOf(4, 2);
            var r = s.runner().feed(x, xs).feed(t.noiseSeed(), seed).fetch(t.score()).run()) {
          float[] score = values(r.get(0));
          want -= (score[i * 2] + score[i * 2 + 1]) / 6.0;
        }
      }
      float[][] grads = new float[2][];
      float loss = 0;
      for (int v = 0; v < 2; v++) {
        try (TFloat32 xs = TFloat32.tensorOf(Shape.of(6, 2, 2, 1),
                DataBuffers.of(v == 0 ? imgs : changed, true, false));
            TInt64 seed = TInt64.vectorOf(4, 2);
            var r = s.runner().feed(x, xs).feed(t.noiseSeed(), seed).fetch(t.pairLoss())
                .fetch(grad).run()) {
          if (v == 0) {
            loss = ((TFloat32) r.get(0)).getFloat();
          }
          grads[v] = values(r.get(1));
        }
      }
      assertEquals(want, loss, 1e-5 * Math.abs(want));
      int per = grads[0].length / 3;
      for (int j = 0; j < per; j++) {
        assertEquals(grads[0][j], grads[1][j], 0f, "pair 0's gradient sees block 0 only");
      }
      boolean pair1Moved = false;
      for (int j = per; j < 2 * per; j++) {
        pair1Moved |= grads[0][j] != grads[1][j];
      }
      assertTrue(pair1Moved, "pair 1's gradient follows block 1");
    }
  }
}
