package io.deepclust.training.train;

import static java.util.Objects.requireNonNullElse;

import com.google.gson.JsonObject;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.models.Kdvae;
import io.deepclust.graphs.models.KdvaeConfig;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.TrainingBranch;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.EagerModel;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.KdvaeExport;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.GroupBatcher;
import io.deepclust.training.eager.EagerModels;
import io.deepclust.training.metrics.ClusteringMetrics;
import io.deepclust.training.mixture.KMeans;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The k-DVAE training graph (k-dvae.txt §4.2): first a VaDE in the same graph (op names under
 * {@code init_vade/}) trains through its own phases ("vade_pretrain", "vade_joint"); k-means on its
 * latent means of the training set (best of {@value #KMEANS_RESTARTS} runs) gives the initial
 * clusters; phase "pair_pretrain" trains each encoder/decoder pair as a VAE on its own cluster, all
 * K side by side: a step's batch is K blocks of the config's batch size, block i from cluster i
 * ({@link GroupBatcher}), so a pair epoch is n / (K·batch) steps and each pair sees about n / K
 * samples in it, whatever its cluster's size (k-DAE trains each autoencoder alone on its cluster);
 * phase "joint" maximises Eq. 6. Only the k-DVAE variables are exported.
 */
public final class KdvaeTrainingGraph extends GraphModel<KdvaeConfig>
    implements EagerTrainable {
  /** k-DVAE's line of the registry ({@link Models#ALL}); XLA measured faster on a CPU. */
  public static final ModelSpec<KdvaeConfig> SPEC = new ModelSpec<>(Kdvae.MODEL,
      KdvaeConfig.class, KdvaeTrainingGraph::configure, KdvaeTrainingGraph::new,
      KdvaeTrainingGraph::eagerPhases, json -> Models.upgradeVade(json, "initVadePretraining",
          "initVadeGmmStart", "initVadePretrainEpochs"), true, false);

  /** The paper's MNIST config, its initialising VaDE's start with the request's options. */
  static KdvaeConfig configure(ConfigOptions o) {
    KdvaeConfig c = KdvaeConfig.mnist(o.seed())
        .withInitVade(VadeStart.withOptions(VadeConfig.mnist(o.seed()), o));
    c = c.withEpochs(requireNonNullElse(o.pretrainEpochs(), c.initVadePretrainEpochs()),
        requireNonNullElse(o.initVadeEpochs(), c.initVadeEpochs()),
        requireNonNullElse(o.pairPretrainEpochs(), c.pairPretrainEpochs()),
        requireNonNullElse(o.epochs(), c.epochs()));
    if (o.initialClusters() != null) {
      try {
        c = c.withInitialClusters(o.initialClusters());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--initial-clusters: " + e.getMessage());
      }
    }
    c = o.applyAug(c, KdvaeConfig::withAug);
    c = o.applyBackbone(c, KdvaeConfig::withBackbone);
    return o.batchSize() != null ? c.withBatchSize(o.batchSize()) : c;
  }

  /** The pairs' pretraining and the joint phase (the initialising VaDE runs in the session). */
  static Map<String, EagerModel> eagerPhases(KdvaeConfig c) {
    Map<String, EagerModel> out = new LinkedHashMap<>();
    out.put("pair_pretrain", EagerModels.phase(c, Kdvae::training,
        t -> TrainingBranch.named(TrainingBranch.LOSS, t.pairLoss()), null));
    out.put("joint", EagerModels.main(c, Kdvae::training));
    return out;
  }

  /** k-means runs on the VaDE's latent means, the least squared error kept (k-DAE's 100). */
  public static final int KMEANS_RESTARTS = 100;

  public final Placeholder<TFloat32> x;
  public final Kdvae.Training training;
  public final Kdvae.Inference inference;
  public final AdamStep pairAdam;
  public final AdamStep adam;
  /** The joint step's loss (Eq. 6). */
  final LossTerms terms;
  /** The pair pretraining step's loss. */
  final LossTerms pairTerms;
  private final VadeTrainingGraph initVade;
  private int[] initialClusters;
  private GroupBatcher pairBatches;
  /** The training set the pair phase's blocks come from (set when the phase begins). */
  private Dataset pairData;

  public KdvaeTrainingGraph(KdvaeConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public KdvaeTrainingGraph(KdvaeConfig config, SessionSettings session) {
    super(config, new Graph(), null, config.seed());
    Ops tf = ops();
    initVade = new VadeTrainingGraph(config.initVade(), graph, tf.withSubScope("init_vade"));
    x = ModelConfig.imageInput(tf, config, "x");
    training = Kdvae.training(tf, params, config, x);
    inference = Kdvae.inference(tf, params, config, x);
    pairAdam = new AdamStep(tf, "pair_adam", training.pairLoss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    wire(x, training.noiseSeed(), null, inference, adam);
    wireAugmentation(training.aug(), config.augmentation());
    terms = LossTerms.of(training.terms());
    pairTerms = LossTerms.loss(training.pairLoss());
    start(session);
    initVade.bind(session());
  }

  /**
   * The initialising VaDE's pretraining cache ({@link VadeTrainingGraph#usePretrainCache}); its
   * joint phase also takes a VaDE trained by a VaDE run of the same config from there.
   */
  public void usePretrainCache(PretrainCache cache, String precision) {
    initVade.usePretrainCache(cache, precision);
    initVade.reuseTrainedVade();
  }

  /** One joint step (Eq. 6) at step t with noise seed [noiseSeed, t]; returns the loss. */
  public float[] jointStep(float[] pixels, int batch, float learningRate, long noiseSeed, long t) {
    return jointStep(pixels, pixels, 0f, learningRate, noiseSeed, t);
  }

  /** {@link #jointStep} with x̂ and λ_aug, fed where the config has the augmentation loss. */
  public float[] jointStep(float[] pixels, float[] augmented, float augWeight, float learningRate,
      long noiseSeed, long t) {
    return step(adam, terms, pixels, augmented, augWeight, learningRate, noiseSeed, t);
  }

  /**
   * One step of each pair's VAE on its own samples: {@code pixels} are K equal blocks, block i
   * pair i's samples; returns the loss.
   */
  public float[] pairStep(float[] pixels, float learningRate, long noiseSeed, long t) {
    return step(pairAdam, pairTerms, pixels, pixels, 0f, learningRate, noiseSeed, t);
  }

  /** A step of {@code opt}; x̂ and λ_aug fed where the config has the augmentation loss. */
  private float[] step(AdamStep opt, LossTerms loss, float[] pixels, float[] augmented,
      float augWeight, float learningRate, long noiseSeed, long t) {
    int batch = pixels.length / config.inputDim();
    try (TFloat32 xs = images(pixels, batch);
        TFloat32 xa = augmentedImages(augmented, batch);
        TFloat32 aug = TFloat32.scalarOf(augWeight);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(opt, learningRate, t,
          r -> feedAugmentation(r.feed(x, xs).feed(training.noiseSeed(), seed), xa, aug), loss);
    }
  }

  /**
   * The initial clusters of the training set (deterministic): k-means on the initialising VaDE's
   * latent means, or the VaDE's own clusters, as the config says.
   */
  private int[] initialClusters(Dataset train, PrintStream out) {
    pairData = train;
    if (initialClusters == null) {
      long start = System.nanoTime();
      boolean kmeans = KdvaeConfig.KMEANS.equals(config.initialClusters());
      initialClusters = kmeans
          ? KMeans.labels(initVade.embed(train), config.clusters(), KMEANS_RESTARTS, config.seed())
          : initVade.assign(train);
      out.printf("initial clusters: %s, ACC %.4f on the training set, %.1fs%n", kmeans
          ? "k-means on the VaDE latent space" : "the VaDE's own clusters (argmax q(c|x))",
          ClusteringMetrics.accuracy(train.labels(), initialClusters).acc(),
          (System.nanoTime() - start) / 1e9);
      try {
        pairBatches = new GroupBatcher(initialClusters, config.clusters(), config.batchSize(),
            config.seed() + 1);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("the initial clusters (" + config.initialClusters()
            + ") leave a cluster empty, so its pair has nothing to pretrain on: "
            + e.getMessage(), e);
      }
    }
    return initialClusters;
  }

  /** The pair phase's batch at step t: K blocks, block i from initial cluster i. */
  private float[] pairPixels(long t) {
    return Batcher.gatherPixels(pairData, pairBatches.batch(t));
  }

  @Override
  public List<Phase> phases() {
    List<Phase> phases = new ArrayList<>();
    for (Phase p : initVade.phases()) {
      phases.add(new Phase() {
        @Override
        public String name() {
          return "vade_" + p.name();
        }

        @Override
        public int epochs() {
          return p.epochs();
        }

        @Override
        public int batchSize() {
          return p.batchSize();
        }

        @Override
        public List<String> termNames() {
          return p.termNames();
        }

        @Override
        public float learningRate(int epoch) {
          return p.learningRate(epoch);
        }

        @Override
        public void begin(Dataset train, PrintStream out) {
          p.begin(train, out);
        }

        @Override
        public boolean restore(Dataset train, PrintStream out) {
          return p.restore(train, out);
        }

        @Override
        public void end(Dataset train, PrintStream out) {
          p.end(train, out);
        }

        @Override
        public com.google.gson.JsonObject startReport() {
          return p.startReport();
        }

        @Override
        public boolean evaluates() {
          return p.evaluates();
        }

        @Override
        public int[] assign(TrainingModel model, Dataset data) {
          return initVade.assign(data);
        }

        @Override
        public float[] step(float[] pixels, int[] indices, int epoch, long t) {
          return p.step(pixels, indices, epoch, t);
        }
      });
    }
    // The trainer's batch of K·batch random images only counts the steps: each step takes its own
    // K blocks from the clusters.
    phases.add(new SimplePhase("pair_pretrain", config.pairPretrainEpochs(),
        config.clusters() * config.batchSize(), pairTerms.names(), e -> config.learningRate(),
        true) {
      @Override
      public void begin(Dataset data, PrintStream stream) {
        initialClusters(data, stream);
      }

      @Override
      public void resume(Dataset data, PrintStream stream) {
        begin(data, stream);
      }

      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        return pairStep(pairPixels(t), config.learningRate(), config.seed() + 1, t);
      }
    });
    phases.add(new SimplePhase("joint", config.epochs(), config.batchSize(), terms.names(),
        e -> config.learningRate(), true) {
      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        return jointStep(pixels, augmented(pixels, indices.length, t),
            AugmentationLoss.weightAt(epoch), config.learningRate(), config.seed(), t);
      }
    });
    return phases;
  }

  @Override
  public String modelName() {
    return Kdvae.MODEL;
  }

  @Override
  protected void exportWeights(Map<String, TFloat32> weights, JsonObject info, Path target) {
    KdvaeExport.export(config, weights, info, target);
  }

  @Override
  public Map<String, Operand<?>> trainingOutputs() {
    Map<String, Operand<?>> out = terms.outputs();
    out.put("score", training.score());
    out.put("assigned", training.assigned());
    out.put("pair_loss", training.pairLoss());
    return out;
  }

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    jointStep(pixels, crossCheckAug.step(pixels, t), crossCheckAug.weight(), learningRate,
        noiseSeed, t);
  }

  @Override
  public void close() {
    initVade.close();
    super.close();
  }

  @Override
  public AdamStep adamOf(String phase) {
    return "pair_pretrain".equals(phase) ? pairAdam : adam;
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    if (!"pair_pretrain".equals(phase)) {
      int batch = indices.length;
      return new StepInputs(pixels, augmented(pixels, batch, t), batch, 0f, 0f,
          AugmentationLoss.weightAt(epoch), config.seed(), t);
    }
    // The pair phase's begin (or resume) has found the initial clusters; x̂ is fed but unused.
    float[] pair = pairPixels(t);
    return new StepInputs(pair, pair, pairBatches.batchSize(), 0f, 0f, 0f, config.seed() + 1, t);
  }
}
