package io.deepclust.graphs.models;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.dist.Bernoulli;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.layers.Conv2d;
import io.deepclust.graphs.layers.Conv2d.Spec;
import io.deepclust.graphs.layers.Dense;
import io.deepclust.graphs.layers.Mlp;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.LeakyRelu;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Variational Clustering (variational-clustering-w2.txt §IV): a convolutional q(k|x), q(z|x,k) from
 * the trunk's features and e_k, a learned GMM prior p(z|k) from e_k, a transposed-conv p(x|z); the
 * ELBO of Eq. 13 sums over every k (one decoder pass on B·K rows), and the augmentation loss of
 * Eq. 14-17 ties the posteriors of x and its augmented copy x̂. docs/models.md lists the variables
 * and every reading of the paper.
 */
public final class VariationalClustering {
  public static final String MODEL = "vc";
  /** Floor added to softplus standard deviations and variances. */
  public static final float SD_FLOOR = 1e-4f;
  public static final float LEAKY_RELU_ALPHA = 0.2f;

  private VariationalClustering() {}

  /** Training inputs and the terms of Eq. 18's loss. */
  public record Training(Placeholder<TFloat32> x, Placeholder<TFloat32> xAug,
      Placeholder<TInt64> noiseSeed, Placeholder<TFloat32> reconsScale,
      Placeholder<TFloat32> augWeight, Operand<TFloat32> loss, Operand<TFloat32> reconstruction,
      Operand<TFloat32> entropy, Operand<TFloat32> gaussianKl, Operand<TFloat32> augL2,
      Operand<TFloat32> augW2, Operand<TFloat32> logits) implements TrainingBranch {
    @Override
    public Map<String, Operand<?>> inputs() {
      return TrainingBranch.named(X, x, X_AUG, xAug, NOISE_SEED, noiseSeed, RECONS_SCALE,
          reconsScale, AUG_WEIGHT, augWeight);
    }

    @Override
    public Map<String, Operand<TFloat32>> terms() {
      return TrainingBranch.named(LOSS, loss, "reconstruction", reconstruction, "entropy",
          entropy, "gaussian_kl", gaussianKl, AugmentationBranch.L2, augL2,
          AugmentationBranch.W2, augW2);
    }
  }

  public record Inference(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction) implements ClusterInference {}

  /** q(k|x) (logits, log-probabilities, probabilities [B, K]) and q(z|x,k) (μ, σ [B, K, Z]). */
  record Posterior(Operand<TFloat32> logits, Operand<TFloat32> logProbs,
      Operand<TFloat32> probs, Operand<TFloat32> mean, Operand<TFloat32> sd) {}

  /** p(x|z): Bernoulli logits, or Gaussian mean and variance (variance null for Bernoulli). */
  record Decoded(Operand<TFloat32> meanOrLogits, Operand<TFloat32> variance) {}

  /** The ELBO's three terms (Eq. 13), batch means: Σ_k q(k|x) rec_k, H(q(k|x)), Σ_k q(k|x) KL_k. */
  private record ElboTerms(Operand<TFloat32> reconstruction, Operand<TFloat32> entropy,
      Operand<TFloat32> gaussianKl) {}

  /**
   * −ELBO (Eq. 13, reconstruction scaled by λ_recons) + λ_aug L_aug (Eq. 14, 17) = Eq. 18, on x and
   * its augmented copy {@code x_aug}, both fed; ε [B, K, Z] from stateless_normal(seed = [s, 2t +
   * 1]). With {@code elboOnAugmented} each ELBO term is the mean of its value on x and on x̂, x̂'s ε
   * from stateless_normal(seed = [s, −(2t + 1)]).
   */
  public static Training training(Ops tf, Params p, VcConfig c, Placeholder<TFloat32> x) {
    var xAug = ModelConfig.imageInput(tf, c, "x_aug");
    var noiseSeed = tf.withName("noise_seed")
        .placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    var reconsScale = tf.withName("recons_scale")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    var augWeight = tf.withName("aug_weight")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    Posterior q = posterior(tf, p, c, x);
    var prior = pZGivenK(tf, p, c, eye(tf, c.clusters()));
    // ε's seed [s, 2t + 1]; x̂'s (elboOnAugmented) [s, −(2t + 1)].
    var normalSeed = tf.math.add(tf.math.mul(noiseSeed, tf.constant(new long[] {1, 2})),
        tf.constant(new long[] {0, 1}));
    ElboTerms onX = elboTerms(tf, p, c, q, x, prior, normalSeed);
    Posterior qAug = posterior(tf, p, c, xAug);
    var zero = tf.constant(0);
    var one = tf.constant(1);
    ElboTerms terms = onX;
    if (c.elboOnAugmented()) {
      var augSeed = tf.math.mul(normalSeed, tf.constant(new long[] {1, -1}));
      ElboTerms onAug = elboTerms(tf, p, c, qAug, xAug, prior, augSeed);
      var half = tf.constant(0.5f);
      terms = new ElboTerms(
          tf.math.mul(half, tf.math.add(onX.reconstruction(), onAug.reconstruction())),
          tf.math.mul(half, tf.math.add(onX.entropy(), onAug.entropy())),
          tf.math.mul(half, tf.math.add(onX.gaussianKl(), onAug.gaussianKl())));
    }
    var reconstruction = tf.withName("reconstruction").identity(terms.reconstruction());
    var entropy = tf.withName("entropy").identity(terms.entropy());
    var gaussianKl = tf.withName("gaussian_kl").identity(terms.gaussianKl());

    boolean stop = c.augTargetStopGradient();
    var probs = stop ? tf.stopGradient(q.probs()) : q.probs();
    var mean = stop ? tf.stopGradient(q.mean()) : q.mean();
    var sd = stop ? tf.stopGradient(q.sd()) : q.sd();
    var aug = AugmentationLoss.perCluster(tf, probs, mean, sd, qAug.probs(), qAug.mean(),
        qAug.sd());
    var augL2 = tf.withName(AugmentationBranch.L2).identity(aug.l2());
    var augW2 = tf.withName(AugmentationBranch.W2).identity(aug.w2());

    var negElbo = tf.math.add(tf.math.sub(tf.math.mul(reconsScale, reconstruction), entropy),
        gaussianKl);
    var loss = tf.withName("loss").math.add(negElbo,
        tf.math.mul(augWeight, tf.math.add(augL2, augW2)));
    return new Training(x, xAug, noiseSeed, reconsScale, augWeight, loss, reconstruction, entropy,
        gaussianKl, augL2, augW2, q.logits());
  }

  /** The ELBO terms on images x with posterior q, ε [B, K, Z] from stateless_normal(seed). */
  private static ElboTerms elboTerms(Ops tf, Params p, VcConfig c, Posterior q,
      Operand<TFloat32> x, Operand<TFloat32>[] prior, Operand<TInt64> seed) {
    var batch = tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var eps = tf.random.statelessRandomNormal(tf.concat(List.of(batch,
        tf.constant(new int[] {c.clusters(), c.latentDim()})), tf.constant(0)), seed);
    var z = tf.math.add(q.mean(), tf.math.mul(q.sd(), tf.stopGradient(eps)));
    var zRows = tf.reshape(z, tf.constant(new int[] {-1, c.latentDim()}));
    var rec = reconstructionPerCluster(tf, c, pXGivenZ(tf, p, c, zRows), x);
    var kl = klPerCluster(tf, q.mean(), q.sd(), prior[0], prior[1]);
    var zero = tf.constant(0);
    var one = tf.constant(1);
    return new ElboTerms(tf.math.mean(tf.reduceSum(tf.math.mul(q.probs(), rec), one), zero),
        tf.math.mean(tf.math.neg(tf.reduceSum(tf.math.mul(q.probs(), q.logProbs()), one)), zero),
        tf.math.mean(tf.reduceSum(tf.math.mul(q.probs(), kl), one), zero));
  }

  /**
   * probs = q(k|x), cluster = argmax; embedding = μ of q(z|x, k*) at the assigned k*;
   * reconstruction = the decoder's mean at that μ.
   */
  public static Inference inference(Ops tf, Params p, VcConfig c, Operand<TFloat32> x) {
    Posterior q = posterior(tf, p, c, x);
    var cluster = tf.math.argMax(q.logits(), tf.constant(1), TInt64.class);
    var embedding = tf.gather(q.mean(), cluster, tf.constant(1), Gather.batchDims(1L));
    return new Inference(q.probs(), cluster, embedding, mean(tf, c, pXGivenZ(tf, p, c,
        embedding)));
  }

  /** The mean of p(x|z) (the decoder does not depend on the cluster, which is accepted). */
  public static Operand<TFloat32> decode(Ops tf, Params p, VcConfig c, Operand<TFloat32> z) {
    return mean(tf, c, pXGivenZ(tf, p, c, z));
  }

  /** μ_β, σ_β [B, Z] of p(z|k) for clusters [B]. */
  public static Operand<TFloat32>[] prior(Ops tf, Params p, VcConfig c, Operand<TInt32> cluster) {
    return pZGivenK(tf, p, c, tf.oneHot(cluster, tf.constant(c.clusters()), tf.constant(1f),
        tf.constant(0f)));
  }

  /** μ_β, σ_β [B, Z] of p(z|ẽ) for soft one-hot rows ẽ [B, K] (the paper's k-interpolation). */
  public static Operand<TFloat32>[] priorMix(Ops tf, Params p, VcConfig c,
      Operand<TFloat32> weights) {
    return pZGivenK(tf, p, c, weights);
  }

  /**
   * The shared trunk, flattened [B, F]: the Table II convolutions, or with the MLP backbone the
   * dense layers {@code qk_1} … on the pixels.
   */
  static Operand<TFloat32> trunk(Ops tf, Params p, VcConfig c, Operand<TFloat32> x) {
    if (c.mlp()) {
      var stem = c.backboneLayers().encode(tf, p, "qk", ModelConfig.flatten(tf, c, x),
          a -> act(tf, c, a));
      return Mlp.apply("qk", stem.rows(), stem.width(), VcConfig.MLP_TRUNK, dense(tf, p, c));
    }
    int[] in = c.inputShape();
    var h = Conv2d.stack(tf, p, "qk_conv", new Conv2d.Images(x, in[0], in[1], in[2]),
        c.encoderConvs(), a -> act(tf, c, a));
    return tf.reshape(h.x(), tf.constant(new int[] {-1, c.featureDim()}));
  }

  /**
   * q(k|x) from the trunk, and q(z|x,k) for every k from rows concat(f_b, e_k) [B·K, F + K], f_b the
   * trunk's features or, with {@code posteriorFromPixels}, the flattened pixels (F = H·W·C).
   */
  static Posterior posterior(Ops tf, Params p, VcConfig c, Operand<TFloat32> x) {
    int k = c.clusters();
    var features = trunk(tf, p, c, x);
    var logits = Dense.apply(tf, p, "qk_logits", features, c.featureDim(), k);
    int f = c.posteriorInputDim();
    Operand<TFloat32> rows = c.posteriorFromPixels()
        ? tf.reshape(x, tf.constant(new int[] {-1, f})) : features;
    var batch = tf.slice(tf.shape(features), tf.constant(new int[] {0}),
        tf.constant(new int[] {1}));
    var tiled = tf.tile(tf.expandDims(rows, tf.constant(1)), tf.constant(new int[] {1, k, 1}));
    var onehots = tf.broadcastTo(tf.expandDims(eye(tf, k), tf.constant(0)),
        tf.concat(List.of(batch, tf.constant(new int[] {k, k})), tf.constant(0)));
    Operand<TFloat32> h = tf.reshape(tf.concat(List.of(tiled, onehots), tf.constant(2)),
        tf.constant(new int[] {-1, f + k}));
    h = Mlp.apply("qz", h, f + k, c.posteriorHidden(), dense(tf, p, c));
    int in = Mlp.outWidth(f + k, c.posteriorHidden());
    var perCluster = tf.constant(new int[] {-1, k, c.latentDim()});
    var mean = tf.reshape(Dense.apply(tf, p, "qz_mean", h, in, c.latentDim()), perCluster);
    var sd = tf.reshape(standardDeviation(tf, c, Dense.apply(tf, p, "qz_sd", h, in,
        c.latentDim())), perCluster);
    return new Posterior(logits, tf.nn.logSoftmax(logits), tf.nn.softmax(logits), mean, sd);
  }

  /** p(z|e): μ_β, σ_β [N, Z] for rows e [N, K] (one-hot e_k or a soft mix). */
  static Operand<TFloat32>[] pZGivenK(Ops tf, Params p, VcConfig c, Operand<TFloat32> e) {
    var h = Mlp.apply("pz", e, c.clusters(), c.priorHidden(), dense(tf, p, c));
    int in = Mlp.outWidth(c.clusters(), c.priorHidden());
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      Dense.apply(tf, p, "pz_mean", h, in, c.latentDim()),
      standardDeviation(tf, c, Dense.apply(tf, p, "pz_sd", h, in, c.latentDim()))
    };
    return out;
  }

  /**
   * p(x|z) for rows z [N, Z]: dense layers, reshape, transposed convolutions; with the MLP
   * backbone dense layers {@code px_1} … ({@link VcConfig#MLP_DECODER}) and dense outputs.
   */
  static Decoded pXGivenZ(Ops tf, Params p, VcConfig c, Operand<TFloat32> z) {
    if (c.mlp()) {
      var h = Mlp.apply("px", z, c.latentDim(), VcConfig.MLP_DECODER, dense(tf, p, c));
      var output = c.backboneLayers().decode(tf, p, "px", h,
          Mlp.outWidth(c.latentDim(), VcConfig.MLP_DECODER), a -> act(tf, c, a));
      var meanOrLogits = ModelConfig.toImage(tf, c, output.apply("px_mean"));
      return new Decoded(meanOrLogits, VcConfig.GAUSSIAN.equals(c.likelihood())
          ? softplusFloor(tf, ModelConfig.toImage(tf, c, output.apply("px_var"))) : null);
    }
    int[] r = c.decoderReshape();
    var dense = tf.reshape(Mlp.apply("px", z, c.latentDim(), c.decoderDense(), dense(tf, p, c)),
        tf.constant(new int[] {-1, r[0], r[1], r[2]}));
    List<Spec> deconvs = c.decoderDeconvs();
    var h = Conv2d.transposedStack(tf, p, "px_deconv", new Conv2d.Images(dense, r[0], r[1], r[2]),
        deconvs.subList(0, deconvs.size() - 1), a -> act(tf, c, a));
    Spec out = deconvs.get(deconvs.size() - 1);
    var meanOrLogits = Conv2d.applyTransposed(tf, p, "px_mean", h.x(), h.height(), h.width(),
        h.channels(), out);
    Operand<TFloat32> variance = null;
    if (VcConfig.GAUSSIAN.equals(c.likelihood())) {
      variance = softplusFloor(tf, Conv2d.applyTransposed(tf, p, "px_var", h.x(), h.height(),
          h.width(), h.channels(), out));
    }
    return new Decoded(meanOrLogits, variance);
  }

  /**
   * −log p(x_b | z_bk) [B, K] from the decoder's output on B·K rows: Bernoulli Σ [softplus(l) −
   * x·l]; Gaussian ½ Σ [log 2π + log v + (x − m)² / v].
   */
  static Operand<TFloat32> reconstructionPerCluster(Ops tf, VcConfig c, Decoded d,
      Operand<TFloat32> x) {
    int[] s = c.inputShape();
    int k = c.clusters();
    var xRows = tf.reshape(tf.tile(tf.expandDims(x, tf.constant(1)),
        tf.constant(new int[] {1, k, 1, 1, 1})), tf.constant(new int[] {-1, s[0], s[1], s[2]}));
    var perRow = d.variance() == null
        ? Bernoulli.crossEntropyFromLogits(tf, d.meanOrLogits(), xRows, 1, 2, 3)
        : DiagonalGaussian.negativeLogLikelihood(tf, xRows, d.meanOrLogits(), d.variance(), 1, 2,
            3);
    return tf.reshape(perRow, tf.constant(new int[] {-1, k}));
  }

  /** KL(q(z|x, k) ‖ p(z|k)) [B, K] for posteriors [B, K, Z] and priors [K, Z]. */
  static Operand<TFloat32> klPerCluster(Ops tf, Operand<TFloat32> mean, Operand<TFloat32> sd,
      Operand<TFloat32> priorMean, Operand<TFloat32> priorSd) {
    var zero = tf.constant(0);
    return DiagonalGaussian.kl(tf, mean, sd, tf.expandDims(priorMean, zero),
        tf.expandDims(priorSd, zero));
  }

  private static Operand<TFloat32> mean(Ops tf, VcConfig c, Decoded d) {
    return d.variance() == null ? tf.math.sigmoid(d.meanOrLogits()) : d.meanOrLogits();
  }

  /** An {@link Mlp} layer: the config's activation of a dense layer. */
  private static Mlp.Layer dense(Ops tf, Params p, VcConfig c) {
    return (name, x, in, out) -> act(tf, c, Dense.apply(tf, p, name, x, in, out));
  }

  private static Operand<TFloat32> act(Ops tf, VcConfig c, Operand<TFloat32> h) {
    return VcConfig.LEAKY_RELU.equals(c.activation())
        ? tf.nn.leakyRelu(h, LeakyRelu.alpha(LEAKY_RELU_ALPHA)) : tf.nn.relu(h);
  }

  /**
   * σ from a dense output a: softplus(a) + 1e-4, or with {@code softplusVariance} σ = √(softplus(a)
   * + 1e-4) (softplus gives σ², the floor on σ² instead of σ).
   */
  static Operand<TFloat32> standardDeviation(Ops tf, VcConfig c, Operand<TFloat32> a) {
    return c.softplusVariance() ? tf.math.sqrt(softplusFloor(tf, a)) : softplusFloor(tf, a);
  }

  private static Operand<TFloat32> softplusFloor(Ops tf, Operand<TFloat32> a) {
    return tf.math.add(tf.math.softplus(a), tf.constant(SD_FLOOR));
  }

  private static Operand<TFloat32> eye(Ops tf, int k) {
    float[][] m = new float[k][k];
    for (int i = 0; i < k; i++) {
      m[i][i] = 1f;
    }
    return tf.constant(m);
  }
}
