package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.savedmodels.GmvaeGumbelExport;
import io.deepclust.training.data.Dataset;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The GMVAE-Gumbel training graph in its own session: training and inference branches over shared
 * weights on one input placeholder, and the Adam step over every trainable variable. One phase: Adam
 * at the config's rate with the Gumbel temperature of the config's schedule. Variables are
 * initialised on construction.
 */
public final class GmvaeGumbelTrainingGraph implements TrainingModel, CrossCheckable {
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
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
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
  public String modelName() {
    return GmvaeGumbel.MODEL;
  }

  @Override
  public JsonElement configJson() {
    return new Gson().toJsonTree(config);
  }

  @Override
  public long seed() {
    return config.seed();
  }

  @Override
  public int[] inputShape() {
    return config.inputShape();
  }

  @Override
  public Session session() {
    return session;
  }

  @Override
  public List<Phase> phases() {
    return List.of(new Phase() {
      @Override
      public String name() {
        return "train";
      }

      @Override
      public int epochs() {
        return config.epochs();
      }

      @Override
      public int batchSize() {
        return config.batchSize();
      }

      @Override
      public List<String> termNames() {
        return List.of("loss", "reconstruction", "categorical_kl", "gaussian_kl");
      }

      @Override
      public float learningRate(int epoch) {
        return config.learningRate();
      }

      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
        return trainStep(pixels, batch, config.temperature(epoch), config.learningRate(),
            config.seed(), t);
      }
    });
  }

  @Override
  public int[] assign(Dataset data) {
    return Assignments.run(session, x, inference.cluster(), data);
  }

  @Override
  public void export(JsonObject info, Path target) {
    Map<String, TFloat32> weights = params.read(session);
    try {
      GmvaeGumbelExport.export(config, weights, info, target);
    } finally {
      weights.values().forEach(Tensor::close);
    }
  }

  @Override
  public Params params() {
    return params;
  }

  @Override
  public Map<String, Operand<?>> trainingOutputs() {
    Map<String, Operand<?>> out = new LinkedHashMap<>();
    out.put("loss", training.loss());
    out.put("reconstruction", training.reconstruction());
    out.put("categorical_kl", training.categoricalKl());
    out.put("gaussian_kl", training.gaussianKl());
    out.put("logits", training.logits());
    return out;
  }

  @Override
  public Map<String, Operand<?>> inferenceOutputs() {
    return Map.of("probs", inference.probs(), "cluster", inference.cluster(), "z",
        inference.embedding(), "x_hat", inference.reconstruction());
  }

  @Override
  public List<Output<TFloat32>> gradients() {
    return adam.gradients;
  }

  @Override
  public Session.Runner feed(Session.Runner runner, TFloat32 images, long noiseSeed, long t,
      float temperature) {
    TInt64 seed = TInt64.vectorOf(noiseSeed, t);
    TFloat32 temp = TFloat32.scalarOf(temperature);
    feedTensors.add(seed);
    feedTensors.add(temp);
    return runner.feed(x, images).feed(training.noiseSeed(), seed)
        .feed(training.temperature(), temp);
  }

  private final List<Tensor> feedTensors = new java.util.ArrayList<>();

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    trainStep(pixels, batch, temperature, learningRate, noiseSeed, t);
  }

  @Override
  public void close() {
    feedTensors.forEach(Tensor::close);
    session.close();
    graph.close();
  }
}
