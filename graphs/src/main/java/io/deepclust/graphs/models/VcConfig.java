package io.deepclust.graphs.models;

import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.layers.Backbone;
import io.deepclust.graphs.layers.Conv2d.Spec;
import java.util.List;

/**
 * Variational Clustering settings (variational-clustering-w2.txt §V, Table II; docs/models.md).
 * The MNIST / Fashion-MNIST defaults ({@link #mnist}) and the 32×32×3 variant ({@link #rgb32}) are
 * the paper's; {@link #forShape} picks one by the input shape. Schedules ({@code reconsScale},
 * {@code augWeight}) are {@code [v0, e1, v1, e2, v2, ...]}: v0 from epoch 0, v_i from epoch e_i.
 *
 * <p>Readings switches (issue 19; off = the reading built first, and what a config file without the
 * key means): {@code posteriorFromPixels}, q(z|x,k) as its own MLP on the flattened pixels and
 * e_k (Table II(b)'s q_ψ column) instead of on the shared conv trunk's features;
 * {@code elboOnAugmented}, the ELBO on x and on x̂ (§IV-D, "add augmented images along with the
 * original images"), each half of the ELBO term; {@code softplusVariance}, softplus gives σ² (the
 * paper's reading) instead of σ, for q(z|x,k) and p(z|k).
 *
 * <p>{@code backbone} (issue 20; a config without the key reads {@value #CONV}): {@value #CONV},
 * the paper's Table II nets ({@code encoderConvs}, {@code decoderDense}, {@code decoderReshape},
 * {@code decoderDeconvs}), or {@value #MLP}, dense nets in their place: the trunk {@link
 * #MLP_TRUNK} on the flattened pixels (DEC's and VaDE's D-500-500-2000 encoder) and the decoder
 * {@link #MLP_DECODER} then a dense output layer; the four conv settings are then unused.
 */
public record VcConfig(
    int[] inputShape,
    int clusters,
    int latentDim,
    List<Spec> encoderConvs,
    int[] posteriorHidden,
    int[] priorHidden,
    int[] decoderDense,
    int[] decoderReshape,
    List<Spec> decoderDeconvs,
    String activation,
    String likelihood,
    float learningRate,
    float adamEpsilon,
    int batchSize,
    int epochs,
    float[] reconsScale,
    float[] augWeight,
    boolean augTargetStopGradient,
    String augmentation,
    boolean posteriorFromPixels,
    boolean elboOnAugmented,
    boolean softplusVariance,
    long seed,
    String backbone) implements ModelConfig {

  public static final String RELU = "relu";
  public static final String LEAKY_RELU = "leaky_relu";
  public static final String BERNOULLI = "bernoulli";
  public static final String GAUSSIAN = "gaussian";
  public static final int CLUSTERS = 10;
  public static final int LATENT_DIM = 32;
  /** TensorFlow 1's AdamOptimizer default, the paper's framework. */
  public static final float ADAM_EPSILON = 1e-8f;
  public static final int EPOCHS = 100;
  /** The paper's augmentations (§V-A), made in Java on each training batch. */
  public static final List<String> AUGMENTATIONS = AugmentationLoss.TRANSFORMS;
  /** λ_aug: 0.01, 0.5 from epoch 40, 1 from epoch 80 (§V). */
  public static final float[] AUG_WEIGHT = AugmentationLoss.WEIGHT;
  /** The paper's Table II convolutional nets (the default backbone). */
  public static final String CONV = Backbone.CONV;
  /** Dense nets instead: {@link #MLP_TRUNK}, {@link #MLP_DECODER}. */
  public static final String MLP = Backbone.MLP;
  /** The MLP backbone's trunk widths (DEC's and VaDE's encoder); features F = its last. */
  public static final int[] MLP_TRUNK = {500, 500, 2000};
  /** The MLP backbone's decoder widths before its dense output layer (the trunk's mirror). */
  public static final int[] MLP_DECODER = {2000, 500, 500};

  /** The paper's Table II backbone. */
  public VcConfig(int[] inputShape, int clusters, int latentDim, List<Spec> encoderConvs,
      int[] posteriorHidden, int[] priorHidden, int[] decoderDense, int[] decoderReshape,
      List<Spec> decoderDeconvs, String activation, String likelihood, float learningRate,
      float adamEpsilon, int batchSize, int epochs, float[] reconsScale, float[] augWeight,
      boolean augTargetStopGradient, String augmentation, boolean posteriorFromPixels,
      boolean elboOnAugmented, boolean softplusVariance, long seed) {
    this(inputShape, clusters, latentDim, encoderConvs, posteriorHidden, priorHidden,
        decoderDense, decoderReshape, decoderDeconvs, activation, likelihood, learningRate,
        adamEpsilon, batchSize, epochs, reconsScale, augWeight, augTargetStopGradient,
        augmentation, posteriorFromPixels, elboOnAugmented, softplusVariance, seed, CONV);
  }

  public VcConfig {
    backbone = backbone == null ? CONV : backbone;  // a config file before the key: Table II
    require(CONV.equals(backbone) || MLP.equals(backbone),
        "backbone must be one of [mlp, conv], not " + backbone);
    inputShape = inputShape.clone();
    posteriorHidden = posteriorHidden.clone();
    priorHidden = priorHidden.clone();
    decoderDense = decoderDense.clone();
    decoderReshape = decoderReshape.clone();
    reconsScale = reconsScale.clone();
    augWeight = augWeight.clone();
    encoderConvs = List.copyOf(encoderConvs);
    decoderDeconvs = List.copyOf(decoderDeconvs);
    require(inputShape.length == 3 && inputShape[0] > 0 && inputShape[1] > 0 && inputShape[2] > 0,
        "inputShape must be [H, W, C], positive");
    require(clusters >= 2, "clusters must be at least 2");
    require(latentDim >= 1, "latentDim must be positive");
    require(!encoderConvs.isEmpty() && !decoderDeconvs.isEmpty(),
        "encoderConvs and decoderDeconvs need at least one layer");
    require(posteriorHidden.length >= 1, "posteriorHidden needs at least one size");
    require(decoderDense.length >= 1, "decoderDense needs at least one size");
    require(decoderReshape.length == 3
            && decoderReshape[0] * decoderReshape[1] * decoderReshape[2]
                == decoderDense[decoderDense.length - 1],
        "decoderReshape [h, w, c] must hold the last decoderDense size");
    require(RELU.equals(activation) || LEAKY_RELU.equals(activation),
        "activation must be relu or leaky_relu, not " + activation);
    require(BERNOULLI.equals(likelihood) || GAUSSIAN.equals(likelihood),
        "likelihood must be bernoulli or gaussian, not " + likelihood);
    require(learningRate > 0 && adamEpsilon > 0, "learningRate and adamEpsilon must be positive");
    require(batchSize >= 1 && epochs >= 1, "batchSize and epochs must be positive");
    require(AUGMENTATIONS.contains(augmentation),
        "augmentation must be one of " + AUGMENTATIONS + ", not " + augmentation);
    checkSchedule(reconsScale, "reconsScale");
    checkSchedule(augWeight, "augWeight");
    int h = inputShape[0];
    int w = inputShape[1];
    for (Spec s : encoderConvs) {
      h = s.convOut(h);
      w = s.convOut(w);
      require(h >= 1 && w >= 1, "encoderConvs shrink the image to nothing");
    }
    h = decoderReshape[0];
    w = decoderReshape[1];
    for (Spec s : decoderDeconvs) {
      h = s.transposedOut(h);
      w = s.transposedOut(w);
    }
    var out = decoderDeconvs.get(decoderDeconvs.size() - 1);
    require(h == inputShape[0] && w == inputShape[1] && out.filters() == inputShape[2],
        "decoderDeconvs end at " + h + "x" + w + "x" + out.filters() + ", not the input shape "
            + inputShape[0] + "x" + inputShape[1] + "x" + inputShape[2]);
  }

  /** MNIST / Fashion-MNIST (Table II, 28×28×1): ReLU, Bernoulli, Adam 1e-3, batch 100. */
  public static VcConfig mnist(long seed) {
    return new VcConfig(new int[] {28, 28, 1}, CLUSTERS, LATENT_DIM,
        List.of(conv(64, 1, "valid"), conv(64, 1, "valid"), conv(64, 1, "valid"),
            conv(128, 2, "valid"), conv(128, 1, "valid"), conv(128, 1, "valid"),
            conv(256, 2, "valid")),
        new int[] {256, 512}, new int[] {}, new int[] {512, 2304}, new int[] {3, 3, 256},
        List.of(conv(128, 2, "same"), conv(128, 1, "valid"), conv(128, 1, "valid"),
            conv(64, 1, "valid"), conv(64, 2, "same"), conv(64, 1, "valid"),
            conv(1, 1, "valid")),
        RELU, BERNOULLI, 1e-3f, ADAM_EPSILON, 100, EPOCHS, new float[] {0.5f}, AUG_WEIGHT,
        false, "rotation", false, false, false, seed);
  }

  /**
   * The 32×32×3 variant (Table II, CIFAR-10 / STL-10): leaky ReLU, Gaussian likelihood, Adam 1e-4,
   * batch 30, λ_recons 0.5 then 0.1 from epoch 40. The fourth transposed conv uses SAME padding so
   * that the output is 32×32 (docs/models.md).
   */
  public static VcConfig rgb32(long seed) {
    return new VcConfig(new int[] {32, 32, 3}, CLUSTERS, LATENT_DIM,
        List.of(conv(96, 1, "valid"), conv(96, 1, "valid"), conv(96, 2, "valid"),
            conv(192, 1, "valid"), conv(192, 1, "valid"), conv(192, 2, "valid")),
        new int[] {512, 512}, new int[] {64, 64}, new int[] {3072}, new int[] {4, 4, 192},
        List.of(conv(192, 2, "valid"), conv(192, 1, "valid"), conv(96, 1, "valid"),
            conv(96, 2, "same"), conv(96, 1, "valid"), conv(96, 1, "valid"),
            conv(3, 1, "valid")),
        LEAKY_RELU, GAUSSIAN, 1e-4f, ADAM_EPSILON, 30, EPOCHS, new float[] {0.5f, 40, 0.1f},
        AUG_WEIGHT, false, "affine_flip", false, false, false, seed);
  }

  /** The paper's architecture for an input shape: 28×28×1 or 32×32×3. */
  public static VcConfig forShape(int[] shape, long seed) {
    if (shape[0] == 28 && shape[1] == 28 && shape[2] == 1) {
      return mnist(seed);
    }
    if (shape[0] == 32 && shape[1] == 32 && shape[2] == 3) {
      return rgb32(seed);
    }
    throw new IllegalArgumentException("Variational Clustering has architectures for 28x28x1 and "
        + "32x32x3 images, not " + shape[0] + "x" + shape[1] + "x" + shape[2]);
  }

  /** The paper's augmentation for a dataset: Fashion-MNIST's brightness and binarisation. */
  public VcConfig forDataset(String dataset) {
    return dataset.startsWith("fashion") ? withTraining(epochs, batchSize, augTargetStopGradient,
        "brightness_binarise") : this;
  }

  public VcConfig withTraining(int newEpochs, int newBatchSize, boolean stopGradientTarget,
      String newAugmentation) {
    return new VcConfig(inputShape, clusters, latentDim, encoderConvs, posteriorHidden,
        priorHidden, decoderDense, decoderReshape, decoderDeconvs, activation, likelihood,
        learningRate, adamEpsilon, newBatchSize, newEpochs, reconsScale, augWeight,
        stopGradientTarget, newAugmentation, posteriorFromPixels, elboOnAugmented,
        softplusVariance, seed, backbone);
  }

  /** This config with another λ_recons schedule {@code [v0, e1, v1, ...]}. */
  public VcConfig withReconsScale(float[] schedule) {
    return new VcConfig(inputShape, clusters, latentDim, encoderConvs, posteriorHidden,
        priorHidden, decoderDense, decoderReshape, decoderDeconvs, activation, likelihood,
        learningRate, adamEpsilon, batchSize, epochs, schedule, augWeight, augTargetStopGradient,
        augmentation, posteriorFromPixels, elboOnAugmented, softplusVariance, seed, backbone);
  }

  /** This config with the three readings switches set (the class comment says what each means). */
  public VcConfig withReadings(boolean fromPixels, boolean onAugmented, boolean varianceSoftplus) {
    return new VcConfig(inputShape, clusters, latentDim, encoderConvs, posteriorHidden,
        priorHidden, decoderDense, decoderReshape, decoderDeconvs, activation, likelihood,
        learningRate, adamEpsilon, batchSize, epochs, reconsScale, augWeight, augTargetStopGradient,
        augmentation, fromPixels, onAugmented, varianceSoftplus, seed, backbone);
  }

  /** Size of the rows q(z|x,k)'s MLP takes before e_k: the pixels or the trunk's features. */
  public int posteriorInputDim() {
    return posteriorFromPixels ? inputDim() : featureDim();
  }

  /** λ_recons at epoch e (from 0). */
  public float reconsScaleAt(int epoch) {
    return scheduleAt(reconsScale, epoch);
  }

  /** λ_aug at epoch e (from 0). */
  public float augWeightAt(int epoch) {
    return scheduleAt(augWeight, epoch);
  }

  /** The same config without the augmentation loss ({@code --aug none}): λ_aug 0, x̂ = x. */
  public VcConfig withoutAug() {
    return new VcConfig(inputShape, clusters, latentDim, encoderConvs, posteriorHidden,
        priorHidden, decoderDense, decoderReshape, decoderDeconvs, activation, likelihood,
        learningRate, adamEpsilon, batchSize, epochs, reconsScale, new float[] {0f},
        augTargetStopGradient, "none", posteriorFromPixels, elboOnAugmented, softplusVariance,
        seed, backbone);
  }

  /** The same config with {@code newBackbone} ({@value #CONV} or {@value #MLP}). */
  public VcConfig withBackbone(String newBackbone) {
    return new VcConfig(inputShape, clusters, latentDim, encoderConvs, posteriorHidden,
        priorHidden, decoderDense, decoderReshape, decoderDeconvs, activation, likelihood,
        learningRate, adamEpsilon, batchSize, epochs, reconsScale, augWeight,
        augTargetStopGradient, augmentation, posteriorFromPixels, elboOnAugmented,
        softplusVariance, seed, newBackbone);
  }

  /**
   * The shared {@link Backbone} where it applies: the pixels for {@value #MLP}; the paper's
   * Table II nets ({@value #CONV}) are this model's own, built in VariationalClustering.
   */
  @Override
  public Backbone backboneLayers() {
    if (!mlp()) {
      throw new UnsupportedOperationException("vc's conv backbone is its Table II nets");
    }
    return new Backbone(MLP, inputShape);
  }

  /** Whether the nets are the dense ones ({@value #MLP}). */
  public boolean mlp() {
    return MLP.equals(backbone);
  }

  /** Size of the trunk's flattened features. */
  public int featureDim() {
    if (mlp()) {
      return MLP_TRUNK[MLP_TRUNK.length - 1];
    }
    int h = inputShape[0];
    int w = inputShape[1];
    for (Spec s : encoderConvs) {
      h = s.convOut(h);
      w = s.convOut(w);
    }
    return h * w * encoderConvs.get(encoderConvs.size() - 1).filters();
  }

  static float scheduleAt(float[] schedule, int epoch) {
    float v = schedule[0];
    for (int i = 1; i + 1 < schedule.length; i += 2) {
      if (epoch >= schedule[i]) {
        v = schedule[i + 1];
      }
    }
    return v;
  }

  private static void checkSchedule(float[] s, String name) {
    require(s.length % 2 == 1, name + " is [v0, e1, v1, ...]: an odd number of values");
    for (int i = 1; i + 1 < s.length; i += 2) {
      require(s[i] > (i == 1 ? 0 : s[i - 2]), name + " epochs must increase from above 0");
    }
    for (int i = 0; i < s.length; i += 2) {
      require(s[i] >= 0 && Float.isFinite(s[i]), name + " values must be finite and ≥ 0");
    }
  }

  private static Spec conv(int filters, int stride, String padding) {
    return new Spec(filters, 3, stride, padding);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
