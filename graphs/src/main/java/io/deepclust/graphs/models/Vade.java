package io.deepclust.graphs.models;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.dist.Bernoulli;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.dist.GaussianMixture;
import io.deepclust.graphs.layers.Backbone;
import io.deepclust.graphs.layers.Dense;
import io.deepclust.graphs.layers.Mlp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * VaDE (vade.txt §3): a GMM prior p(c) p(z|c) (Eq. 4-5), a Bernoulli decoder p(x|z) (Eq. 1, 6), a
 * Gaussian encoder q(z|x) (Eq. 9-10) and q(c|x) from p(c|z) (Eq. 11-12); loss = −ELBO of Eq. 13 in
 * closed form with one z sample. docs/models.md lists the variables and every term.
 *
 * <p>Readings: π is the softmax of free logits and σ²_c = exp(log σ²_c), so the prior cannot leave
 * the simplex or reach a negative variance (the original code's unconstrained π and σ² are a known
 * source of NaN); γ is computed from the same sampled z as the reconstruction, in log space, and
 * gradients flow through it, as in the original code; assignments use γ at z = μ̃.
 */
public final class Vade {
  public static final String MODEL = "vade";

  private Vade() {}

  /** The variables, created in the documented order. */
  public record Variables(List<Operand<TFloat32>> autoencoder, List<String> autoencoderNames,
      Operand<TFloat32> priorLogits, Operand<TFloat32> priorMeans,
      Operand<TFloat32> priorLogVars) {}

  /**
   * The training branch: the joint loss (−ELBO, + the augmentation loss where the config has
   * it; {@code negativeElbo} without it, the restarts' objective) and its terms, the pretraining
   * loss ({@link Pretraining}'s BCE or MSE of the deterministic autoencoder x → μ̃ → x̂), and the
   * decoder refit's loss (the mean BCE of that autoencoder, summed over pixels).
   */
  public record Training(
      Placeholder<TFloat32> x,
      Placeholder<TInt64> noiseSeed,
      Operand<TFloat32> loss,
      Operand<TFloat32> reconstruction,
      Operand<TFloat32> latentKl,
      Operand<TFloat32> categoricalKl,
      Operand<TFloat32> logGamma,
      Operand<TFloat32> pretrainLoss,
      Operand<TFloat32> refitLoss,
      AugmentationBranch aug,
      Operand<TFloat32> negativeElbo) implements TrainingBranch {
    @Override
    public Map<String, Operand<?>> inputs() {
      Map<String, Operand<?>> in = TrainingBranch.named(X, x, NOISE_SEED, noiseSeed);
      if (aug != null) {
        aug.addInputs(in);
      }
      return in;
    }

    /** The joint phase's terms; the pretraining and refit phases log their one loss. */
    @Override
    public Map<String, Operand<TFloat32>> terms() {
      Map<String, Operand<TFloat32>> t = TrainingBranch.named(LOSS, loss, "reconstruction",
          reconstruction, "latent_kl", latentKl, "categorical_kl", categoricalKl);
      if (aug != null) {
        aug.addTerms(t);
      }
      return t;
    }
  }

  /** The deterministic inference branch. */
  public record Inference(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction) implements ClusterInference {}

  /** Creates (or finds) every variable in the order of docs/models.md. */
  public static Variables variables(Ops tf, Params p, VadeConfig c) {
    int z = c.latentDim();
    var backbone = c.backboneLayers();
    // The layers of qZGivenX and pXGivenZ, in their order.
    List<Backbone.LayerShape> layers = new ArrayList<>(backbone.encoderLayers("qz"));
    int width = dense("qz", backbone.encodedWidth(), c.encoderHidden(), layers);
    for (String head : new String[] {"qz_mean", "qz_logvar"}) {
      layers.add(new Backbone.LayerShape(head, new long[] {width, z}, z));
    }
    width = dense("px", z, c.decoderHidden(), layers);
    layers.addAll(backbone.decoderLayers("px", width, List.of("px_logits")));
    List<Operand<TFloat32>> ae = new ArrayList<>();
    List<String> aeNames = new ArrayList<>();
    Params.Init kernelInit = Pretraining.FAN_IN_UNIFORM.equals(c.pretraining().init())
        ? Params.Init.FAN_IN_UNIFORM : Params.Init.GLOROT_UNIFORM;
    for (var layer : layers) {
      if (layer.name().equals("qz_logvar")) {
        // q(z|x)'s log-variance head is no part of the deterministic autoencoder.
        p.get(layer.name() + "_kernel", Shape.of(layer.kernel()), kernelInit, true);
        p.get(layer.name() + "_bias", Shape.of(layer.bias()), Params.Init.ZEROS, true);
        continue;
      }
      ae.add(p.get(layer.name() + "_kernel", Shape.of(layer.kernel()), kernelInit, true));
      aeNames.add(layer.name() + "_kernel");
      ae.add(p.get(layer.name() + "_bias", Shape.of(layer.bias()), Params.Init.ZEROS, true));
      aeNames.add(layer.name() + "_bias");
    }
    int k = c.clusters();
    return new Variables(ae, aeNames,
        p.get("pc_logits", Shape.of(k), Params.Init.ZEROS, true),
        p.get("pz_mean", Shape.of(k, z), Params.Init.ZEROS, true),
        p.get("pz_logvar", Shape.of(k, z), Params.Init.ZEROS, true));
  }

  /** Appends Mlp.apply's dense layers prefix_1.. to {@code layers}; returns the last width. */
  private static int dense(String prefix, int in, int[] widths,
      List<Backbone.LayerShape> layers) {
    int from = in;
    for (int i = 0; i < widths.length; i++) {
      layers.add(new Backbone.LayerShape(prefix + "_" + (i + 1), new long[] {from, widths[i]},
          widths[i]));
      from = widths[i];
    }
    return from;
  }

  /**
   * The joint loss −ELBO (Eq. 13) and the pretraining loss on input x; ε from stateless_normal
   * seeded by [s, 2t + 1] for the fed noise seed [s, t].
   */
  public static Training training(Ops tf, Params p, VadeConfig c, Placeholder<TFloat32> x) {
    Variables v = variables(tf, p, c);
    var noiseSeed = tf.withName("noise_seed")
        .placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    var flat = ModelConfig.flatten(tf, c, x);
    var q = qZGivenX(tf, p, c, flat);
    var batch = tf.slice(tf.shape(flat), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var normalSeed = tf.math.add(tf.math.mul(noiseSeed, tf.constant(new long[] {1, 2})),
        tf.constant(new long[] {0, 1}));
    var eps = tf.random.statelessRandomNormal(
        tf.concat(List.of(batch, tf.constant(new int[] {c.latentDim()})), tf.constant(0)),
        normalSeed);
    var z = DiagonalGaussian.sample(tf, q[0], q[1], eps);

    var rec = Bernoulli.crossEntropyFromLogits(tf, pXGivenZ(tf, p, c, z), flat);
    var logGamma = GaussianMixture.logResponsibilities(tf, z, v.priorLogits(), v.priorMeans(),
        v.priorLogVars());
    var gamma = tf.math.exp(logGamma);
    var one = tf.constant(1);
    var expectedLogPz = tf.reduceSum(tf.math.mul(gamma, GaussianMixture.expectedLogDensities(tf,
        q[0], q[1], v.priorMeans(), v.priorLogVars())), one);
    var latentKl = tf.math.neg(tf.math.add(expectedLogPz, DiagonalGaussian.entropy(tf, q[1])));
    var logPi = tf.nn.logSoftmax(tf.expandDims(v.priorLogits(), tf.constant(0)));
    var categoricalKl = tf.reduceSum(tf.math.mul(gamma, tf.math.sub(logGamma, logPi)), one);

    var axis = tf.constant(0);
    var recMean = tf.math.mean(rec, axis);
    var latentMean = tf.math.mean(latentKl, axis);
    var catMean = tf.math.mean(categoricalKl, axis);
    Operand<TFloat32> negativeElbo = tf.math.add(recMean, tf.math.add(latentMean, catMean));
    Operand<TFloat32> loss = negativeElbo;
    AugmentationBranch aug = null;
    if (c.augmented()) {
      aug = augmentation(tf, p, c, v, q);
      loss = aug.addTo(tf, loss);
    }
    var aeLogits = pXGivenZ(tf, p, c, q[0]);
    var pretrain = tf.withName("pretrain_loss").math.mean(
        pretrainLoss(tf, c, aeLogits, flat), axis);
    var refit = tf.withName("refit_loss").math.mean(
        Bernoulli.crossEntropyFromLogits(tf, aeLogits, flat), axis);
    return new Training(x, noiseSeed, tf.withName("loss").identity(loss), recMean, latentMean,
        catMean, logGamma, pretrain, refit, aug, negativeElbo);
  }

  /**
   * The augmentation loss (config {@code aug} = w2; {@link AugmentationLoss#single}) of x and the
   * fed x̂: q(c|·) = γ at z = μ̃ (the inference's, no noise) and q(z|·) = N(μ̃, σ̃²).
   */
  private static AugmentationBranch augmentation(Ops tf, Params p, VadeConfig c, Variables v,
      Operand<TFloat32>[] q) {
    var xAug = AugmentationBranch.augmentedInput(tf, c);
    var qAug = qZGivenX(tf, p, c, ModelConfig.flatten(tf, c, xAug));
    var half = tf.constant(0.5f);
    var loss = AugmentationLoss.single(tf, gammaAt(tf, v, q[0]), q[0],
        tf.math.exp(tf.math.mul(half, q[1])), gammaAt(tf, v, qAug[0]), qAug[0],
        tf.math.exp(tf.math.mul(half, qAug[1])));
    return AugmentationBranch.of(tf, xAug, loss);
  }

  /** γ = p(c|z) [B, K] at z (Eq. 11-12). */
  private static Operand<TFloat32> gammaAt(Ops tf, Variables v, Operand<TFloat32> z) {
    return tf.math.exp(GaussianMixture.logResponsibilities(tf, z, v.priorLogits(),
        v.priorMeans(), v.priorLogVars()));
  }

  /**
   * The pretraining loss per image [B] of the decoder's logits at z = μ̃ ({@link Pretraining}):
   * BCE summed over pixels, or the squared error of the logits read as a linear output (DEC-keras),
   * averaged over pixels.
   */
  static Operand<TFloat32> pretrainLoss(Ops tf, VadeConfig c, Operand<TFloat32> logits,
      Operand<TFloat32> flat) {
    if (Pretraining.BCE.equals(c.pretraining().loss())) {
      return Bernoulli.crossEntropyFromLogits(tf, logits, flat);
    }
    return tf.math.mean(tf.math.square(tf.math.sub(logits, flat)), tf.constant(1));
  }

  /** Inference at z = μ̃: probs = γ(μ̃), cluster = argmax, embedding = μ̃, reconstruction. */
  public static Inference inference(Ops tf, Params p, VadeConfig c, Operand<TFloat32> x) {
    Variables v = variables(tf, p, c);
    var q = qZGivenX(tf, p, c, ModelConfig.flatten(tf, c, x));
    var logGamma = GaussianMixture.logResponsibilities(tf, q[0], v.priorLogits(),
        v.priorMeans(), v.priorLogVars());
    var probs = tf.math.exp(logGamma);
    var cluster = tf.math.argMax(logGamma, tf.constant(1), TInt64.class);
    var xHat = ModelConfig.toImage(tf, c, tf.math.sigmoid(pXGivenZ(tf, p, c, q[0])));
    return new Inference(probs, cluster, q[0], xHat);
  }

  /** Mean of p(x|z) as images; p(x|z) does not depend on the cluster, which is ignored. */
  public static Operand<TFloat32> decode(Ops tf, Params p, VadeConfig c, Operand<TFloat32> z) {
    variables(tf, p, c);
    return ModelConfig.toImage(tf, c, tf.math.sigmoid(pXGivenZ(tf, p, c, z)));
  }

  /** p(z|c) = N(μ_c, σ²_c) for the given cluster ids: mean and stddev, [B, Z]. */
  public static Operand<TFloat32>[] prior(Ops tf, Params p, VadeConfig c,
      Operand<TInt32> cluster) {
    Variables v = variables(tf, p, c);
    var axis = tf.constant(0);
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      tf.gather(v.priorMeans(), cluster, axis),
      tf.math.exp(tf.math.mul(tf.constant(0.5f), tf.gather(v.priorLogVars(), cluster, axis)))
    };
    return out;
  }

  /**
   * μ̃ and log σ̃² of q(z|x) (Eq. 9-10): D-encoderHidden (the paper's 500-500-2000), ReLU, two
   * linear heads; the conv backbone's convolutions before the dense layers.
   */
  private static Operand<TFloat32>[] qZGivenX(Ops tf, Params p, VadeConfig c,
      Operand<TFloat32> flat) {
    int[] e = c.encoderHidden();
    var stem = c.backboneLayers().encode(tf, p, "qz", flat, tf.nn::relu);
    var h = Mlp.apply("qz", stem.rows(), stem.width(), e, Mlp.denseRelu(tf, p));
    int width = Mlp.outWidth(stem.width(), e);
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      Dense.apply(tf, p, "qz_mean", h, width, c.latentDim()),
      Dense.apply(tf, p, "qz_logvar", h, width, c.latentDim())
    };
    return out;
  }

  /**
   * Bernoulli logits of p(x|z) (Eq. 1): Z-decoderHidden (the paper's 2000-500-500)-D, ReLU; the
   * conv backbone's transposed convolutions after the dense layers.
   */
  private static Operand<TFloat32> pXGivenZ(Ops tf, Params p, VadeConfig c, Operand<TFloat32> z) {
    int[] h = c.decoderHidden();
    var hidden = Mlp.apply("px", z, c.latentDim(), h, Mlp.denseRelu(tf, p));
    return c.backboneLayers().decode(tf, p, "px", hidden, Mlp.outWidth(c.latentDim(), h),
        tf.nn::relu).apply("px_logits");
  }
}
