package io.deepclust.graphs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.train.AdamStep;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class GmvaeGumbelTrainingTest {

  /** Two well separated binary prototypes with flipped pixels: a task any working model learns. */
  static float[] twoPrototypes(int n, int d, long seed, int[] labels) {
    Random r = new Random(seed);
    float[] x = new float[n * d];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (int j = 0; j < d; j++) {
        boolean on = (labels[i] == 0) == (j < d / 2);
        if (r.nextDouble() < 0.05) {
          on = !on;
        }
        x[i * d + j] = on ? 1f : 0f;
      }
    }
    return x;
  }

  @Test
  void adamStepsDecreaseTheLossAndKeepItFinite() {
    var config = new GmvaeGumbelConfig(new int[] {4, 4, 1}, 2, new int[] {32, 16}, 8, 4, 5f,
        1e-2f, 1e-8f, 32, 1, 1f, 0.5f, 10, false, false, false, 7L);
    int n = 64;
    int[] labels = new int[n];
    float[] data = twoPrototypes(n, 16, 3L, labels);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Params p = new Params(tf, config.seed());
      var x = ModelConfig.imageInput(tf, config, "x");
      var t = GmvaeGumbel.training(tf, p, config, x);
      var adam = new AdamStep(tf, "adam", t.loss(), p.trainableVariables(), p.trainableNames(),
          t.batchNormUpdates(), config.adamEpsilon());
      s.initialize();
      assertEquals(p.trainableVariables().size(), adam.gradients.size());
      float first = Float.NaN;
      float last = Float.NaN;
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(n, 4, 4, 1), DataBuffers.of(data, true, false));
          TFloat32 temp = TFloat32.scalarOf(1f);
          TFloat32 lr = TFloat32.scalarOf(config.learningRate())) {
        for (int step = 1; step <= 150; step++) {
          float[] bp = adam.betaPowers(step);
          try (TInt64 seed = TInt64.vectorOf(config.seed(), step);
              TFloat32 b1 = TFloat32.scalarOf(bp[0]);
              TFloat32 b2 = TFloat32.scalarOf(bp[1]);
              var r = s.runner().feed(x, xs).feed(t.temperature(), temp).feed(t.noiseSeed(), seed)
                  .feed(adam.learningRate, lr).feed(adam.beta1Power, b1).feed(adam.beta2Power, b2)
                  .fetch(t.loss()).addTarget(adam.step).run()) {
            float loss = ((TFloat32) r.get(0)).getFloat();
            assertTrue(Float.isFinite(loss), "loss at step " + step + " is " + loss);
            if (step == 1) {
              first = loss;
            }
            last = loss;
          }
        }
      }
      assertTrue(last < 0.7f * first, "loss went from " + first + " to " + last);
    }
  }
}
