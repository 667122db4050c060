package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;

/**
 * VaDE settings (vade.txt §4.1; docs/models.md). Defaults are the paper's MNIST settings: encoder
 * D-500-500-2000-10, decoder the reverse, K = 10, batch 100, ε = 1e-4 as the original code, the
 * schedule ×0.9 every 10 epochs with floor 2e-4, but Adam's initial rate {@value #LEARNING_RATE}
 * (the paper's {@value #PAPER_LEARNING_RATE} measured 10 points worse from DEC-keras's start); the
 * autoencoder pretrained by {@link Pretraining#decKeras()} and the prior started by {@link
 * GmmStart#paper()} (README, "VaDE: the pretraining and the restarts", has the measurements).
 * {@code backbone} ({@link Backbone}; ours, not the paper's) is the image end of the encoder and
 * decoder: mlp, the paper's dense nets, or conv, the compact conv net around them. {@code aug}
 * (ours; null reads none): {@code w2} adds the augmentation loss to the joint phase ({@link
 * AugmentationLoss#single} at γ(μ̃) and N(μ̃, σ̃²)), x̂ made by {@code augmentation}.
 */
public record VadeConfig(
    int[] inputShape,
    int clusters,
    int latentDim,
    int[] encoderHidden,
    int[] decoderHidden,
    float learningRate,
    float learningRateDecay,
    int learningRateDecayEpochs,
    float learningRateFloor,
    float adamEpsilon,
    Pretraining pretraining,
    GmmStart gmmStart,
    int batchSize,
    int epochs,
    long seed,
    String backbone,
    String aug,
    String augmentation) implements ModelConfig {

  public static final int[] MNIST_SHAPE = {28, 28, 1};
  public static final int CLUSTERS = 10;
  public static final int LATENT_DIM = 10;
  public static final int[] ENCODER_HIDDEN = {500, 500, 2000};
  public static final int[] DECODER_HIDDEN = {2000, 500, 500};
  /** The joint phase's Adam rate: the floor, so constant (measured best, README). */
  public static final float LEARNING_RATE = 2e-4f;
  /** The paper's (and the original code's) initial rate, {@code --joint-learning-rate 2e-3}. */
  public static final float PAPER_LEARNING_RATE = 2e-3f;
  public static final float LEARNING_RATE_DECAY = 0.9f;
  public static final int LEARNING_RATE_DECAY_EPOCHS = 10;
  public static final float LEARNING_RATE_FLOOR = 2e-4f;
  public static final float ADAM_EPSILON = 1e-4f;
  public static final int BATCH_SIZE = 100;
  public static final int EPOCHS = 300;

  /** The paper's dense backbone. */
  public VadeConfig(int[] inputShape, int clusters, int latentDim, int[] encoderHidden,
      int[] decoderHidden, float learningRate, float learningRateDecay,
      int learningRateDecayEpochs, float learningRateFloor, float adamEpsilon,
      Pretraining pretraining, GmmStart gmmStart, int batchSize, int epochs, long seed) {
    this(inputShape, clusters, latentDim, encoderHidden, decoderHidden, learningRate,
        learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon, pretraining,
        gmmStart, batchSize, epochs, seed, Backbone.MLP, AugmentationLoss.NONE, "none");
  }

  public VadeConfig {
    backbone = backbone == null ? Backbone.MLP : backbone;  // a config file before the key: MLP
    aug = aug == null ? AugmentationLoss.NONE : aug;
    augmentation = augmentation == null ? "none" : augmentation;
    inputShape = inputShape.clone();
    encoderHidden = encoderHidden.clone();
    decoderHidden = decoderHidden.clone();
    require(inputShape.length == 3 && inputShape[0] > 0 && inputShape[1] > 0 && inputShape[2] > 0,
        "inputShape must be [H, W, C], positive");
    require(encoderHidden.length >= 1 && decoderHidden.length >= 1,
        "encoderHidden and decoderHidden hold at least one size each");
    for (int h : encoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    for (int h : decoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    require(clusters >= 2, "clusters must be at least 2");
    require(latentDim >= 1, "latentDim must be positive");
    require(pretraining != null && gmmStart != null, "pretraining and gmmStart are required");
    require(learningRate > 0 && learningRateFloor > 0,
        "learning rates must be positive");
    require(learningRateDecay > 0 && learningRateDecay <= 1, "learningRateDecay in (0, 1]");
    require(learningRateDecayEpochs >= 1, "learningRateDecayEpochs must be positive");
    require(adamEpsilon > 0, "adamEpsilon must be positive");
    require(batchSize >= 1, "batchSize must be positive");
    require(epochs >= 1, "epochs must be positive");
    String why = Backbone.unsupported(backbone, inputShape);
    require(why == null, why);
    why = AugmentationLoss.unsupported(aug, augmentation);
    require(why == null, why);
  }

  public static VadeConfig mnist(long seed) {
    return new VadeConfig(MNIST_SHAPE, CLUSTERS, LATENT_DIM, ENCODER_HIDDEN, DECODER_HIDDEN,
        LEARNING_RATE, LEARNING_RATE_DECAY, LEARNING_RATE_DECAY_EPOCHS, LEARNING_RATE_FLOOR,
        ADAM_EPSILON, Pretraining.decKeras(), GmmStart.paper(), BATCH_SIZE, EPOCHS, seed);
  }

  /** lr(e) = max(floor, lr₀ · decay^⌊e / decayEpochs⌋) for joint epoch e ≥ 0. */
  public float learningRate(int epoch) {
    double lr = learningRate * Math.pow(learningRateDecay, epoch / learningRateDecayEpochs);
    return (float) Math.max(learningRateFloor, lr);
  }

  public VadeConfig withEpochs(int pretrain, int joint) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        pretraining.withEpochs(pretrain), gmmStart, batchSize, joint, seed, backbone, aug,
        augmentation);
  }

  /** The joint phase's batch size (the pretraining recipe keeps its own). */
  public VadeConfig withBatchSize(int b) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        pretraining, gmmStart, b, epochs, seed, backbone, aug, augmentation);
  }

  /**
   * The joint phase's Adam learning rate {@code lr}, still decayed by the config's schedule; the
   * floor becomes min(floor, lr), so a rate at or below the floor stays constant.
   */
  public VadeConfig withLearningRate(float lr) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden, lr,
        learningRateDecay, learningRateDecayEpochs, Math.min(learningRateFloor, lr), adamEpsilon,
        pretraining, gmmStart, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  public VadeConfig withPretraining(Pretraining p) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        p, gmmStart, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  public VadeConfig withGmmStart(GmmStart g) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        pretraining, g, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  /** The same config with {@code newBackbone} ({@link Backbone#KINDS}). */
  public VadeConfig withBackbone(String newBackbone) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        pretraining, gmmStart, batchSize, epochs, seed, newBackbone, aug, augmentation);
  }

  /** The same config with the augmentation loss {@code newAug} and transform {@code transform}. */
  public VadeConfig withAug(String newAug, String transform) {
    return new VadeConfig(inputShape, clusters, latentDim, encoderHidden, decoderHidden,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        pretraining, gmmStart, batchSize, epochs, seed, backbone, newAug, transform);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
