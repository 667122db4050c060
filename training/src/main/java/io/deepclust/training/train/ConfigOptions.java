package io.deepclust.training.train;

import io.deepclust.graphs.dist.AugmentationLoss;
import java.util.function.BiFunction;

/**
 * What a training request asks of a model's config: the data and seed every model needs, and the
 * options of {@code deepclust train} that change a config, null (or false) where not given, so
 * that the model's paper default stays. Each model's {@link ModelSpec#configure} reads the ones
 * it has; a value it cannot take is an {@link IllegalArgumentException} that names the option.
 *
 * @param dataset canonical dataset name (mnist, fashion-mnist)
 * @param shape the images' [height, width, channels]
 * @param eager whether the run trains in eager mode (a config that needs the session says so)
 * @param pretrainRecipe VaDE / k-DVAE: dec_keras (the default when null) or adam_bce
 * @param backbone the encoder/decoder kind (mlp, conv) for a model that offers them; null: the
 *     paper's
 * @param aug the augmentation loss (none, w2) for a model that offers it; null: the paper's
 */
public record ConfigOptions(String dataset, int[] shape, long seed, boolean eager, Integer epochs,
    Integer batchSize, boolean straightThrough,
    String pretrainRecipe, Integer pretrainEpochs, String pretrainLoss, Integer refitEpochs,
    Integer restarts, Integer kmeansRestarts, String priorWeights,
    Float jointLearningRate, Integer initVadeEpochs, Integer pairPretrainEpochs,
    String initialClusters,
    float[] reconsScale, boolean augStopGradient, boolean posteriorFromPixels,
    boolean elboOnAugmented, boolean softplusVariance,
    Integer bits, Integer temperatureAnnealEpochs, Integer warmupSteps, int[] hidden,
    boolean uniformPrior,
    Float gaussianWeight, Boolean binarize, Boolean featureBnRelu, Boolean jointBnRelu,
    String backbone, String aug) {

  /** No options: each model's paper config for {@code dataset} images of {@code shape}. */
  public static ConfigOptions defaults(String dataset, int[] shape, long seed) {
    return new ConfigOptions(dataset, shape, seed, false, null, null, false, null, null, null,
        null, null, null, null, null, null, null, null, null, false, false, false, false, null,
        null, null, null, false, null, null, null, null, null, null);
  }

  /** MNIST's 28×28×1 images with no options, the configs of the benchmarks and the perf workers. */
  public static ConfigOptions mnist(long seed) {
    return defaults("mnist", new int[] {28, 28, 1}, seed);
  }

  /**
   * {@code config} with the {@code --backbone} option applied by {@code withBackbone} (a config
   * record's wither), or {@code config} itself where none was given; a kind the config refuses
   * is an error naming the option.
   */
  public <C> C applyBackbone(C config, BiFunction<C, String, C> withBackbone) {
    if (backbone == null) {
      return config;
    }
    try {
      return withBackbone.apply(config, backbone);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--backbone: " + e.getMessage());
    }
  }

  /**
   * {@code config} with the {@code --aug} option applied by {@code withAug} (a config record's
   * wither taking the loss and the transform: the paper's for the data when w2, none otherwise),
   * or {@code config} itself where none was given; a value the config refuses names the option.
   */
  public <C> C applyAug(C config, Augmentable<C> withAug) {
    if (aug == null) {
      return config;
    }
    try {
      return withAug.with(config, aug, AugmentationLoss.W2.equals(aug)
          ? AugmentationLoss.transformFor(shape, dataset) : "none");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--aug: " + e.getMessage());
    }
  }

  /** A config's wither for the augmentation loss and its transform. */
  @FunctionalInterface
  public interface Augmentable<C> {
    C with(C config, String aug, String transform);
  }

  /** These options for images of {@code imageShape} (the data's, known once it is loaded). */
  public ConfigOptions withShape(int[] imageShape) {
    return new ConfigOptions(dataset, imageShape, seed, eager, epochs, batchSize, straightThrough,
        pretrainRecipe, pretrainEpochs, pretrainLoss, refitEpochs, restarts, kmeansRestarts,
        priorWeights, jointLearningRate, initVadeEpochs, pairPretrainEpochs, initialClusters,
        reconsScale, augStopGradient, posteriorFromPixels, elboOnAugmented, softplusVariance,
        bits, temperatureAnnealEpochs, warmupSteps, hidden, uniformPrior, gaussianWeight,
        binarize, featureBnRelu, jointBnRelu, backbone, aug);
  }
}
