package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;
import java.util.Arrays;

/**
 * GMVAE-Gumbel settings (gmvae-gumbel-softmax §3). The defaults are the paper's MNIST settings:
 * D-512-256-100 features, d_z = 150, K = 10, w_G = 5, Adam 1e-3, batch 300, 300 epochs, Gumbel
 * temperature 1 → 0.5 over the first 100 epochs.
 *
 * @param inputShape H, W, C of an image
 * @param adamEpsilon Adam's ε, stated because TF1 (the paper's code) used 1e-8 and Keras 1e-7
 * @param temperatureEpochs the epoch at which the temperature reaches its floor: τ(e) =
 *     max(τ_min, τ₀·exp(−r·e)) with r = ln(τ₀/τ_min)/temperatureEpochs (exponential decay as the
 *     paper's reference code, reaching the floor at the stated epoch)
 * @param binarize readings switch (on in {@link #mnist}, off where a config file lacks the key):
 *     train on dynamically binarised images, x_b ~ Bernoulli(x) drawn per step, as input and target
 *     (§2.2's "binary cross entropy (binary data)"); inference still takes the grey image. The
 *     default since it measured best of the readings (docs/models.md, README)
 * @param straightThrough readings switch (off by default): the decoder gets the one-hot of the
 *     Gumbel sample's argmax, the gradient of the soft sample (straight-through Gumbel)
 * @param featureBnRelu readings switch (on in {@link #mnist}, off where a config file lacks the
 *     key): the feature layer x̂ is followed by batch norm + ReLU like the hidden layers (§3: "all
 *     the layers, except the input, output and embeddings"), read as x̂ not being an embedding;
 *     off, x̂ is linear. The default since it measured best (docs/models.md, README)
 * @param jointBnRelu readings switch (off where a config file lacks the key): the decoder's
 *     input linear(z) + linear(c) is followed by batch norm + ReLU, read as the first layer of
 *     §3's "decoder network df − 256 − 512 − D" and so one of "all the layers"; off, the sum
 *     enters the first hidden layer as it is
 * @param backbone the image end of the feature net and the decoder ({@link Backbone}): {@code
 *     mlp}, the paper's dense layers (the default; null, as in a config file written before the
 *     key, reads as mlp), or {@code conv}, the compact conv net before the feature net's dense
 *     layers and after the decoder's (issue 20; not in the paper)
 * @param aug the augmentation loss ({@link AugmentationLoss}; ours, issue 20): {@code none} (the
 *     paper's; null reads none) or {@code w2}, λ_aug·(L2 between q(c|x) and q(c|x̂) + W₂ between
 *     q(z|x) and q(z|x̂)) with Variational Clustering's λ_aug schedule
 * @param augmentation the transform that makes x̂ from each training batch ({@link
 *     AugmentationLoss#TRANSFORMS}; null reads none)
 */
public record GmvaeGumbelConfig(
    int[] inputShape,
    int clusters,
    int[] hidden,
    int featureDim,
    int latentDim,
    float gaussianWeight,
    float learningRate,
    float adamEpsilon,
    int batchSize,
    int epochs,
    float temperatureInit,
    float temperatureMin,
    int temperatureEpochs,
    boolean binarize,
    boolean straightThrough,
    boolean featureBnRelu,
    boolean jointBnRelu,
    long seed,
    String backbone,
    String aug,
    String augmentation) implements ModelConfig {

  public static final int[] MNIST_SHAPE = {28, 28, 1};
  public static final int CLUSTERS = 10;
  public static final int[] HIDDEN = {512, 256};
  public static final int FEATURE_DIM = 100;
  public static final int LATENT_DIM = 150;
  public static final float GAUSSIAN_WEIGHT = 5f;
  public static final float LEARNING_RATE = 1e-3f;
  public static final float ADAM_EPSILON = 1e-8f;
  public static final int BATCH_SIZE = 300;
  public static final int EPOCHS = 300;
  public static final float TEMPERATURE_INIT = 1f;
  public static final float TEMPERATURE_MIN = 0.5f;
  public static final int TEMPERATURE_EPOCHS = 100;

  /** The paper's dense backbone. */
  public GmvaeGumbelConfig(int[] inputShape, int clusters, int[] hidden, int featureDim,
      int latentDim, float gaussianWeight, float learningRate, float adamEpsilon, int batchSize,
      int epochs, float temperatureInit, float temperatureMin, int temperatureEpochs,
      boolean binarize, boolean straightThrough, boolean featureBnRelu, long seed) {
    this(inputShape, clusters, hidden, featureDim, latentDim, gaussianWeight, learningRate,
        adamEpsilon, batchSize, epochs, temperatureInit, temperatureMin, temperatureEpochs,
        binarize, straightThrough, featureBnRelu, false, seed, Backbone.MLP,
        AugmentationLoss.NONE, "none");
  }

  public GmvaeGumbelConfig {
    backbone = backbone == null ? Backbone.MLP : backbone;
    aug = aug == null ? AugmentationLoss.NONE : aug;
    augmentation = augmentation == null ? "none" : augmentation;
    inputShape = inputShape.clone();
    hidden = hidden.clone();
    require(inputShape.length == 3, "inputShape must be [H, W, C]");
    for (int d : inputShape) {
      require(d > 0, "inputShape dims must be positive");
    }
    require(hidden.length >= 1 && Arrays.stream(hidden).allMatch(h -> h > 0),
        "hidden must hold at least one positive size (D-h1-..-hn-df)");
    require(clusters >= 2, "clusters must be at least 2");
    require(featureDim >= 2, "featureDim must be at least 2");
    require(latentDim >= 1, "latentDim must be positive");
    require(gaussianWeight >= 0 && Float.isFinite(gaussianWeight), "gaussianWeight must be ≥ 0");
    require(learningRate > 0 && Float.isFinite(learningRate), "learningRate must be positive");
    require(adamEpsilon > 0, "adamEpsilon must be positive");
    require(batchSize >= 2, "batchSize must be at least 2 (batch norm)");
    require(epochs >= 1, "epochs must be positive");
    require(temperatureMin > 0 && temperatureInit >= temperatureMin,
        "need 0 < temperatureMin ≤ temperatureInit");
    require(temperatureEpochs >= 1, "temperatureEpochs must be positive");
    String why = Backbone.unsupported(backbone, inputShape);
    require(why == null, why);
    why = AugmentationLoss.unsupported(aug, augmentation);
    require(why == null, why);
  }

  /**
   * The paper's MNIST settings with the given seed, on dynamically binarised images, x̂ followed by
   * batch norm + ReLU.
   */
  public static GmvaeGumbelConfig mnist(long seed) {
    return new GmvaeGumbelConfig(MNIST_SHAPE, CLUSTERS, HIDDEN, FEATURE_DIM, LATENT_DIM,
        GAUSSIAN_WEIGHT, LEARNING_RATE, ADAM_EPSILON, BATCH_SIZE, EPOCHS, TEMPERATURE_INIT,
        TEMPERATURE_MIN, TEMPERATURE_EPOCHS, true, false, true, seed);
  }

  /** Gumbel-softmax temperature at (fractional) epoch e ≥ 0. */
  public float temperature(double epoch) {
    double rate = Math.log(temperatureInit / temperatureMin) / temperatureEpochs;
    return (float) Math.max(temperatureMin, temperatureInit * Math.exp(-rate * epoch));
  }

  public GmvaeGumbelConfig withEpochs(int e) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, batchSize, e, temperatureInit, temperatureMin,
        temperatureEpochs, binarize, straightThrough, featureBnRelu, jointBnRelu, seed, backbone,
        aug, augmentation);
  }

  public GmvaeGumbelConfig withBatchSize(int b) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, b, epochs, temperatureInit, temperatureMin,
        temperatureEpochs, binarize, straightThrough, featureBnRelu, jointBnRelu, seed, backbone,
        aug, augmentation);
  }

  /** The same config with the Gaussian KL weight w_G and the two readings switches. */
  public GmvaeGumbelConfig withReadings(float newGaussianWeight, boolean newBinarize,
      boolean newStraightThrough) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        newGaussianWeight, learningRate, adamEpsilon, batchSize, epochs, temperatureInit,
        temperatureMin, temperatureEpochs, newBinarize, newStraightThrough, featureBnRelu,
        jointBnRelu, seed, backbone, aug, augmentation);
  }

  /** The same config with the feature layer's batch norm + ReLU switch set. */
  public GmvaeGumbelConfig withFeatureBnRelu(boolean on) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, batchSize, epochs, temperatureInit,
        temperatureMin, temperatureEpochs, binarize, straightThrough, on, jointBnRelu, seed,
        backbone, aug, augmentation);
  }

  /** The same config with the decoder input's batch norm + ReLU switch set. */
  public GmvaeGumbelConfig withJointBnRelu(boolean on) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, batchSize, epochs, temperatureInit,
        temperatureMin, temperatureEpochs, binarize, straightThrough, featureBnRelu, on, seed,
        backbone, aug, augmentation);
  }

  /** The same config with {@code newBackbone} ({@link Backbone#KINDS}). */
  public GmvaeGumbelConfig withBackbone(String newBackbone) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, batchSize, epochs, temperatureInit,
        temperatureMin, temperatureEpochs, binarize, straightThrough, featureBnRelu, jointBnRelu,
        seed, newBackbone, aug, augmentation);
  }

  /** The same config with the augmentation loss {@code newAug} and transform {@code transform}. */
  public GmvaeGumbelConfig withAug(String newAug, String transform) {
    return new GmvaeGumbelConfig(inputShape, clusters, hidden, featureDim, latentDim,
        gaussianWeight, learningRate, adamEpsilon, batchSize, epochs, temperatureInit,
        temperatureMin, temperatureEpochs, binarize, straightThrough, featureBnRelu, jointBnRelu,
        seed, backbone, newAug, transform);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
