package io.deepclust.graphs.models;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.dist.Bernoulli;
import io.deepclust.graphs.dist.Categorical;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.dist.GumbelSoftmax;
import io.deepclust.graphs.layers.BatchNorm;
import io.deepclust.graphs.layers.Dense;
import io.deepclust.graphs.layers.Mlp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * GMVAE-Gumbel (gmvae-gumbel-softmax §2-3): a deterministic feature net x̂ = g(x) (Eq. 1), a
 * categorical q(c|x̂) relaxed by Gumbel-softmax, a Gaussian q(z|x̂) (Eq. 5-6), and a generator
 * p(x|z, c) fed linear(z) + linear(c); loss = −ELBO of Eq. 7 with the Gaussian KL weighted by w_G.
 *
 * <p>Readings of the paper, written down: the two q(z|x̂) heads are linear (the paper excepts
 * "embeddings" from batch norm + ReLU); the feature layer x̂ is followed by batch norm + ReLU with
 * the config's {@code featureBnRelu} (the default, measured best), else linear; the q(z|x̂) heads
 * give μ and log σ²; the sum linear(z) + linear(c) enters the decoder without an activation; layers
 * whose output reaches batch norm through linear maps only (the hidden dense layers, linear(z),
 * linear(c)) have no bias, since batch norm removes any constant offset: such a bias has a zero
 * gradient and would only random-walk under Adam. Cluster assignment is argmax of the logits, without noise; reconstruct and
 * decode use the one-hot of the cluster in place of the Gumbel sample.
 *
 * <p>Variable prefixes follow the sub-network they parameterise: {@code features_}, {@code qc_}
 * (q(c|x̂)), {@code qz_} (q(z|x̂)), {@code px_} (p(x|z, c)).
 */
public final class GmvaeGumbel {
  public static final String MODEL = "gmvae_gumbel";

  private GmvaeGumbel() {}

  /** The training branch: inputs to feed and the loss with its terms (batch means). */
  public record Training(
      Placeholder<TFloat32> x,
      Placeholder<TFloat32> temperature,
      Placeholder<TInt64> noiseSeed,
      Operand<TFloat32> loss,
      Operand<TFloat32> reconstruction,
      Operand<TFloat32> categoricalKl,
      Operand<TFloat32> gaussianKl,
      Operand<TFloat32> logits,
      Operand<TFloat32> target,
      List<Op> batchNormUpdates,
      AugmentationBranch aug) implements TrainingBranch {
    @Override
    public Map<String, Operand<?>> inputs() {
      Map<String, Operand<?>> in = TrainingBranch.named(X, x, NOISE_SEED, noiseSeed, TEMPERATURE,
          temperature);
      if (aug != null) {
        aug.addInputs(in);
      }
      return in;
    }

    @Override
    public Map<String, Operand<TFloat32>> terms() {
      Map<String, Operand<TFloat32>> t = TrainingBranch.named(LOSS, loss, "reconstruction",
          reconstruction, "categorical_kl", categoricalKl, "gaussian_kl", gaussianKl);
      if (aug != null) {
        aug.addTerms(t);
      }
      return t;
    }
  }


  /** The inference branch (batch norm on moving averages, no noise). */
  public record Inference(
      Operand<TFloat32> probs,
      Operand<TInt64> cluster,
      Operand<TFloat32> embedding,
      Operand<TFloat32> reconstruction) implements ClusterInference {}

  /** Posterior parameters of one forward pass. */
  private record Posterior(
      Operand<TFloat32> logits, Operand<TFloat32> zMean, Operand<TFloat32> zLogVar) {}

  /**
   * Builds the training loss on input x. Noise comes from stateless random ops seeded by the fed
   * {@code noise_seed} [s, t]: Gumbel uniforms from (s, 2t), Gaussian ε from (s, 2t + 1), so a run
   * is reproducible step by step and the Python reference can draw the same numbers. With
   * {@code binarize}, the image the loss sees (input and target, {@code target} [B, D]) is
   * [u < x] with u = stateless_uniform([B, D], seed = (s, −t)), a stream apart from both.
   */
  public static Training training(Ops tf, Params p, GmvaeGumbelConfig c, Placeholder<TFloat32> x) {
    var temperature = tf.withName("temperature")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    var noiseSeed = tf.withName("noise_seed")
        .placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    List<Op> updates = new ArrayList<>();
    Operand<TFloat32> flat = ModelConfig.flatten(tf, c, x);
    Operand<TFloat32> u = c.binarize() ? tf.random.statelessRandomUniform(tf.shape(flat),
        tf.math.mul(noiseSeed, tf.constant(new long[] {1, -1}))) : null;
    if (u != null) {
      flat = tf.dtypes.cast(tf.math.less(u, flat), TFloat32.class);
    }
    Posterior q = posterior(tf, p, c, flat, true, updates);

    var batch = tf.slice(tf.shape(flat), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var gumbelSeed = tf.math.mul(noiseSeed, tf.constant(new long[] {1, 2}));
    var normalSeed = tf.math.add(gumbelSeed, tf.constant(new long[] {0, 1}));
    var uniform = tf.random.statelessRandomUniform(
        tf.concat(List.of(batch, tf.constant(new int[] {c.clusters()})), tf.constant(0)),
        gumbelSeed);
    var epsilon = tf.random.statelessRandomNormal(
        tf.concat(List.of(batch, tf.constant(new int[] {c.latentDim()})), tf.constant(0)),
        normalSeed);
    Operand<TFloat32> y = GumbelSoftmax.sample(tf, q.logits(), temperature, uniform);
    if (c.straightThrough()) {
      y = GumbelSoftmax.straightThroughOneHot(tf, y, c.clusters());
    }
    var z = DiagonalGaussian.sample(tf, q.zMean(), q.zLogVar(), epsilon);
    var xLogits = pXGivenZC(tf, p, c, z, y, true, updates);

    var axis = tf.constant(0);
    var rec = tf.math.mean(Bernoulli.crossEntropyFromLogits(tf, xLogits, flat), axis);
    var catKl = tf.math.mean(Categorical.klToUniform(tf, q.logits(), c.clusters()), axis);
    var gaussKl = tf.math.mean(DiagonalGaussian.klToStandardNormal(tf, q.zMean(), q.zLogVar()),
        axis);
    Operand<TFloat32> loss = tf.math.add(tf.math.add(rec, catKl),
        tf.math.mul(tf.constant(c.gaussianWeight()), gaussKl));
    AugmentationBranch aug = null;
    if (c.augmented()) {
      aug = augmentation(tf, p, c, q, u);
      loss = aug.addTo(tf, loss);
    }
    return new Training(x, temperature, noiseSeed, tf.withName("loss").identity(loss), rec,
        catKl, gaussKl, q.logits(), flat, updates, aug);
  }

  /**
   * The augmentation loss (config {@code aug} = w2; {@link AugmentationLoss#single}): x̂ fed as
   * {@code x_aug} (binarised by the same uniforms u as x where the config binarises), λ_aug as
   * {@code aug_weight}; x̂'s posterior with batch statistics, its moving-average updates dropped
   * (x's alone move them). σ = exp(½ log σ²).
   */
  private static AugmentationBranch augmentation(Ops tf, Params p, GmvaeGumbelConfig c,
      Posterior q, Operand<TFloat32> u) {
    var xAug = AugmentationBranch.augmentedInput(tf, c);
    Operand<TFloat32> flatAug = ModelConfig.flatten(tf, c, xAug);
    if (u != null) {
      flatAug = tf.dtypes.cast(tf.math.less(u, flatAug), TFloat32.class);
    }
    Posterior qAug = posterior(tf, p, c, flatAug, true, new ArrayList<>());
    var half = tf.constant(0.5f);
    var loss = AugmentationLoss.single(tf, tf.nn.softmax(q.logits()), q.zMean(),
        tf.math.exp(tf.math.mul(half, q.zLogVar())), tf.nn.softmax(qAug.logits()), qAug.zMean(),
        tf.math.exp(tf.math.mul(half, qAug.zLogVar())));
    return AugmentationBranch.of(tf, xAug, loss);
  }

  /** Builds the inference outputs for input x (moving-average batch norm, no noise). */
  public static Inference inference(Ops tf, Params p, GmvaeGumbelConfig c, Operand<TFloat32> x) {
    List<Op> none = new ArrayList<>();
    Posterior q = posterior(tf, p, c, ModelConfig.flatten(tf, c, x), false, none);
    var probs = tf.nn.softmax(q.logits());
    var cluster = tf.math.argMax(q.logits(), tf.constant(1), TInt64.class);
    var oneHot = tf.oneHot(cluster, tf.constant(c.clusters()), tf.constant(1f), tf.constant(0f));
    var xHat = ModelConfig.toImage(tf, c, tf.math.sigmoid(pXGivenZC(tf, p, c, q.zMean(), oneHot, false, none)));
    return new Inference(probs, cluster, q.zMean(), xHat);
  }

  /** Mean of p(x|z, c) for given z [B, Z] and cluster ids [B], as images [B, H, W, C]. */
  public static Operand<TFloat32> decode(
      Ops tf, Params p, GmvaeGumbelConfig c, Operand<TFloat32> z, Operand<TInt32> cluster) {
    var oneHot = tf.oneHot(cluster, tf.constant(c.clusters()), tf.constant(1f), tf.constant(0f));
    return ModelConfig.toImage(tf, c, tf.math.sigmoid(pXGivenZC(tf, p, c, z, oneHot, false, new ArrayList<>())));
  }

  /** p(z|c) = N(0, I) for every cluster (Eq. 3): mean 0 and stddev 1, [B, Z] for B cluster ids. */
  public static Operand<TFloat32>[] prior(Ops tf, GmvaeGumbelConfig c, Operand<TInt32> cluster) {
    var batch = tf.shape(cluster);
    var shape = tf.concat(List.of(batch, tf.constant(new int[] {c.latentDim()})), tf.constant(0));
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      tf.zeros(shape, TFloat32.class), tf.ones(shape, TFloat32.class)
    };
    return out;
  }

  private static Posterior posterior(Ops tf, Params p, GmvaeGumbelConfig c, Operand<TFloat32> flat,
      boolean training, List<Op> updates) {
    var features = features(tf, p, c, flat, training, updates);
    return new Posterior(qCGivenX(tf, p, c, features, training, updates),
        Dense.apply(tf, p, "qz_mean", features, c.featureDim(), c.latentDim()),
        Dense.apply(tf, p, "qz_logvar", features, c.featureDim(), c.latentDim()));
  }

  /**
   * x̂ = g(x) (Eq. 1): D-hidden-df (the paper's D-512-256-df), batch norm + ReLU on the hidden
   * layers; x̂ linear, or with the config's {@code featureBnRelu} a hidden layer too ({@code
   * features_out_dense}, {@code features_out_bn}). The conv backbone's convolutions (ReLU, no
   * batch norm) come first.
   */
  private static Operand<TFloat32> features(Ops tf, Params p, GmvaeGumbelConfig c,
      Operand<TFloat32> flat, boolean training, List<Op> updates) {
    var stem = c.backboneLayers().encode(tf, p, "features", flat, tf.nn::relu);
    var h = Mlp.apply("features", stem.rows(), stem.width(), c.hidden(),
        bnRelu(tf, p, training, updates));
    int width = Mlp.outWidth(stem.width(), c.hidden());
    return c.featureBnRelu()
        ? bnRelu(tf, p, training, updates).apply("features_out", h, width, c.featureDim())
        : Dense.apply(tf, p, "features_out", h, width, c.featureDim());
  }

  /** Logits of q(c|x̂) (Eq. 5): df-df-df/2-K. */
  private static Operand<TFloat32> qCGivenX(Ops tf, Params p, GmvaeGumbelConfig c,
      Operand<TFloat32> features, boolean training, List<Op> updates) {
    int df = c.featureDim();
    var h = Mlp.apply("qc", features, df, new int[] {df, df / 2},
        bnRelu(tf, p, training, updates));
    return Dense.apply(tf, p, "qc_logits", h, df / 2, c.clusters());
  }

  /**
   * Bernoulli logits of p(x|z, c) (Eq. 4): linear(z) + linear(c) → df (with the config's {@code
   * jointBnRelu} followed by batch norm + ReLU, {@code px_joint_bn}), then the feature net's
   * hidden widths in reverse (the paper's df-256-512-D); the conv backbone's transposed
   * convolutions (ReLU, no batch norm) and output layer after them.
   */
  private static Operand<TFloat32> pXGivenZC(Ops tf, Params p, GmvaeGumbelConfig c,
      Operand<TFloat32> z, Operand<TFloat32> y, boolean training, List<Op> updates) {
    int[] widths = c.hidden().clone();
    for (int i = 0; i < widths.length / 2; i++) {
      int t = widths[i];
      widths[i] = widths[widths.length - 1 - i];
      widths[widths.length - 1 - i] = t;
    }
    Operand<TFloat32> joint = tf.math.add(
        Dense.applyNoBias(tf, p, "px_from_z", z, c.latentDim(), c.featureDim()),
        Dense.applyNoBias(tf, p, "px_from_c", y, c.clusters(), c.featureDim()));
    if (c.jointBnRelu()) {
      joint = tf.nn.relu(BatchNorm.apply(tf, p, "px_joint_bn", joint, c.featureDim(), training,
          updates));
    }
    var h = Mlp.apply("px", joint, c.featureDim(), widths, bnRelu(tf, p, training, updates));
    return c.backboneLayers().decode(tf, p, "px", h, Mlp.outWidth(c.featureDim(), widths),
        tf.nn::relu).apply("px_logits");
  }

  /** Dense (no bias) → batch norm → ReLU; variables {@code name_dense_*} and {@code name_bn_*}. */
  private static Mlp.Layer bnRelu(Ops tf, Params p, boolean training, List<Op> updates) {
    return (name, x, in, out) -> tf.nn.relu(BatchNorm.apply(tf, p, name + "_bn",
        Dense.applyNoBias(tf, p, name + "_dense", x, in, out), out, training, updates));
  }
}
