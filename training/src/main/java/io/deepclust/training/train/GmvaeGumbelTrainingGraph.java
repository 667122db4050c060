package io.deepclust.training.train;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.train.AdamStep;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The GMVAE-Gumbel training graph in its own session: training and inference branches over shared
 * weights on one input placeholder, and the Adam step over every trainable variable. Variables are
 * initialised on construction.
 */
public final class GmvaeGumbelTrainingGraph implements AutoCloseable {
  public final GmvaeGumbelConfig config;
  public final Graph graph = new Graph();
  public final Session session;
  public final Params params;
  public final Placeholder<TFloat32> x;
  public final GmvaeGumbel.Training training;
  public final GmvaeGumbel.Inference inference;
  public final AdamStep adam;

  public GmvaeGumbelTrainingGraph(GmvaeGumbelConfig config) {
    this.config = config;
    Ops tf = Ops.create(graph);
    params = new Params(tf, config.seed());
    x = GmvaeGumbel.imageInput(tf, config, "x");
    training = GmvaeGumbel.training(tf, params, config, x);
    inference = GmvaeGumbel.inference(tf, params, config, x);
    adam = new AdamStep(tf, "train", training.loss(), params.trainableVariables(),
        params.trainableNames(), training.batchNormUpdates(), config.adamEpsilon());
    session = new Session(graph);
    session.initialize();
  }

  /**
   * One Adam step on a batch of images (NHWC, flattened) at optimizer step t (from 1), with noise
   * seed [noiseSeed, t]; returns the loss and its terms (reconstruction, categorical KL, Gaussian KL)
   * computed before the update.
   */
  public float[] trainStep(float[] pixels, int batch, float temperature, float learningRate,
      long noiseSeed, long t) {
    int[] d = config.inputShape();
    float[] powers = adam.betaPowers(t);
    try (TFloat32 xs = TFloat32.tensorOf(Shape.of(batch, d[0], d[1], d[2]),
            DataBuffers.of(pixels, true, false));
        TFloat32 temp = TFloat32.scalarOf(temperature);
        TFloat32 lr = TFloat32.scalarOf(learningRate);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t);
        TFloat32 b1 = TFloat32.scalarOf(powers[0]);
        TFloat32 b2 = TFloat32.scalarOf(powers[1]);
        var r = session.runner().feed(x, xs).feed(training.temperature(), temp)
            .feed(training.noiseSeed(), seed).feed(adam.learningRate, lr)
            .feed(adam.beta1Power, b1).feed(adam.beta2Power, b2)
            .fetch(training.loss()).fetch(training.reconstruction())
            .fetch(training.categoricalKl()).fetch(training.gaussianKl())
            .addTarget(adam.step).run()) {
      float[] out = new float[4];
      for (int i = 0; i < 4; i++) {
        out[i] = ((TFloat32) r.get(i)).getFloat();
      }
      return out;
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
