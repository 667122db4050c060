package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.graphs.models.Vade;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.VadeExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.mixture.DiagonalGmm;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The VaDE training graph (vade.txt §4.1): phase "pretrain" trains the deterministic autoencoder
 * (its own Adam, slots {@code <var>_pretrain_adam_*}); phase "joint" starts by fitting a diagonal
 * GMM on the encoder means of the training set ({@link DiagonalGmm}: k-means++, EM, best of
 * {@link #GMM_RESTARTS}) to set π, μ_c, σ²_c, then maximises the ELBO with Adam over every variable
 * at the config's decayed learning rate.
 */
public final class VadeTrainingGraph extends GraphModel<VadeConfig>
    implements EagerTrainable {
  public static final int GMM_RESTARTS = 3;
  public static final int GMM_MAX_ITERATIONS = 200;

  public final Placeholder<TFloat32> x;
  public final Vade.Training training;
  public final Vade.Inference inference;
  public final AdamStep pretrainAdam;
  public final AdamStep adam;
  /** The joint step's loss, reconstruction, latent_kl, categorical_kl. */
  final LossTerms terms;
  /** The pretraining step's loss. */
  final LossTerms pretrainTerms;

  public VadeTrainingGraph(VadeConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public VadeTrainingGraph(VadeConfig config, SessionSettings session) {
    this(config, new Graph(), null);
    start(session);
  }

  /**
   * Builds the VaDE inside another model's graph with {@code scoped} ops (a sub-scope keeps its op
   * names apart); the owner creates the session and calls {@link #bind}.
   */
  VadeTrainingGraph(VadeConfig config, Graph graph, Ops scoped) {
    super(config, graph, scoped, config.seed());
    Ops tf = ops();
    x = Vade.imageInput(tf, config, "x");
    training = Vade.training(tf, params, config, x);
    inference = Vade.inference(tf, params, config, x);
    Vade.Variables v = Vade.variables(tf, params, config);
    pretrainAdam = new AdamStep(tf, "pretrain_adam", training.pretrainLoss(),
        v.autoencoderNames().stream().map(params::variable).toList(), v.autoencoderNames(),
        List.of(), config.adamEpsilon());
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    wire(x, training.noiseSeed(), null, inference, adam);
    terms = new LossTerms().add("loss", training.loss())
        .add("reconstruction", training.reconstruction()).add("latent_kl", training.latentKl())
        .add("categorical_kl", training.categoricalKl());
    pretrainTerms = new LossTerms().add("loss", training.pretrainLoss());
  }

  /** One joint step at step t (from 1) with noise seed [noiseSeed, t]; returns {@link #terms}. */
  public float[] jointStep(float[] pixels, int batch, float learningRate, long noiseSeed, long t) {
    try (TFloat32 xs = images(pixels, batch);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(adam, learningRate, t, r -> r.feed(x, xs).feed(training.noiseSeed(), seed),
          terms);
    }
  }

  /** One autoencoder pretraining step; returns its loss. */
  public float[] pretrainStep(float[] pixels, int batch, float learningRate, long t) {
    try (TFloat32 xs = images(pixels, batch)) {
      return adamStep(pretrainAdam, learningRate, t, r -> r.feed(x, xs),
          pretrainTerms);
    }
  }

  /** Encoder means μ̃ of every image, [n][Z]. */
  public double[][] embed(Dataset data) {
    double[][] out = new double[data.n()][];
    int offset = 0;
    for (int[] batch : Batcher.forEvaluation(data.n(), Assignments.EVAL_BATCH).batches(0)) {
      try (TFloat32 xs = images(Batcher.gatherPixels(data, batch), batch.length);
          var r = session().runner().feed(x, xs).fetch(inference.embedding()).run()) {
        float[] z = new float[batch.length * config.latentDim()];
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(z);
        for (int i = 0; i < batch.length; i++) {
          out[offset + i] = new double[config.latentDim()];
          for (int j = 0; j < config.latentDim(); j++) {
            out[offset + i][j] = z[i * config.latentDim() + j];
          }
        }
        offset += batch.length;
      }
    }
    return out;
  }

  /** Sets π, μ_c, σ²_c from a mixture fit: pc_logits = log π, pz_logvar = log σ². */
  public void setPrior(DiagonalGmm.Fit fit) {
    int k = config.clusters();
    int z = config.latentDim();
    float[] logits = new float[k];
    float[] means = new float[k * z];
    float[] logVars = new float[k * z];
    for (int c = 0; c < k; c++) {
      logits[c] = (float) Math.log(Math.max(fit.weights()[c], 1e-12));
      for (int j = 0; j < z; j++) {
        means[c * z + j] = (float) fit.means()[c][j];
        logVars[c * z + j] = (float) Math.log(fit.variances()[c][j]);
      }
    }
    try (TFloat32 l = TFloat32.tensorOf(Shape.of(k), DataBuffers.of(logits, true, false));
        TFloat32 m = TFloat32.tensorOf(Shape.of(k, z), DataBuffers.of(means, true, false));
        TFloat32 v = TFloat32.tensorOf(Shape.of(k, z), DataBuffers.of(logVars, true, false))) {
      params.assignSome(session(), Map.of("pc_logits", l, "pz_mean", m, "pz_logvar", v));
    }
  }

  @Override
  public List<Phase> phases() {
    List<Phase> phases = new ArrayList<>();
    if (config.pretrainEpochs() > 0) {
      phases.add(new SimplePhase("pretrain", config.pretrainEpochs(), config.batchSize(),
          pretrainTerms.names(), e -> config.pretrainLearningRate(), false) {
        @Override
        public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
          return pretrainStep(pixels, batch, config.pretrainLearningRate(), t);
        }
      });
    }
    phases.add(new SimplePhase("joint", config.epochs(), config.batchSize(),
        terms.names(), config::learningRate, true) {
      @Override
      public void begin(Dataset train, PrintStream out) {
        long start = System.nanoTime();
        DiagonalGmm.Fit fit = DiagonalGmm.fit(embed(train), config.clusters(), GMM_RESTARTS,
            config.seed(), GMM_MAX_ITERATIONS);
        setPrior(fit);
        int[] labels = train.labels();
        out.printf("GMM on the autoencoder's embedding of the training set: mean log-likelihood"
            + " %.3f, k-means ACC %.4f (training set), %.1fs%n", fit.logLikelihood(),
            ClusteringMetrics.accuracy(labels, fit.kmeansLabels()).acc(),
            (System.nanoTime() - start) / 1e9);
      }

      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
        return jointStep(pixels, batch, config.learningRate(epoch), config.seed(), t);
      }
    });
    return phases;
  }

  @Override
  public String modelName() {
    return Vade.MODEL;
  }

  @Override
  protected void exportWeights(Map<String, TFloat32> weights, JsonObject info, Path target) {
    VadeExport.export(config, weights, info, target);
  }

  @Override
  public Map<String, Operand<?>> trainingOutputs() {
    Map<String, Operand<?>> out = terms.outputs();
    out.put("log_gamma", training.logGamma());
    return out;
  }

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    jointStep(pixels, batch, learningRate, noiseSeed, t);
  }

  @Override
  public AdamStep adamOf(String phase) {
    return "pretrain".equals(phase) ? pretrainAdam : adam;
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    // Pretraining is deterministic: its noise seed is fed but unused.
    return new StepInputs(pixels, null, indices.length, 0f, 0f, 0f, config.seed(), t);
  }
}
