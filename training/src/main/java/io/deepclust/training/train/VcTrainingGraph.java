package io.deepclust.training.train;

import static java.util.Objects.requireNonNullElse;

import com.google.gson.JsonObject;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.models.AugmentationBranch;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.VariationalClustering;
import io.deepclust.graphs.models.VcConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.eager.EagerModels.StepInputs;
import io.deepclust.savedmodels.VcExport;
import io.deepclust.training.eager.EagerModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The Variational Clustering training graph: training and inference branches over shared weights,
 * one Adam step over every variable. One phase, "train": each batch is augmented in Java (the
 * config's {@code augmentation}, seeded by (seed, step)) and fed as x̂ beside x, with λ_recons and
 * λ_aug of the config's schedules at the epoch.
 */
public final class VcTrainingGraph extends GraphModel<VcConfig>
    implements EagerTrainable {
  /** Variational Clustering's line of the registry ({@link Models#ALL}). */
  public static final ModelSpec<VcConfig> SPEC = new ModelSpec<>(VariationalClustering.MODEL,
      VcConfig.class, VcTrainingGraph::configure, VcTrainingGraph::new,
      c -> Map.of("train", EagerModels.main(c, VariationalClustering::training)))
      .withBf16OnAmx();

  /** The paper's config for the dataset's image shape with the request's options. */
  static VcConfig configure(ConfigOptions o) {
    VcConfig c = VcConfig.forShape(o.shape(), o.seed()).forDataset(o.dataset());
    c = c.withTraining(requireNonNullElse(o.epochs(), c.epochs()),
        requireNonNullElse(o.batchSize(), c.batchSize()), o.augStopGradient(), c.augmentation())
        .withReadings(o.posteriorFromPixels(), o.elboOnAugmented(), o.softplusVariance());
    if (o.reconsScale() != null) {
      try {
        c = c.withReconsScale(o.reconsScale());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--recons-scale: " + e.getMessage());
      }
    }
    if (o.aug() != null) {
      if (!o.aug().equals(AugmentationLoss.W2) && !o.aug().equals(AugmentationLoss.NONE)) {
        throw new IllegalArgumentException("--aug must be none or w2, not " + o.aug());
      }
      c = o.aug().equals(AugmentationLoss.NONE) ? c.withoutAug() : c;
    }
    return o.applyBackbone(c, VcConfig::withBackbone);
  }

  public final Placeholder<TFloat32> x;
  public final VariationalClustering.Training training;
  public final VariationalClustering.Inference inference;
  public final AdamStep adam;
  /** The training branch's terms ({@code Training.terms()}): fetched and logged each step. */
  final LossTerms terms;
  /** Cross-check setting: λ_recons (x̂ and λ_aug: {@link #crossCheckAug}). */
  private float crossCheckRecons = 1f;

  public VcTrainingGraph(VcConfig config) {
    this(config, SessionSettings.DEFAULTS);
  }

  /** The training graph in a session with {@code session}'s device and threads. */
  public VcTrainingGraph(VcConfig config, SessionSettings session) {
    super(config, new Graph(), null, config.seed());
    Ops tf = ops();
    x = ModelConfig.imageInput(tf, config, "x");
    training = VariationalClustering.training(tf, params, config, x);
    inference = VariationalClustering.inference(tf, params, config, x);
    adam = new AdamStep(tf, "adam", training.loss(), params.trainableVariables(),
        params.trainableNames(), List.of(), config.adamEpsilon());
    wire(x, training.noiseSeed(), null, inference, adam);
    terms = LossTerms.of(training.terms());
    wireAugmentation(new AugmentationBranch(training.xAug(), training.augWeight(),
        new AugmentationLoss(training.augL2(), training.augW2())), config.augmentation());
    start(session);
  }

  /**
   * One Adam step on x and its augmented copy at step t (from 1) with noise seed [noiseSeed, t];
   * returns {@link #terms}, computed before the update.
   */
  public float[] trainStep(float[] pixels, float[] augmented, int batch, float reconsScale,
      float augWeight, float learningRate, long noiseSeed, long t) {
    try (TFloat32 xs = images(pixels, batch);
        TFloat32 xa = images(augmented, batch);
        TFloat32 recons = TFloat32.scalarOf(reconsScale);
        TFloat32 aug = TFloat32.scalarOf(augWeight);
        TInt64 seed = TInt64.vectorOf(noiseSeed, t)) {
      return adamStep(adam, learningRate, t,
          r -> feedAugmentation(r.feed(x, xs).feed(training.reconsScale(), recons)
              .feed(training.noiseSeed(), seed), xa, aug), terms);
    }
  }

  @Override
  public List<Phase> phases() {
    return List.of(new SimplePhase("train", config.epochs(), config.batchSize(), terms.names(),
        e -> config.learningRate(), true) {
      @Override
      public float[] step(float[] pixels, int[] indices, int epoch, long t) {
        int batch = indices.length;
        return trainStep(pixels, augmented(pixels, batch, t), batch, config.reconsScaleAt(epoch),
            config.augWeightAt(epoch), config.learningRate(), config.seed(), t);
      }
    });
  }

  @Override
  public String modelName() {
    return VariationalClustering.MODEL;
  }

  @Override
  protected void exportWeights(Map<String, TFloat32> weights, JsonObject info, Path target) {
    VcExport.export(config, weights, info, target);
  }

  @Override
  public Map<String, Operand<?>> trainingOutputs() {
    Map<String, Operand<?>> out = terms.outputs();
    out.put("logits", training.logits());
    return out;
  }

  /**
   * The reference's λ_recons and λ_aug (manifest {@code recons_scale}, {@code aug_weight}) and its
   * fixed augmented batches ({@code x_aug}, {@code x_train_aug}).
   */
  @Override
  public void crossCheckInputs(JsonObject manifest, Map<String, float[]> inputs) {
    super.crossCheckInputs(manifest, inputs);
    crossCheckRecons = manifest.get("recons_scale").getAsFloat();
  }

  @Override
  public Session.Runner feed(Session.Runner runner, TFloat32 images, long noiseSeed, long t,
      float temperature) {
    TFloat32 recons = TFloat32.scalarOf(crossCheckRecons);
    feedTensors.add(recons);
    return super.feed(runner, images, noiseSeed, t, temperature)
        .feed(training.reconsScale(), recons);
  }

  @Override
  public void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t) {
    trainStep(pixels, crossCheckAug.step(pixels, t), batch, crossCheckRecons,
        crossCheckAug.weight(), learningRate, noiseSeed, t);
  }

  @Override
  public AdamStep adamOf(String phase) {
    return adam;
  }

  @Override
  public StepInputs stepInputs(String phase, float[] pixels, int[] indices, int epoch, long t) {
    int batch = indices.length;
    return new StepInputs(pixels, augmented(pixels, batch, t), batch, 0f,
        config.reconsScaleAt(epoch), config.augWeightAt(epoch), config.seed(), t);
  }
}
