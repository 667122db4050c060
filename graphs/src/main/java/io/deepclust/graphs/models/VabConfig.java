package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;

/**
 * VAB settings (vab-bernoulli-mixture-vae.txt §3.2; docs/models.md). MNIST defaults: encoder
 * D-512-256, d = 28 code bits, decoder 256-512-D, ReLU, Bernoulli likelihood, K = 10, batch 100,
 * Adam 1e-3 × 0.9 every 10 epochs with floor 2e-4, rising linearly over the first 600 steps
 * ({@link #WARMUP_STEPS}, ours). The paper gives no temperature schedule or epoch count: τ anneals
 * 1 → 0.5 over 100 epochs as GMVAE-Gumbel's, 100 epochs. {@code aug} (ours, issue 20; null
 * reads none): {@code w2} adds the Bernoulli analogue of the augmentation loss ({@link
 * AugmentationLoss#bernoulli}), x̂ made by {@code augmentation}; not with {@code uniformPrior}.
 */
public record VabConfig(
    int[] inputShape,
    int clusters,
    int bits,
    int[] encoderHidden,
    int[] decoderHidden,
    String likelihood,
    float temperatureStart,
    float temperatureMin,
    int temperatureAnnealEpochs,
    boolean straightThrough,
    boolean uniformPrior,
    float learningRate,
    float learningRateDecay,
    int learningRateDecayEpochs,
    float learningRateFloor,
    float adamEpsilon,
    int warmupSteps,
    int batchSize,
    int epochs,
    long seed,
    String backbone,
    String aug,
    String augmentation) implements ModelConfig {

  public static final String BERNOULLI = "bernoulli";
  public static final String GAUSSIAN = "gaussian";
  public static final int BITS = 28;
  /**
   * Learning-rate warm-up: one epoch of MNIST's 60k at batch 100. Not in the paper; without it
   * the first Adam steps drive every image to one code and the logits past |l| ≈ 40, where the
   * relaxed sample's gradient underflows, so d = 8 never recovers (bench/vab-collapse, README).
   */
  public static final int WARMUP_STEPS = 600;
  /** The paper's encoder and decoder: dense layers only ({@code encoderHidden}, ...). */
  public static final String MLP = Backbone.MLP;
  /**
   * {@link io.deepclust.graphs.layers.CompactConv}'s convolutions before {@code encoderHidden}
   * and after {@code decoderHidden} (issue 20's backbones; not in the paper).
   */
  public static final String CONV = Backbone.CONV;

  /** The paper's dense backbone. */
  public VabConfig(int[] inputShape, int clusters, int bits, int[] encoderHidden,
      int[] decoderHidden, String likelihood, float temperatureStart, float temperatureMin,
      int temperatureAnnealEpochs, boolean straightThrough, boolean uniformPrior,
      float learningRate, float learningRateDecay, int learningRateDecayEpochs,
      float learningRateFloor, float adamEpsilon, int warmupSteps, int batchSize, int epochs,
      long seed) {
    this(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood, temperatureStart,
        temperatureMin, temperatureAnnealEpochs, straightThrough, uniformPrior, learningRate,
        learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon, warmupSteps,
        batchSize, epochs, seed, MLP, AugmentationLoss.NONE, "none");
  }

  public VabConfig {
    backbone = backbone == null ? MLP : backbone;  // config.json written before the key: MLP
    aug = aug == null ? AugmentationLoss.NONE : aug;
    augmentation = augmentation == null ? "none" : augmentation;
    inputShape = inputShape.clone();
    encoderHidden = encoderHidden.clone();
    decoderHidden = decoderHidden.clone();
    require(inputShape.length == 3 && inputShape[0] > 0 && inputShape[1] > 0 && inputShape[2] > 0,
        "inputShape must be [H, W, C], positive");
    require(clusters >= 2, "clusters must be at least 2");
    require(bits >= 1, "bits must be positive");
    require(encoderHidden.length >= 1 && decoderHidden.length >= 1,
        "encoderHidden and decoderHidden need at least one size");
    for (int h : encoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    for (int h : decoderHidden) {
      require(h > 0, "hidden sizes must be positive");
    }
    require(BERNOULLI.equals(likelihood) || GAUSSIAN.equals(likelihood),
        "likelihood must be bernoulli or gaussian, not " + likelihood);
    require(temperatureMin > 0 && temperatureStart >= temperatureMin,
        "need 0 < temperatureMin ≤ temperatureStart");
    require(temperatureAnnealEpochs >= 1, "temperatureAnnealEpochs must be positive");
    require(learningRate > 0 && learningRateFloor > 0, "learning rates must be positive");
    require(learningRateDecay > 0 && learningRateDecay <= 1, "learningRateDecay in (0, 1]");
    require(learningRateDecayEpochs >= 1, "learningRateDecayEpochs must be positive");
    require(adamEpsilon > 0, "adamEpsilon must be positive");
    require(warmupSteps >= 0, "warmupSteps must be at least 0");
    require(batchSize >= 1 && epochs >= 1, "batchSize and epochs must be positive");
    String why = Backbone.unsupported(backbone, inputShape);
    require(why == null, why);
    why = AugmentationLoss.unsupported(aug, augmentation);
    require(why == null, why);
    require(!(uniformPrior && AugmentationLoss.W2.equals(aug)),
        "the augmentation loss needs the mixture prior, not uniformPrior");
  }

  public static VabConfig mnist(long seed) {
    return new VabConfig(new int[] {28, 28, 1}, 10, BITS, new int[] {512, 256},
        new int[] {256, 512}, BERNOULLI, 1f, 0.5f, 100, false, false, 1e-3f, 0.9f, 10, 2e-4f,
        1e-8f, WARMUP_STEPS, 100, 100, seed);
  }

  /** τ(e) = max(τ_min, τ₀·exp(−e·ln(τ₀/τ_min)/E_anneal)) at epoch e ≥ 0. */
  public float temperature(int epoch) {
    double rate = Math.log(temperatureStart / temperatureMin) / temperatureAnnealEpochs;
    return (float) Math.max(temperatureMin, temperatureStart * Math.exp(-rate * epoch));
  }

  /** lr(e) = max(floor, lr₀ · decay^⌊e / decayEpochs⌋). */
  public float learningRate(int epoch) {
    double lr = learningRate * Math.pow(learningRateDecay, epoch / learningRateDecayEpochs);
    return (float) Math.max(learningRateFloor, lr);
  }

  /**
   * The learning rate of step t (from 1) in epoch e: lr(e) · min(1, t / warmupSteps), the
   * warm-up rising linearly over the first warmupSteps steps (none when 0).
   */
  public float learningRate(int epoch, long t) {
    double warm = warmupSteps > 0 ? Math.min(1.0, (double) t / warmupSteps) : 1.0;
    return (float) (learningRate(epoch) * warm);
  }

  /** Bits per pixel, d / (H·W·C). */
  public double bitsPerPixel() {
    return (double) bits / inputDim();
  }

  public VabConfig with(int newBits, int newEpochs, int newBatchSize, boolean newStraightThrough) {
    return new VabConfig(inputShape, clusters, newBits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, newStraightThrough,
        uniformPrior, learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor,
        adamEpsilon, warmupSteps, newBatchSize, newEpochs, seed, backbone, aug, augmentation);
  }

  /** The same config with τ reaching its floor after {@code epochs} epochs. */
  public VabConfig withTemperatureAnnealEpochs(int epochs) {
    return new VabConfig(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, epochs, straightThrough, uniformPrior, learningRate,
        learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon, warmupSteps,
        batchSize, this.epochs, seed, backbone, aug, augmentation);
  }

  /** The same config with a learning-rate warm-up over {@code steps} steps (0: none). */
  public VabConfig withWarmupSteps(int steps) {
    return new VabConfig(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, straightThrough, uniformPrior,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        steps, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  /**
   * The same config with the public code's training (true): a uniform Bernoulli(½) prior in the
   * ELBO, and the Bernoulli mixture fitted by EM to the training codes after each epoch instead
   * of learned jointly (docs/models.md, VAB).
   */
  public VabConfig withUniformPrior(boolean uniform) {
    return new VabConfig(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, straightThrough, uniform,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        warmupSteps, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  /**
   * The same config with encoder hidden widths {@code encoder} and the decoder their mirror (e.g.
   * 500, 500, 2000 → decoder 2000, 500, 500: the public code's joint-mixture script's nets).
   */
  public VabConfig withHidden(int[] encoder) {
    int[] decoder = new int[encoder.length];
    for (int i = 0; i < encoder.length; i++) {
      decoder[i] = encoder[encoder.length - 1 - i];
    }
    return new VabConfig(inputShape, clusters, bits, encoder, decoder, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, straightThrough, uniformPrior,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        warmupSteps, batchSize, epochs, seed, backbone, aug, augmentation);
  }

  /** The same config with {@code newBackbone} ({@link #MLP} or {@link #CONV}). */
  public VabConfig withBackbone(String newBackbone) {
    return new VabConfig(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, straightThrough, uniformPrior,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        warmupSteps, batchSize, epochs, seed, newBackbone, aug, augmentation);
  }

  /** The same config with the augmentation loss {@code newAug} and transform {@code transform}. */
  public VabConfig withAug(String newAug, String transform) {
    return new VabConfig(inputShape, clusters, bits, encoderHidden, decoderHidden, likelihood,
        temperatureStart, temperatureMin, temperatureAnnealEpochs, straightThrough, uniformPrior,
        learningRate, learningRateDecay, learningRateDecayEpochs, learningRateFloor, adamEpsilon,
        warmupSteps, batchSize, epochs, seed, backbone, newAug, transform);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
