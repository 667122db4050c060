package io.deepclust.graphs.models;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.dist.Bernoulli;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.dist.GumbelSoftmax;
import io.deepclust.graphs.layers.Dense;
import io.deepclust.graphs.layers.Mlp;
import java.util.List;
import java.util.function.Function;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * VAB (vab-bernoulli-mixture-vae.txt §2): an MLP encoder gives d Bernoulli code probabilities
 * μ = sigmoid(l), relaxed in training by a two-class Gumbel-softmax per bit; the prior is a
 * Bernoulli mixture (π = softmax of free logits, μ_{z|c} = sigmoid of free logits), q(c|y) is Eq. 11
 * in log space, and the loss is −ELBO of Eq. 10 with one sample. Inference is hard: the data vendor
 * sends bits b = [l > 0], the consumer classifies them by Eq. 11 at y = b. docs/models.md lists the
 * variables.
 */
public final class Vab {
  public static final String MODEL = "vab";
  /** Floor added to the Gaussian decoder's softplus variance. */
  public static final float VAR_FLOOR = 1e-4f;

  private Vab() {}

  /** The training branch: inputs and the terms of Eq. 10 (batch means). */
  public record Training(Placeholder<TFloat32> x, Placeholder<TInt64> noiseSeed,
      Placeholder<TFloat32> temperature, Operand<TFloat32> loss, Operand<TFloat32> reconstruction,
      Operand<TFloat32> logPz, Operand<TFloat32> logPc, Operand<TFloat32> logQz,
      Operand<TFloat32> entropyC, Operand<TFloat32> logits, Operand<TFloat32> code,
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
          reconstruction, "log_p_z", logPz, "log_p_c", logPc, "log_q_z", logQz, "entropy_c",
          entropyC);
      if (aug != null) {
        aug.addTerms(t);
      }
      return t;
    }
  }

  public record Inference(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction) implements ClusterInference {}

  /**
   * −ELBO (Eq. 10) with y from the two-class Gumbel-softmax of each bit at temperature τ (fed),
   * uniforms [B, d, 2] from stateless_uniform(seed = [s, 2t]); straight-through when configured.
   */
  public static Training training(Ops tf, Params p, VabConfig c, Placeholder<TFloat32> x) {
    var noiseSeed = tf.withName("noise_seed")
        .placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    var temperature = tf.withName("temperature")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    var flat = ModelConfig.flatten(tf, c, x);
    var l = qZGivenX(tf, p, c, flat);
    var batch = tf.slice(tf.shape(flat), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    var gumbelSeed = tf.math.mul(noiseSeed, tf.constant(new long[] {1, 2}));
    var u = tf.random.statelessRandomUniform(tf.concat(List.of(batch,
        tf.constant(new int[] {c.bits(), 2})), tf.constant(0)), gumbelSeed);
    var zero = tf.constant(0);
    Operand<TFloat32> y = GumbelSoftmax.binarySample(tf, l, temperature, u);
    if (c.straightThrough()) {
      y = GumbelSoftmax.straightThroughRound(tf, y);
    }
    var rec = reconstruction(tf, c, pXGivenZ(tf, p, c, y), flat);
    if (c.uniformPrior()) {
      return uniformPrior(tf, c, x, noiseSeed, temperature, rec, l, y);
    }
    var logPi = logPi(tf, p, c);
    var logPyc = logPzGivenC(tf, p, c, y);
    var logQc = tf.nn.logSoftmax(tf.math.add(tf.expandDims(logPi, zero), logPyc));
    var qc = tf.math.exp(logQc);
    var one = tf.constant(1);
    var reconstruction = tf.withName("reconstruction").math.mean(rec, zero);
    var logPz = tf.withName("log_p_z")
        .math.mean(tf.reduceSum(tf.math.mul(qc, logPyc), one), zero);
    var logPc = tf.withName("log_p_c").math.mean(tf.reduceSum(tf.math.mul(qc,
        tf.expandDims(logPi, zero)), one), zero);
    var logQz = tf.withName("log_q_z").math.mean(Bernoulli.logProb(tf, y, l), zero);
    var entropyC = tf.withName("entropy_c")
        .math.mean(tf.math.neg(tf.reduceSum(tf.math.mul(qc, logQc), one)), zero);
    Operand<TFloat32> loss = tf.math.sub(tf.math.add(tf.math.sub(tf.math.sub(reconstruction,
        logPz), logPc), logQz), entropyC);
    AugmentationBranch aug = null;
    if (c.augmented()) {
      aug = augmentation(tf, p, c, l);
      loss = aug.addTo(tf, loss);
    }
    return new Training(x, noiseSeed, temperature, tf.withName("loss").identity(loss),
        reconstruction, logPz, logPc, logQz, entropyC, l, y, aug);
  }

  /**
   * The augmentation loss (config {@code aug} = w2; {@link AugmentationLoss#bernoulli}) at the
   * code probabilities μ = sigmoid(l) of x and of the fed x̂: q(c|μ) of Eq. 11 with μ in place of
   * y, deterministic (no Gumbel noise).
   */
  private static AugmentationBranch augmentation(Ops tf, Params p, VabConfig c,
      Operand<TFloat32> l) {
    var xAug = AugmentationBranch.augmentedInput(tf, c);
    var mu = tf.math.sigmoid(l);
    var muAug = tf.math.sigmoid(qZGivenX(tf, p, c, ModelConfig.flatten(tf, c, xAug)));
    var loss = AugmentationLoss.bernoulli(tf, classify(tf, p, c, mu)[0], mu,
        classify(tf, p, c, muAug)[0], muAug);
    return AugmentationBranch.of(tf, xAug, loss);
  }

  /**
   * The public code's loss (config {@code uniformPrior}): −ELBO with a uniform prior
   * Bernoulli(½)^d, reconstruction + KL(q(z|x) ‖ Bernoulli(½)^d) with the KL in closed form (its
   * {@code sum(qy·log(2·qy))} over the bits); the mixture variables are not in it (they are fitted
   * by EM after each epoch). Terms: log_q_z = E_q log q(z|x) (closed form), log_p_z = −d·log 2,
   * log_p_c = entropy_c = 0; loss = reconstruction − log_p_z + log_q_z.
   */
  private static Training uniformPrior(Ops tf, VabConfig c, Placeholder<TFloat32> x,
      Placeholder<TInt64> noiseSeed, Placeholder<TFloat32> temperature, Operand<TFloat32> rec,
      Operand<TFloat32> l, Operand<TFloat32> y) {
    var zero = tf.constant(0);
    var negEntropy = Bernoulli.logProb(tf, tf.math.sigmoid(l), l);
    var reconstruction = tf.withName("reconstruction").math.mean(rec, zero);
    var logQz = tf.withName("log_q_z").math.mean(negEntropy, zero);
    var logPz = tf.withName("log_p_z").constant((float) (-c.bits() * Math.log(2)));
    var logPc = tf.withName("log_p_c").constant(0f);
    var entropyC = tf.withName("entropy_c").constant(0f);
    var loss = tf.withName("loss").math.add(tf.math.sub(reconstruction, logPz), logQz);
    return new Training(x, noiseSeed, temperature, loss, reconstruction, logPz, logPc, logQz,
        entropyC, l, y, null);
  }

  /**
   * The vendor's bits b = [l > 0] and the consumer's clusters from them: probs = q(c|b) (Eq. 11),
   * cluster = argmax; embedding = μ (code probabilities); reconstruction = the decoder's mean at b.
   */
  public static Inference inference(Ops tf, Params p, VabConfig c, Operand<TFloat32> x) {
    var l = qZGivenX(tf, p, c, ModelConfig.flatten(tf, c, x));
    var bits = tf.dtypes.cast(tf.math.greater(l, tf.constant(0f)), TFloat32.class);
    var decoded = ModelConfig.toImage(tf, c, mean(tf, pXGivenZ(tf, p, c, bits)));
    var classified = classify(tf, p, c, bits);
    return new Inference(classified[0], tf.math.argMax(classified[1], tf.constant(1),
        TInt64.class), tf.math.sigmoid(l), decoded);
  }

  /** {@code compress}: b = [l > 0] as uint8 [B, d]. */
  public static Operand<TUint8> compress(Ops tf, Params p, VabConfig c, Operand<TFloat32> x) {
    var l = qZGivenX(tf, p, c, ModelConfig.flatten(tf, c, x));
    return tf.dtypes.cast(tf.math.greater(l, tf.constant(0f)), TUint8.class);
  }

  /** {@code classify_bits}: probs [B, K] = q(c|b) of Eq. 11 and the argmax cluster. */
  public static Operand<?>[] classifyBits(Ops tf, Params p, VabConfig c, Operand<TUint8> bits) {
    var classified = classify(tf, p, c, tf.dtypes.cast(bits, TFloat32.class));
    return new Operand<?>[] {classified[0], tf.math.argMax(classified[1], tf.constant(1),
        TInt64.class)};
  }

  /** The decoder's mean at codes z [B, d] (relaxed or hard), as images. */
  public static Operand<TFloat32> decode(Ops tf, Params p, VabConfig c, Operand<TFloat32> z) {
    return ModelConfig.toImage(tf, c, mean(tf, pXGivenZ(tf, p, c, z)));
  }

  /** μ_{z|c} [B, d] for clusters [B]: the prior's Bernoulli probabilities. */
  public static Operand<TFloat32> prior(Ops tf, Params p, VabConfig c, Operand<TInt32> cluster) {
    return tf.math.sigmoid(tf.gather(priorLogits(tf, p, c), cluster, tf.constant(0)));
  }

  /** Encoder logits l [B, d]: μ = sigmoid(l) = q(z_j = 1 | x). */
  static Operand<TFloat32> qZGivenX(Ops tf, Params p, VabConfig c, Operand<TFloat32> flat) {
    var stem = c.backboneLayers().encode(tf, p, "qz", flat, tf.nn::relu);
    var h = Mlp.apply("qz", stem.rows(), stem.width(), c.encoderHidden(), Mlp.denseRelu(tf, p));
    return Dense.apply(tf, p, "qz_logits", h, Mlp.outWidth(stem.width(), c.encoderHidden()),
        c.bits());
  }

  /** p(x|z): Bernoulli logits {m}, or the Gaussian mean and variance {m, v}, [B, D]. */
  @SuppressWarnings("unchecked")
  static Operand<TFloat32>[] pXGivenZ(Ops tf, Params p, VabConfig c, Operand<TFloat32> z) {
    var h = Mlp.apply("px", z, c.bits(), c.decoderHidden(), Mlp.denseRelu(tf, p));
    int in = Mlp.outWidth(c.bits(), c.decoderHidden());
    Function<String, Operand<TFloat32>> output =
        c.backboneLayers().decode(tf, p, "px", h, in, tf.nn::relu);
    if (VabConfig.BERNOULLI.equals(c.likelihood())) {
      return new Operand[] {output.apply("px_logits")};
    }
    var m = output.apply("px_mean");
    var v = tf.math.add(tf.math.softplus(output.apply("px_var")), tf.constant(VAR_FLOOR));
    return new Operand[] {m, v};
  }

  /** −log p(x|z) per row [B]: Σ BCE from logits, or ½ Σ (log 2π + log v + (x − m)² / v). */
  static Operand<TFloat32> reconstruction(Ops tf, VabConfig c, Operand<TFloat32>[] px,
      Operand<TFloat32> flat) {
    return px.length == 1 ? Bernoulli.crossEntropyFromLogits(tf, px[0], flat)
        : DiagonalGaussian.negativeLogLikelihood(tf, flat, px[0], px[1], 1);
  }

  /** log π = log_softmax(pc_logits) [K]. */
  static Operand<TFloat32> logPi(Ops tf, Params p, VabConfig c) {
    var logits = p.get("pc_logits", Shape.of(c.clusters()), Params.Init.ZEROS, true);
    return tf.reshape(tf.nn.logSoftmax(tf.expandDims(logits, tf.constant(0))),
        tf.constant(new int[] {c.clusters()}));
  }

  static Operand<TFloat32> priorLogits(Ops tf, Params p, VabConfig c) {
    return p.get("pz_logits", Shape.of(c.clusters(), c.bits()), Params.Init.GLOROT_UNIFORM, true);
  }

  /**
   * log p(y|c) = Σ_j [y_j log μ_cj + (1 − y_j) log(1 − μ_cj)] [B, K], with log μ = −softplus(−m)
   * and log(1 − μ) = −softplus(m) of the prior logits m [K, d].
   */
  static Operand<TFloat32> logPzGivenC(Ops tf, Params p, VabConfig c, Operand<TFloat32> y) {
    var m = priorLogits(tf, p, c);
    var logMu = Bernoulli.logMean(tf, m);
    var logOneMinus = Bernoulli.logOneMinusMean(tf, m);
    var oneMinusY = tf.math.sub(tf.constant(1f), y);
    return tf.math.add(tf.linalg.matMul(y, logMu, org.tensorflow.op.linalg.MatMul.transposeB(true)),
        tf.linalg.matMul(oneMinusY, logOneMinus,
            org.tensorflow.op.linalg.MatMul.transposeB(true)));
  }

  /** {q(c|b) [B, K], its logits log π + log p(b|c)} for codes b [B, d] (Eq. 11). */
  @SuppressWarnings("unchecked")
  private static Operand<TFloat32>[] classify(Ops tf, Params p, VabConfig c,
      Operand<TFloat32> bits) {
    var logits = tf.math.add(tf.expandDims(logPi(tf, p, c), tf.constant(0)),
        logPzGivenC(tf, p, c, bits));
    return new Operand[] {tf.nn.softmax(logits), logits};
  }

  private static Operand<TFloat32> mean(Ops tf, Operand<TFloat32>[] px) {
    return px.length == 1 ? tf.math.sigmoid(px[0]) : px[0];
  }
}
