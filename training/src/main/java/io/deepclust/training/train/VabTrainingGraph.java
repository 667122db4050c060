package io.deepclust.training.train;

import static java.util.Objects.requireNonNullElse;

import com.google.gson.JsonObject;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.Vab;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.VabExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.eager.EagerModels;
import io.deepclust.training.metrics.Compression;
import io.deepclust.training.mixture.BernoulliMixture;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;

/**
 * The VAB training graph: training and inference branches over shared weights, one Adam step over
 * every variable (encoder, decoder and the Bernoulli-mixture prior jointly, §2.4). One phase,
 * "train", with the config's learning-rate decay and Gumbel temperature per epoch. With the
 * config's {@code uniformPrior} (the public code's variant) Adam trains the encoder and decoder
 * only, and before each evaluation the mixture is fitted by EM to the training set's bits
 * ({@link BernoulliMixture}: from the current mixture and from a fresh start, the higher
 * likelihood kept) and written into {@code pc_logits} and {@code pz_logits}.
 */
public final class VabTrainingGraph extends GraphModel<VabConfig>
    implements EagerTrainable {
  /** VAB's line of the registry ({@link Models#ALL}). */
  public static final ModelSpec<VabConfig> SPEC = new ModelSpec<>(Vab.MODEL, VabConfig.class,
      VabTrainingGraph::configure, VabTrainingGraph::new,
      c -> Map.of("train", EagerModels.main(c, Vab::training)));

  /** The public code's MNIST config (the paper's settings) with the request's options. */
  static VabConfig configure(ConfigOptions o) {
    VabConfig c = VabConfig.mnist(o.seed());
    c = c.with(requireNonNullElse(o.bits(), c.bits()), requireNonNullElse(o.epochs(), c.epochs()),
        requireNonNullElse(o.batchSize(), c.batchSize()), o.straightThrough());
    if (o.temperatureAnnealEpochs() != null) {
      c = c.withTemperatureAnnealEpochs(o.temperatureAnnealEpochs());
    }
    if (o.warmupSteps() != null) {
      c = c.withWarmupSteps(o.warmupSteps());
    }
    if (o.uniformPrior()) {
      if (o.eager()) {
        throw new IllegalArgumentException("--uniform-prior fits the mixture in the session after"
            + " each epoch; it needs --mode session");
      }
      c = c.withUniformPrior(true);
    }
    if (o.hidden() != null) {
      try {
        c = c.withHidden(o.hidden());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--hidden: " + e.getMessage());
      }
    }
    c = o.applyAug(c, VabConfig::withAug);
    return o.applyBackbone(c, VabConfig::withBackbone);
  }

  public final Placeholder<TFloat32> x;
  public final Vab.Training training;
  public final Vab.Inference inference;
  public final AdamStep adam;
  /** The variables Adam trains (all but the mixture's with the uniform prior). */
  private final List<String> trainedNames;
  /** The vendor's bits [l > 0], uint8 [B, d]. */
  final Operand<TUint8> bits;
  /** The training branch's terms ({@code Training.terms()}): fetched and logged each step. */
  final LossTerms terms;

  /** The Bernoulli mixture's variables. */
  static final List<String> MIXTURE = List.of("pc_logits", "pz_logits");
  /** EM's iteration cap per fit (the public code's n_iter). */
  static final int EM_ITERATIONS = 300;

  public VabTrainingGraph(VabConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public VabTrainingGraph(VabConfig config, SessionSettings session) {
    super(config, new Graph(), null, config.seed());
    Ops tf = ops();
    x = ModelConfig.imageInput(tf, config, "x");
    training = Vab.training(tf, params, config, x);
    inference = Vab.inference(tf, params, config, x);
    bits = Vab.compress(tf, params, config, x);
    trainedNames = params.trainableNames().stream()
        .filter(n -> !config.uniformPrior() || !MIXTURE.contains(n)).toList();
    adam = new AdamStep(tf, "adam", training.loss(),
        trainedNames.stream().map(params::variable).toList(), trainedNames, List.of(),
        config.adamEpsilon());
    wire(x, training.noiseSeed(), training.temperature(), inference, adam);
    terms = LossTerms.of(training.terms());
    wireAugmentation(training.aug(), config.augmentation());
    start(session);
  }

  /** One Adam step at step t (from 1), noise seed [noiseSeed, t]; returns {@link #terms}. */
  public float[] trainStep(float[] pixels, int batch, float temperature, float learningRate,
      long noiseSeed, long t) {
    return trainStep(pixels, pixels, batch, temperature, 0f, learningRate, noiseSeed, t);
  }

  /** {@link #trainStep} with x̂ and λ_aug, fed where the config has the augmentation loss. */
  public float[] trainStep(float[] pixels, float[] augmented, int batch, float temperature,
      float augWeight, float learningRate, long noiseSeed, long t) {
    try (TFloat32 xs = images(pixels, batch);
        TFloat32 xa = augmentedImages(augmented, batch);
        TFloat32 aug = TFloat32.scalarOf(augWeight);
        TFloat32 temp = TFloat32.scalarOf(temperature);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(adam, learningRate, t, r -> feedAugmentation(r.feed(x, xs)
          .feed(training.temperature(), temp).feed(training.noiseSeed(), seed), xa, aug), terms);
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
        int batch = indices.length;
        return trainStep(pixels, augmented(pixels, batch, t), batch, config.temperature(epoch),
            AugmentationLoss.weightAt(epoch), learningRate(epoch, t), config.seed(), t);
      }

      @Override
      public void beforeEvaluation(Dataset train, int epoch, PrintStream out) {
        if (config.uniformPrior()) {
          fitMixture(train, epoch, out);
        }
      }
    });
  }

  /** A float variable's values, row-major. */
  float[] readVariable(String name, int size) {
    float[] out = new float[size];
    try (var r = session().runner().fetch(params.variable(name)).run()) {
      ((TFloat32) r.get(0)).asRawTensor().data().asFloats().read(out);
    }
    return out;
  }

  /** The bits b = [l > 0] of every image, row-major [N, d]. */
  public byte[] compress(Dataset data) {
    int d = config.bits();
    byte[] out = new byte[data.n() * d];
    int offset = 0;
    for (int[] batch : Batcher.forEvaluation(data.n(), Assignments.EVAL_BATCH).batches(0)) {
      try (TFloat32 xs = images(Batcher.gatherPixels(data, batch), batch.length);
          var r = session().runner().feed(x, xs).fetch(bits).run()) {
        ((TUint8) r.get(0)).asRawTensor().data().read(out, offset, batch.length * d);
        offset += batch.length * d;
      }
    }
    return out;
  }

  /**
   * The uniform-prior variant's post-hoc clustering: EM on the training bits from the current
   * mixture and from a Beta(2, 2) start seeded by (seed, epoch); the fit of higher likelihood
   * becomes pc_logits = log π and pz_logits = logit θ.
   */
  void fitMixture(Dataset train, int epoch, PrintStream out) {
    int k = config.clusters();
    int d = config.bits();
    byte[] codes = compress(train);
    float[] logits = readVariable("pc_logits", k);
    float[] prior = readVariable("pz_logits", k * d);
    double[] w = new double[k];
    double[][] theta = new double[k][d];
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int c = 0; c < k; c++) {
      w[c] = Math.exp(logits[c] - max);
      sum += w[c];
      for (int j = 0; j < d; j++) {
        double t = 1 / (1 + Math.exp(-prior[c * d + j]));
        theta[c][j] = Math.min(1 - BernoulliMixture.FLOOR, Math.max(BernoulliMixture.FLOOR, t));
      }
    }
    for (int c = 0; c < k; c++) {
      w[c] /= sum;
    }
    var current = BernoulliMixture.em(codes, d,
        new BernoulliMixture.Fit(w, theta, Double.NaN, 0), EM_ITERATIONS);
    var fresh = BernoulliMixture.em(codes, d,
        BernoulliMixture.start(k, d, config.seed() * 1_000_003L + epoch), EM_ITERATIONS);
    var best = fresh.meanLogLikelihood() > current.meanLogLikelihood() ? fresh : current;
    out.printf("bernoulli mixture: log-likelihood %.4f from the current mixture (%d EM steps),"
        + " %.4f from a fresh start (%d); kept the %s%n", current.meanLogLikelihood(),
        current.iterations(), fresh.meanLogLikelihood(), fresh.iterations(),
        best == fresh ? "fresh one" : "current one");
    float[] newLogits = new float[k];
    float[] newPrior = new float[k * d];
    for (int c = 0; c < k; c++) {
      newLogits[c] = (float) Math.log(Math.max(best.weights()[c], 1e-30));
      for (int j = 0; j < d; j++) {
        double t = best.theta()[c][j];
        newPrior[c * d + j] = (float) (Math.log(t) - Math.log1p(-t));
      }
    }
    try (TFloat32 l = TFloat32.tensorOf(Shape.of(k), DataBuffers.of(newLogits, true, false));
        TFloat32 m = TFloat32.tensorOf(Shape.of(k, d), DataBuffers.of(newPrior, true, false))) {
      params.assignSome(session(), Map.of("pc_logits", l, "pz_logits", m));
    }
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
    trainStep(pixels, crossCheckAug.step(pixels, t), batch, temperature, crossCheckAug.weight(),
        learningRate, noiseSeed, t);
  }

  @Override
  public List<String> gradientNames() {
    return trainedNames;
  }

  @Override
  public AdamStep adamOf(String phase) {
    return adam;
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    int batch = indices.length;
    return new StepInputs(pixels, augmented(pixels, batch, t), batch, config.temperature(epoch),
        0f, AugmentationLoss.weightAt(epoch), config.seed(), t);
  }
}
