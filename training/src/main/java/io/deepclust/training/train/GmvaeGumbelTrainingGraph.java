package io.deepclust.training.train;

import static java.util.Objects.requireNonNullElse;

import com.google.gson.JsonObject;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.GmvaeGumbelExport;
import io.deepclust.training.eager.EagerModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The GMVAE-Gumbel training graph: training and inference branches over shared weights on one
 * input placeholder, and the Adam step over every trainable variable. One phase: Adam at the
 * config's rate with the Gumbel temperature of the config's schedule.
 */
public final class GmvaeGumbelTrainingGraph extends GraphModel<GmvaeGumbelConfig>
    implements EagerTrainable {
  /** GMVAE-Gumbel's line of the registry ({@link Models#ALL}). */
  public static final ModelSpec<GmvaeGumbelConfig> SPEC = new ModelSpec<>(GmvaeGumbel.MODEL,
      GmvaeGumbelConfig.class, GmvaeGumbelTrainingGraph::configure, GmvaeGumbelTrainingGraph::new,
      c -> Map.of("train", EagerModels.main(c, GmvaeGumbel::training)));

  /** The paper's MNIST config with the request's options. */
  static GmvaeGumbelConfig configure(ConfigOptions o) {
    GmvaeGumbelConfig c = GmvaeGumbelConfig.mnist(o.seed());
    c = o.epochs() != null ? c.withEpochs(o.epochs()) : c;
    try {
      c = c.withReadings(requireNonNullElse(o.gaussianWeight(), c.gaussianWeight()),
          requireNonNullElse(o.binarize(), c.binarize()), o.straightThrough())
          .withFeatureBnRelu(requireNonNullElse(o.featureBnRelu(), c.featureBnRelu()))
          .withJointBnRelu(requireNonNullElse(o.jointBnRelu(), c.jointBnRelu()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--gaussian-weight: " + e.getMessage());
    }
    c = o.applyBackbone(c, GmvaeGumbelConfig::withBackbone);
    c = o.applyAug(c, GmvaeGumbelConfig::withAug);
    return o.batchSize() != null ? c.withBatchSize(o.batchSize()) : c;
  }

  public final Placeholder<TFloat32> x;
  public final GmvaeGumbel.Training training;
  public final GmvaeGumbel.Inference inference;
  public final AdamStep adam;
  /** The training branch's terms ({@code Training.terms()}): fetched and logged each step. */
  final LossTerms terms;

  public GmvaeGumbelTrainingGraph(GmvaeGumbelConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public GmvaeGumbelTrainingGraph(GmvaeGumbelConfig config, SessionSettings session) {
    super(config, new Graph(), null, config.seed());
    Ops tf = ops();
    x = ModelConfig.imageInput(tf, config, "x");
    training = GmvaeGumbel.training(tf, params, config, x);
    inference = GmvaeGumbel.inference(tf, params, config, x);
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), training.batchNormUpdates(), config.adamEpsilon());
    wire(x, training.noiseSeed(), training.temperature(), inference, adam);
    terms = LossTerms.of(training.terms());
    wireAugmentation(training.aug(), config.augmentation());
    start(session);
  }

  /**
   * One Adam step on a batch of images (NHWC, flattened) at optimizer step t (from 1), with noise
   * seed [noiseSeed, t]; returns {@link #terms}, computed before the update.
   */
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
    return List.of(new SimplePhase("train", config.epochs(), config.batchSize(),
        terms.names(), e -> config.learningRate(), true) {
      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
        return trainStep(pixels, augmented(pixels, batch, t), batch, config.temperature(epoch),
            AugmentationLoss.weightAt(epoch), config.learningRate(), config.seed(), t);
      }
    });
  }

  @Override
  public String modelName() {
    return GmvaeGumbel.MODEL;
  }

  @Override
  protected void exportWeights(Map<String, TFloat32> weights, JsonObject info, Path target) {
    GmvaeGumbelExport.export(config, weights, info, target);
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
