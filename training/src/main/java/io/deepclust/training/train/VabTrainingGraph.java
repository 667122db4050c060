package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.graphs.models.Vab;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.VabExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.Compression;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The VAB training graph: training and inference branches over shared weights, one Adam step over
 * every variable (encoder, decoder and the Bernoulli-mixture prior jointly, §2.4). One phase,
 * "train", with the config's learning-rate decay and Gumbel temperature per epoch.
 */
public final class VabTrainingGraph extends GraphModel<VabConfig>
    implements EagerTrainable {
  public final Placeholder<TFloat32> x;
  public final Vab.Training training;
  public final Vab.Inference inference;
  public final AdamStep adam;
  /** loss, reconstruction, log_p_z, log_p_c, log_q_z, entropy_c: fetched and logged each step. */
  final LossTerms terms;

  public VabTrainingGraph(VabConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public VabTrainingGraph(VabConfig config, SessionSettings session) {
    super(config, new Graph(), null, config.seed());
    Ops tf = ops();
    x = Vab.imageInput(tf, config, "x");
    training = Vab.training(tf, params, config, x);
    inference = Vab.inference(tf, params, config, x);
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    wire(x, training.noiseSeed(), training.temperature(), inference, adam);
    terms = new LossTerms().add("loss", training.loss())
        .add("reconstruction", training.reconstruction()).add("log_p_z", training.logPz())
        .add("log_p_c", training.logPc()).add("log_q_z", training.logQz())
        .add("entropy_c", training.entropyC());
    start(session);
  }

  /** One Adam step at step t (from 1), noise seed [noiseSeed, t]; returns {@link #terms}. */
  public float[] trainStep(float[] pixels, int batch, float temperature, float learningRate,
      long noiseSeed, long t) {
    try (TFloat32 xs = images(pixels, batch);
        TFloat32 temp = TFloat32.scalarOf(temperature);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(adam, learningRate, t,
          r -> r.feed(x, xs).feed(training.temperature(), temp).feed(training.noiseSeed(), seed),
          terms);
    }
  }

  @Override
  public List<Phase> phases() {
    return List.of(new SimplePhase("train", config.epochs(), config.batchSize(), terms.names(),
        config::learningRate, true) {
      @Override
      public float learningRate(int epoch, long t) {
        return config.learningRate(epoch, t);
      }

      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        return trainStep(pixels, indices.length, config.temperature(epoch),
            learningRate(epoch, t), config.seed(), t);
      }
    });
  }

  /** PSNR (dB) of the reconstructions from the hard bits, the consumer's view, over {@code data}. */
  @Override
  public Map<String, Double> extraMetrics(Dataset data) {
    float[] rebuilt = new float[data.pixels().length];
    int dim = data.flatDim();
    int offset = 0;
    for (int[] batch : Batcher.forEvaluation(data.n(), Assignments.EVAL_BATCH).batches(0)) {
      float[] pixels = Batcher.gatherPixels(data, batch);
      try (TFloat32 xs = images(pixels, batch.length);
          var r = session().runner().feed(x, xs).fetch(inference.reconstruction()).run()) {
        float[] part = new float[batch.length * dim];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(part);
        System.arraycopy(part, 0, rebuilt, offset, part.length);
        offset += part.length;
      }
    }
    return Map.of("psnr", Compression.psnr(data.pixels(), rebuilt, dim));
  }

  @Override
  public String modelName() {
    return Vab.MODEL;
  }

  @Override
  protected void exportWeights(Map<String, TFloat32> weights, JsonObject info, Path target) {
    VabExport.export(config, weights, info, target);
  }

  @Override
  public Map<String, Operand<?>> trainingOutputs() {
    Map<String, Operand<?>> out = terms.outputs();
    out.put("logits", training.logits());
    return out;
  }

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    trainStep(pixels, batch, temperature, learningRate, noiseSeed, t);
  }

  @Override
  public AdamStep adamOf(String phase) {
    return adam;
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    int batch = indices.length;
    return new StepInputs(pixels, null, batch, config.temperature(epoch), 0f, 0f, config.seed(),
        t);
  }
}
