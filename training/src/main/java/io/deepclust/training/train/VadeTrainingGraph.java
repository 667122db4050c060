package io.deepclust.training.train;

import static java.util.Objects.requireNonNullElse;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.TrainingBranch;
import io.deepclust.graphs.models.Vade;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.graphs.train.MomentumStep;
import io.deepclust.training.eager.EagerModels.EagerModel;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.VadeExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.eager.EagerModels;
import io.deepclust.training.mixture.DiagonalGmm;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * with the config's {@link Pretraining} recipe (Adam, slots {@code <var>_pretrain_adam_*}, or SGD
 * with momentum, slots {@code <var>_pretrain_sgd_momentum}); phase "refit", when the recipe has
 * refit epochs, then fits the decoder alone to the summed BCE (Adam, slots
 * {@code <var>_refit_adam_*}). With a {@link PretrainCache} the autoencoder is taken from the
 * cache when an earlier run pretrained the same thing (both phases are then skipped), and stored
 * there when the last of them ends. Phase "joint" starts with {@link VadeStart} (GMM restarts on the encoder means, the best by
 * the training objective) and maximises the ELBO with Adam over every variable at the config's
 * decayed learning rate.
 */
public final class VadeTrainingGraph extends GraphModel<VadeConfig>
    implements EagerTrainable {
  /** VaDE's line of the registry ({@link Models#ALL}). */
  public static final ModelSpec<VadeConfig> SPEC = new ModelSpec<>(Vade.MODEL, VadeConfig.class,
      VadeTrainingGraph::configure, VadeTrainingGraph::new, VadeTrainingGraph::eagerPhases,
      json -> Models.upgradeVade(json, "pretraining", "gmmStart", "pretrainEpochs"), false, false);

  /** The paper's MNIST config with the request's options. */
  static VadeConfig configure(ConfigOptions o) {
    VadeConfig c = VadeStart.withOptions(VadeConfig.mnist(o.seed()), o);
    if (o.jointLearningRate() != null) {
      float lr = o.jointLearningRate();
      if (!(lr > 0 && lr < 1)) {
        throw new IllegalArgumentException("--joint-learning-rate must be in (0, 1), got " + lr);
      }
      c = c.withLearningRate(lr);
    }
    c = c.withEpochs(requireNonNullElse(o.pretrainEpochs(), c.pretraining().epochs()),
        requireNonNullElse(o.epochs(), c.epochs()));
    c = o.applyAug(c, VadeConfig::withAug);
    c = o.applyBackbone(c, VadeConfig::withBackbone);
    return o.batchSize() != null ? c.withBatchSize(o.batchSize()) : c;
  }

  /** The autoencoder pretraining (its weights only) and the joint phase. */
  static Map<String, EagerModel> eagerPhases(VadeConfig c) {
    List<String> autoencoder = new ArrayList<>();
    Map<String, EagerModel> out = new LinkedHashMap<>();
    out.put("pretrain", EagerModels.phase(c, (tf, p, config, x) -> {
      var t = Vade.training(tf, p, config, x);
      autoencoder.clear();
      autoencoder.addAll(Vade.variables(tf, p, config).autoencoderNames());
      return t;
    }, t -> TrainingBranch.named(TrainingBranch.LOSS, t.pretrainLoss()), autoencoder));
    out.put("joint", EagerModels.main(c, Vade::training));
    return out;
  }


  public final Placeholder<TFloat32> x;
  public final Vade.Training training;
  public final Vade.Inference inference;
  /** The pretraining optimizer: one of these two is built, after the recipe; the other is null. */
  public final AdamStep pretrainAdam;
  /** The decoder refit's Adam learning rate (Keras' default). */
  public static final float REFIT_LEARNING_RATE = 1e-3f;
  public final MomentumStep pretrainSgd;
  public final AdamStep adam;
  /** The joint step's loss, reconstruction, latent_kl, categorical_kl. */
  final LossTerms terms;
  /** The decoder refit's Adam (slots {@code <var>_refit_adam_*}); null when the recipe has none. */
  public final AdamStep refitAdam;
  /** The pretraining step's loss. */
  final LossTerms pretrainTerms;
  /** The decoder refit step's loss. */
  final LossTerms refitTerms;
  /** Whether the autoencoder came from the cache (the refit is then skipped too). */
  private boolean fromCache;
  /** Whether the joint phase may take a trained VaDE from the cache ({@link #reuseTrainedVade}). */
  private boolean reuseTrained;
  /** The cache's model name for trained VaDEs. */
  static final String TRAINED = "vade_trained";
  private final List<String> autoencoderNames;
  private PretrainCache cache;
  private String precision = "fp32";
  private JsonObject startReport;

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
    x = ModelConfig.imageInput(tf, config, "x");
    training = Vade.training(tf, params, config, x);
    inference = Vade.inference(tf, params, config, x);
    Vade.Variables v = Vade.variables(tf, params, config);
    var autoencoder = v.autoencoderNames().stream().map(params::variable).toList();
    Pretraining recipe = config.pretraining();
    boolean sgd = Pretraining.SGD_MOMENTUM.equals(recipe.optimizer());
    pretrainAdam = sgd ? null : new AdamStep(tf, "pretrain_adam", training.pretrainLoss(),
        autoencoder, v.autoencoderNames(), List.of(), config.adamEpsilon());
    pretrainSgd = sgd ? new MomentumStep(tf, "pretrain_sgd", training.pretrainLoss(),
        autoencoder, v.autoencoderNames(), recipe.momentum()) : null;
    autoencoderNames = v.autoencoderNames();
    List<String> decoder = autoencoderNames.stream().filter(n -> n.startsWith("px_")).toList();
    refitAdam = recipe.refitEpochs() == 0 ? null : new AdamStep(tf, "refit_adam",
        training.refitLoss(), decoder.stream().map(params::variable).toList(), decoder, List.of(),
        config.adamEpsilon());
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    wire(x, training.noiseSeed(), null, inference, adam);
    wireAugmentation(training.aug(), config.augmentation());
    terms = LossTerms.of(training.terms());
    pretrainTerms = LossTerms.loss(training.pretrainLoss());
    refitTerms = LossTerms.loss(training.refitLoss());
  }

  /** One joint step at step t (from 1) with noise seed [noiseSeed, t]; returns {@link #terms}. */
  public float[] jointStep(float[] pixels, int batch, float learningRate, long noiseSeed, long t) {
    return jointStep(pixels, pixels, batch, 0f, learningRate, noiseSeed, t);
  }

  /** {@link #jointStep} with x̂ and λ_aug, fed where the config has the augmentation loss. */
  public float[] jointStep(float[] pixels, float[] augmented, int batch, float augWeight,
      float learningRate, long noiseSeed, long t) {
    try (TFloat32 xs = images(pixels, batch);
        TFloat32 xa = augmentedImages(augmented, batch);
        TFloat32 aug = TFloat32.scalarOf(augWeight);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(adam, learningRate, t, r -> feedAugmentation(r.feed(x, xs)
          .feed(training.noiseSeed(), seed), xa, aug), terms);
    }
  }

  /** One autoencoder pretraining step with the recipe's optimizer; returns its loss. */
  public float[] pretrainStep(float[] pixels, int batch, float learningRate, long t) {
    try (TFloat32 xs = images(pixels, batch)) {
      if (pretrainSgd != null) {
        return momentumStep(pretrainSgd, learningRate, r -> r.feed(x, xs), pretrainTerms);
      }
      return adamStep(pretrainAdam, learningRate, t, r -> r.feed(x, xs), pretrainTerms);
    }
  }

  /** One decoder refit step (Adam on the BCE, encoder frozen); returns its loss. */
  public float[] refitStep(float[] pixels, int batch, float learningRate, long t) {
    try (TFloat32 xs = images(pixels, batch)) {
      return adamStep(refitAdam, learningRate, t, r -> r.feed(x, xs), refitTerms);
    }
  }

  /**
   * Takes the pretrained autoencoder from {@code cache} when an earlier run pretrained the same
   * architecture with the same recipe, data, seed and {@code precision}, and stores it there when
   * this run pretrains it.
   */
  public void usePretrainCache(PretrainCache cache, String precision) {
    this.cache = cache;
    this.precision = precision;
  }

  /** The mean −ELBO over {@code data} with noise seed [noiseSeed, 0] (the restarts' objective). */
  public double meanLoss(Dataset data, long noiseSeed) {
    double sum = 0;
    for (int[] batch : Batcher.forEvaluation(data.n(), Assignments.EVAL_BATCH).batches(0)) {
      try (TFloat32 xs = images(Batcher.gatherPixels(data, batch), batch.length);
          TInt64 seed = TInt64.vectorOf(noiseSeed, 0);
          var r = session().runner().feed(x, xs).feed(training.noiseSeed(), seed)
              .fetch(training.negativeElbo()).run()) {
        sum += ((TFloat32) r.get(0)).getFloat() * (double) batch.length;
      }
    }
    return sum / data.n();
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

  /** Sets π (the fit's weights), μ_c, σ²_c from a mixture fit. */
  public void setPrior(DiagonalGmm.Fit fit) {
    setPrior(fit, false);
  }

  /**
   * Sets μ_c and σ²_c from a mixture fit (pz_logvar = log σ²), and π from its weights or uniform
   * (pc_logits = log π, or 0).
   */
  public void setPrior(DiagonalGmm.Fit fit, boolean uniformWeights) {
    int k = config.clusters();
    int z = config.latentDim();
    float[] logits = new float[k];
    float[] means = new float[k * z];
    float[] logVars = new float[k * z];
    for (int c = 0; c < k; c++) {
      logits[c] = uniformWeights ? 0f : (float) Math.log(Math.max(fit.weights()[c], 1e-12));
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
    Pretraining recipe = config.pretraining();
    boolean refit = recipe.refitEpochs() > 0;
    if (recipe.epochs() > 0) {
      phases.add(new SimplePhase("pretrain", recipe.epochs(), recipe.batchSize(),
          pretrainTerms.names(), e -> recipe.learningRate(), false) {
        @Override
        public boolean restore(Dataset train, PrintStream out) {
          fromCache = restorePretrained(train, out);
          return fromCache;
        }

        @Override
        public void end(Dataset train, PrintStream out) {
          if (!refit) {
            storePretrained(train, out);
          }
        }

        @Override
        public float[] step(float[] pixels, int[] indices, int epoch, long t) {
          return pretrainStep(pixels, indices.length, recipe.learningRate(), t);
        }
      });
    }
    if (refit) {
      phases.add(new SimplePhase("refit", recipe.refitEpochs(), recipe.batchSize(),
          refitTerms.names(), e -> REFIT_LEARNING_RATE, false) {
        @Override
        public boolean restore(Dataset train, PrintStream out) {
          return fromCache || recipe.epochs() == 0 && restorePretrained(train, out);
        }

        @Override
        public void end(Dataset train, PrintStream out) {
          storePretrained(train, out);
        }

        @Override
        public float[] step(float[] pixels, int[] indices, int epoch, long t) {
          return refitStep(pixels, indices.length, REFIT_LEARNING_RATE, t);
        }
      });
    }
    phases.add(new SimplePhase("joint", config.epochs(), config.batchSize(),
        terms.names(), config::learningRate, true) {
      @Override
      public boolean restore(Dataset train, PrintStream out) {
        return reuseTrained && restoreTrained(train, out);
      }

      @Override
      public void end(Dataset train, PrintStream out) {
        storeTrained(train, out);
      }

      @Override
      public void begin(Dataset train, PrintStream out) {
        startReport = VadeStart.run(VadeTrainingGraph.this, train, out);
      }

      @Override
      public JsonObject startReport() {
        return startReport;
      }

      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
        return jointStep(pixels, augmented(pixels, batch, t), batch,
            AugmentationLoss.weightAt(epoch), config.learningRate(epoch), config.seed(), t);
      }
    });
    return phases;
  }

  /**
   * Lets the joint phase take a trained VaDE of this very config (every setting, epochs and seed
   * included) from the cache, where VaDE runs store theirs when their joint phase ends: k-DVAE
   * starts from the VaDE a VaDE run trained instead of training it again.
   */
  void reuseTrainedVade() {
    reuseTrained = true;
  }

  private PretrainCache.Key trainedKey(Dataset train) {
    JsonObject all = new Gson().toJsonTree(config).getAsJsonObject();
    return PretrainCache.key(TRAINED, all, train, config.seed(), precision);
  }

  private boolean restoreTrained(Dataset train, PrintStream out) {
    return restore(trainedKey(train), "trained VaDE", config.epochs() + " joint epochs", out);
  }

  private void storeTrained(Dataset train, PrintStream out) {
    store(trainedKey(train), params.trainableNames(), "trained VaDE", out);
  }

  private PretrainCache.Key cacheKey(Dataset train) {
    JsonObject recipe = new JsonObject();
    Gson gson = new Gson();
    recipe.add("input_shape", gson.toJsonTree(config.inputShape()));
    recipe.add("encoder_hidden", gson.toJsonTree(config.encoderHidden()));
    recipe.add("decoder_hidden", gson.toJsonTree(config.decoderHidden()));
    recipe.addProperty("latent_dim", config.latentDim());
    recipe.addProperty("clusters", config.clusters());
    recipe.add("pretraining", gson.toJsonTree(config.pretraining()));
    if (!Backbone.MLP.equals(config.backbone())) {
      // Only where not the paper's, so that the cache entries made before the key stay valid.
      recipe.addProperty("backbone", config.backbone());
    }
    return PretrainCache.key(Vade.MODEL, recipe, train, config.seed(), precision);
  }

  private boolean restorePretrained(Dataset train, PrintStream out) {
    return restore(cacheKey(train), "autoencoder", config.pretraining().key(), out);
  }

  private void storePretrained(Dataset train, PrintStream out) {
    store(cacheKey(train), autoencoderNames, "autoencoder", out);
  }

  /** Assigns the cache's entry of {@code key} (the {@code what}) when there is one. */
  private boolean restore(PretrainCache.Key key, String what, String detail, PrintStream out) {
    if (cache == null) {
      return false;
    }
    var weights = cache.load(key, out::println);
    if (weights.isEmpty()) {
      out.printf("pretraining cache: no entry %s yet: training the %s (%s)%n",
          key.directoryName(), what, detail);
      return false;
    }
    try {
      params.assignSome(session(), weights.get());
    } finally {
      weights.get().values().forEach(TFloat32::close);
    }
    out.printf("pretraining cache: took the %s from %s (%s)%n", what,
        cache.root().resolve(key.directoryName()), detail);
    return true;
  }

  /** Stores the variables {@code names} as the cache's entry of {@code key}. */
  private void store(PretrainCache.Key key, List<String> names, String what, PrintStream out) {
    if (cache == null) {
      return;
    }
    Map<String, TFloat32> all = params.read(session());
    try {
      Map<String, TFloat32> chosen = new LinkedHashMap<>();
      names.forEach(n -> chosen.put(n, all.get(n)));
      Path dir = cache.store(key, chosen, new JsonObject());
      out.println("pretraining cache: stored the " + what + " in " + dir);
    } finally {
      all.values().forEach(TFloat32::close);
    }
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
    // The pretraining recipe's loss and the refit's, so the cross-check's forward rows cover them.
    out.put("pretrain_loss", training.pretrainLoss());
    out.put("refit_loss", training.refitLoss());
    return out;
  }

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    jointStep(pixels, crossCheckAug.step(pixels, t), batch, crossCheckAug.weight(), learningRate,
        noiseSeed, t);
  }

  @Override
  public AdamStep adamOf(String phase) {
    if ("pretrain".equals(phase) && pretrainAdam == null) {
      throw new IllegalArgumentException("eager training runs Adam phases only; this VaDE's"
          + " pretraining recipe is " + config.pretraining().optimizer() + " (train it in session"
          + " mode, or pick --pretrain-recipe adam-bce)");
    }
    return switch (phase) {
      case "pretrain" -> pretrainAdam;
      case "refit" -> refitAdam;
      default -> adam;
    };
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    // Pretraining is deterministic: its noise seed (and x̂ with the augmentation loss) is fed but
    // unused; the joint phase counts λ_aug's epochs from its start.
    int batch = indices.length;
    return new StepInputs(pixels, augmented(pixels, batch, t), batch, 0f, 0f,
        AugmentationLoss.weightAt(epoch), config.seed(), t);
  }
}
