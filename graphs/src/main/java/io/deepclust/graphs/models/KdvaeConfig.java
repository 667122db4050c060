package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;

/**
 * k-DVAE settings (k-dvae.txt §4.2; docs/models.md): K encoder/decoder pairs D-500-100-Z /
 * Z-100-500-D, Z = 10, batch 100, Adam 1e-3. The paper gives no epoch counts: {@code epochs} (the
 * joint phase of Eq. 6, 40) and {@code pairPretrainEpochs} (each pair a VAE on its k-means cluster,
 * 100) are k-DAE's (yanivopo/K-DAE, the authors' earlier model; its batch of 256 is not taken, so
 * that the initialising VaDE keeps VaDE's 100). The initial clusters come from
 * k-means on the latent means of a VaDE (pretrained by {@code initVadePretraining}, its prior
 * started by {@code initVadeGmmStart}, then {@code initVadeEpochs} joint, VaDE's own defaults; the
 * paper takes this initialisation from DGG, whose code loads a trained VaDE). {@code
 * initialClusters} says how: {@value #KMEANS} (the paper's: k-means on the VaDE's latent means) or
 * {@value #VADE} (the VaDE's own clusters, argmax of its q(c|x); DGG starts from the trained
 * VaDE's GMM as a whole). A config without it (written before it existed) reads as k-means.
 * {@code backbone} ({@link Backbone}; ours, not the paper's): the image end of every pair's
 * encoder and decoder, mlp (the paper's dense nets; a config without the key) or conv (K compact
 * conv nets, {@link io.deepclust.graphs.layers.BatchedConv}); the initialising VaDE stays dense.
 * {@code aug} (ours; null reads none): {@code w2} adds the augmentation loss to the joint phase
 * ({@link AugmentationLoss#perCluster} with q(c|·) the Eq. 8 softmax and each pair's Gaussian),
 * x̂ made by {@code augmentation}.
 */
public record KdvaeConfig(
    int[] inputShape,
    int clusters,
    int latentDim,
    int[] encoderHidden,
    int[] decoderHidden,
    float learningRate,
    float adamEpsilon,
    int batchSize,
    int epochs,
    int pairPretrainEpochs,
    Pretraining initVadePretraining,
    GmmStart initVadeGmmStart,
    int initVadeEpochs,
    String initialClusters,
    long seed,
    String backbone,
    String aug,
    String augmentation) implements ModelConfig {

  /** Initial clusters by k-means on the VaDE's latent means (k-dvae.txt §4.2). */
  public static final String KMEANS = "kmeans";
  /** Initial clusters as the VaDE's own assignments. */
  public static final String VADE = "vade";

  public static final int[] MNIST_SHAPE = {28, 28, 1};
  public static final int CLUSTERS = 10;
  public static final int LATENT_DIM = 10;
  public static final int[] ENCODER_HIDDEN = {500, 100};
  public static final int[] DECODER_HIDDEN = {100, 500};
  public static final float LEARNING_RATE = 1e-3f;
  public static final float ADAM_EPSILON = 1e-7f;
  public static final int BATCH_SIZE = 100;
  /** k-DAE's (yanivopo/K-DAE, src/k_dae.py): each pair 100 epochs on its cluster, 40 joint. */
  public static final int EPOCHS = 40;
  public static final int PAIR_PRETRAIN_EPOCHS = 100;
  /** The VaDE's own default, so that k-DVAE starts from the VaDE a default VaDE run trains. */
  public static final int INIT_VADE_EPOCHS = VadeConfig.EPOCHS;

  /** A config with the paper's initial clusters (k-means). */
  public KdvaeConfig(int[] inputShape, int clusters, int latentDim, int[] encoderHidden,
      int[] decoderHidden, float learningRate, float adamEpsilon, int batchSize, int epochs,
      int pairPretrainEpochs, Pretraining initVadePretraining, GmmStart initVadeGmmStart,
      int initVadeEpochs, long seed) {
    this(inputShape, clusters, latentDim, encoderHidden, decoderHidden, learningRate,
        adamEpsilon, batchSize, epochs, pairPretrainEpochs, initVadePretraining, initVadeGmmStart,
        initVadeEpochs, KMEANS, seed, Backbone.MLP, AugmentationLoss.NONE, "none");
  }

  public KdvaeConfig {
    backbone = backbone == null ? Backbone.MLP : backbone;  // a config file before the key: MLP
    aug = aug == null ? AugmentationLoss.NONE : aug;
    augmentation = augmentation == null ? "none" : augmentation;
    if (initialClusters == null) {
      initialClusters = KMEANS;
    }
    require(KMEANS.equals(initialClusters) || VADE.equals(initialClusters),
        "initialClusters must be " + KMEANS + " or " + VADE + ", got '" + initialClusters + "'");
    inputShape = inputShape.clone();
    encoderHidden = encoderHidden.clone();
    decoderHidden = decoderHidden.clone();
    require(inputShape.length == 3 && inputShape[0] > 0 && inputShape[1] > 0 && inputShape[2] > 0,
        "inputShape must be [H, W, C], positive");
    require(encoderHidden.length >= 1 && decoderHidden.length >= 1,
        "encoderHidden and decoderHidden need at least one size");
    for (int h : encoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    for (int h : decoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    require(clusters >= 2, "clusters must be at least 2");
    require(latentDim >= 1, "latentDim must be positive");
    require(learningRate > 0 && adamEpsilon > 0, "learningRate and adamEpsilon must be positive");
    require(batchSize >= 1, "batchSize must be positive");
    require(epochs >= 1, "epochs must be positive");
    require(pairPretrainEpochs >= 0, "pairPretrainEpochs must be ≥ 0");
    require(initVadePretraining != null && initVadeGmmStart != null,
        "initVadePretraining and initVadeGmmStart are required");
    require(initVadeEpochs >= 0, "VaDE epochs must be ≥ 0");
    String why = Backbone.unsupported(backbone, inputShape);
    require(why == null, why);
    why = AugmentationLoss.unsupported(aug, augmentation);
    require(why == null, why);
  }

  public static KdvaeConfig mnist(long seed) {
    return new KdvaeConfig(MNIST_SHAPE, CLUSTERS, LATENT_DIM, ENCODER_HIDDEN, DECODER_HIDDEN,
        LEARNING_RATE, ADAM_EPSILON, BATCH_SIZE, EPOCHS, PAIR_PRETRAIN_EPOCHS,
        Pretraining.decKeras(), GmmStart.paper(), INIT_VADE_EPOCHS, seed);
  }

  /** The initialising VaDE's pretraining epochs. */
  public int initVadePretrainEpochs() {
    return initVadePretraining.epochs();
  }

  public KdvaeConfig withEpochs(int vadePretrain, int vade, int pairPretrain, int joint) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, batchSize, joint, pairPretrain,
        initVadePretraining.withEpochs(vadePretrain), initVadeGmmStart, vade, initialClusters,
        seed, backbone, aug, augmentation);
  }

  public KdvaeConfig withBatchSize(int b) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, b, epochs, pairPretrainEpochs, initVadePretraining,
        initVadeGmmStart, initVadeEpochs, initialClusters, seed, backbone, aug, augmentation);
  }

  /** The same config with initial clusters {@code how} ({@value #KMEANS} or {@value #VADE}). */
  public KdvaeConfig withInitialClusters(String how) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, batchSize, epochs, pairPretrainEpochs, initVadePretraining,
        initVadeGmmStart, initVadeEpochs, how, seed, backbone, aug, augmentation);
  }

  /** The initialising VaDE's pretraining recipe and GMM start taken from {@code v}. */
  public KdvaeConfig withInitVade(VadeConfig v) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, batchSize, epochs, pairPretrainEpochs, v.pretraining(),
        v.gmmStart(), initVadeEpochs, initialClusters, seed, backbone, aug, augmentation);
  }

  /** The same config with {@code newBackbone} ({@link Backbone#KINDS}). */
  public KdvaeConfig withBackbone(String newBackbone) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, batchSize, epochs, pairPretrainEpochs, initVadePretraining,
        initVadeGmmStart, initVadeEpochs, initialClusters, seed, newBackbone, aug, augmentation);
  }

  /** The same config with the augmentation loss {@code newAug} and transform {@code transform}. */
  public KdvaeConfig withAug(String newAug, String transform) {
    return new KdvaeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, adamEpsilon, batchSize, epochs, pairPretrainEpochs, initVadePretraining,
        initVadeGmmStart, initVadeEpochs, initialClusters, seed, backbone, newAug, transform);
  }

  /** The VaDE that initialises the clusters: MNIST settings with this config's epochs and seed. */
  public VadeConfig initVade() {
    VadeConfig v = VadeConfig.mnist(seed);
    return new VadeConfig(inputShape, clusters, v.latentDim(), v.encoderHidden(),
        v.decoderHidden(), v.learningRate(), v.learningRateDecay(), v.learningRateDecayEpochs(),
        v.learningRateFloor(), v.adamEpsilon(), initVadePretraining, initVadeGmmStart,
        batchSize, Math.max(1, initVadeEpochs), seed);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
