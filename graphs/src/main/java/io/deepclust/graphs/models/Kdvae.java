package io.deepclust.graphs.models;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.dist.AugmentationLoss;
import io.deepclust.graphs.dist.Bernoulli;
import io.deepclust.graphs.dist.DiagonalGaussian;
import io.deepclust.graphs.layers.BatchedDense;
import io.deepclust.graphs.layers.Mlp;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * k-DVAE (k-dvae.txt §3): K encoder/decoder pairs, each a Bernoulli VAE, held as one batched graph
 * (every variable has a leading K axis; x is broadcast to [K, B, D]). Training maximises, per
 * sample, the best pair's ELBO (Eq. 6), so the gradient reaches the best pair only; clustering is
 * Eq. 8 at z_i = μ_i. Scores are [K, B]. docs/models.md lists the variables.
 *
 * <p>{@code probs} of the contract is softmax_i of the Eq. 8 scores (our definition: the paper
 * gives hard clusters only; its argmax is Eq. 8's cluster).
 */
public final class Kdvae {
  public static final String MODEL = "kdvae";

  private Kdvae() {}

  /**
   * The training branch: Eq. 6's loss, the scores, the best pair; and the pair pretraining loss.
   */
  public record Training(Placeholder<TFloat32> x, Placeholder<TInt64> noiseSeed,
      Operand<TFloat32> loss, Operand<TFloat32> score, Operand<TInt64> assigned,
      Operand<TFloat32> pairLoss, AugmentationBranch aug) implements TrainingBranch {
    @Override
    public Map<String, Operand<?>> inputs() {
      Map<String, Operand<?>> in = TrainingBranch.named(X, x, NOISE_SEED, noiseSeed);
      if (aug != null) {
        aug.addInputs(in);
      }
      return in;
    }

    /** The joint phase's loss; the pair pretraining logs its own. */
    @Override
    public Map<String, Operand<TFloat32>> terms() {
      Map<String, Operand<TFloat32>> t = TrainingBranch.named(LOSS, loss);
      if (aug != null) {
        aug.addTerms(t);
      }
      return t;
    }
  }

  public record Inference(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction) implements ClusterInference {}

  /**
   * Eq. 6 on x broadcast to every pair: score_i = −reconstruction_i(x | z_i) − KL(q_i ‖ N(0, I))
   * [K, B], loss = −mean_B max_i score_i. The pair loss pretrains each pair as a plain VAE on its
   * own samples: x's B rows are K equal blocks, block i holding pair i's samples, and pair_loss =
   * −mean over all rows of their own pair's score, so pair i's gradient comes from block i alone.
   * Both branches draw z_i = μ_i + σ_i ε_i with ε [K, rows, Z] from stateless_normal(seed = [s,
   * 2t + 1]); a step fetches one of them.
   */
  public static Training training(Ops tf, Params p, KdvaeConfig c, Placeholder<TFloat32> x) {
    var noiseSeed = tf.withName("noise_seed")
        .placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    var flat = ModelConfig.flatten(tf, c, x);
    var score = scores(tf, p, c, broadcast(tf, c, flat), noiseSeed);
    var zero = tf.constant(0);
    Operand<TFloat32> loss = tf.math.neg(tf.math.mean(tf.reduceMax(score, zero), zero));
    AugmentationBranch aug = null;
    if (c.augmented()) {
      aug = augmentation(tf, p, c, flat);
      loss = aug.addTo(tf, loss);
    }
    var assigned = tf.math.argMax(score, zero, TInt64.class);
    var blocks = tf.reshape(flat, tf.constant(new int[] {c.clusters(), -1, c.inputDim()}));
    var pairScore = scores(tf, p, c, blocks, noiseSeed);
    var pairLoss = tf.withName("pair_loss").math.neg(tf.math.mean(pairScore,
        tf.constant(new int[] {0, 1})));
    return new Training(x, noiseSeed, tf.withName("loss").identity(loss), score, assigned,
        pairLoss, aug);
  }

  /**
   * The augmentation loss (config {@code aug} = w2; {@link AugmentationLoss#perCluster}) of x and
   * the fed x̂: q(c|·) = softmax of Eq. 8's scores at z_i = μ_i (the inference's), and pair i's
   * Gaussian q_i(z|·) weighted by q(c = i|x).
   */
  private static AugmentationBranch augmentation(Ops tf, Params p, KdvaeConfig c,
      Operand<TFloat32> flat) {
    var xAug = AugmentationBranch.augmentedInput(tf, c);
    var q = posterior(tf, p, c, flat);
    var qAug = posterior(tf, p, c, ModelConfig.flatten(tf, c, xAug));
    return AugmentationBranch.of(tf, xAug,
        AugmentationLoss.perCluster(tf, q[0], q[1], q[2], qAug[0], qAug[1], qAug[2]));
  }

  /** q(c|x) [B, K] (Eq. 8's softmax at μ) and each pair's μ_i, σ_i as [B, K, Z]. */
  @SuppressWarnings("unchecked")
  private static Operand<TFloat32>[] posterior(Ops tf, Params p, KdvaeConfig c,
      Operand<TFloat32> flat) {
    var xk = broadcast(tf, c, flat);
    var q = encode(tf, p, c, xk);
    var byRow = tf.constant(new int[] {1, 0, 2});
    var sd = tf.math.exp(tf.math.mul(tf.constant(0.5f), q[1]));
    return new Operand[] {eq8(tf, p, c, xk, q)[0], tf.linalg.transpose(q[0], byRow),
        tf.linalg.transpose(sd, byRow)};
  }

  /** Each pair's one-sample ELBO of its rows, [K, B] for xk [K, B, D]. */
  private static Operand<TFloat32> scores(Ops tf, Params p, KdvaeConfig c, Operand<TFloat32> xk,
      Operand<TInt64> noiseSeed) {
    var q = encode(tf, p, c, xk);
    var rows = tf.slice(tf.shape(xk), tf.constant(new int[] {1}), tf.constant(new int[] {1}));
    var normalSeed = tf.math.add(tf.math.mul(noiseSeed, tf.constant(new long[] {1, 2})),
        tf.constant(new long[] {0, 1}));
    var eps = tf.random.statelessRandomNormal(tf.concat(List.of(tf.constant(new int[]
        {c.clusters()}), rows, tf.constant(new int[] {c.latentDim()})), tf.constant(0)),
        normalSeed);
    var z = DiagonalGaussian.sample(tf, q[0], q[1], eps);
    var rec = Bernoulli.crossEntropyFromLogits(tf, decodeLogits(tf, p, c, z), xk);
    return tf.math.sub(tf.math.neg(rec), DiagonalGaussian.klToStandardNormal(tf, q[0], q[1]));
  }

  /**
   * Eq. 8 at z_i = μ_i: s_i = −reconstruction_i(x | μ_i) − ½‖μ_i‖² + ½ Σ log σ²_i; probs =
   * softmax_i s_i, cluster = argmax_i, embedding = μ of the assigned pair, reconstruction = its
   * decoder's mean.
   */
  public static Inference inference(Ops tf, Params p, KdvaeConfig c, Operand<TFloat32> x) {
    var flat = ModelConfig.flatten(tf, c, x);
    var xk = broadcast(tf, c, flat);
    var q = encode(tf, p, c, xk);
    var scored = eq8(tf, p, c, xk, q);
    var st = scored[1];
    var cluster = tf.math.argMax(st, tf.constant(1), TInt64.class);
    var z = pick(tf, q[0], cluster);
    var xHat = ModelConfig.toImage(tf, c, tf.math.sigmoid(pick(tf, scored[2], cluster)));
    return new Inference(scored[0], cluster, z, xHat);
  }

  /**
   * Eq. 8 at z_i = μ_i for x broadcast to the pairs xk and their posteriors q: {softmax_i s_i
   * [B, K], s [B, K], the decoders' logits [K, B, D]}.
   */
  @SuppressWarnings("unchecked")
  private static Operand<TFloat32>[] eq8(Ops tf, Params p, KdvaeConfig c, Operand<TFloat32> xk,
      Operand<TFloat32>[] q) {
    var logits = decodeLogits(tf, p, c, q[0]);
    var rec = Bernoulli.crossEntropyFromLogits(tf, logits, xk);
    var two = tf.constant(2);
    var half = tf.constant(0.5f);
    var s = tf.math.add(
        tf.math.sub(tf.math.neg(rec), tf.math.mul(half, tf.reduceSum(tf.math.square(q[0]), two))),
        tf.math.mul(half, tf.reduceSum(q[1], two)));
    var st = tf.linalg.transpose(s, tf.constant(new int[] {1, 0}));
    return new Operand[] {tf.nn.softmax(st), st, logits};
  }

  /** Decoder c of each row: the mean of p(x|z) under pair c, as images. */
  public static Operand<TFloat32> decode(Ops tf, Params p, KdvaeConfig c, Operand<TFloat32> z,
      Operand<TInt32> cluster) {
    var logits = decodeLogits(tf, p, c, broadcast(tf, c, z));
    return ModelConfig.toImage(tf, c, tf.math.sigmoid(pick(tf, logits, cluster)));
  }

  /** p(z|c) = N(0, I) for every cluster: mean 0 and stddev 1, [B, Z]. */
  public static Operand<TFloat32>[] prior(Ops tf, KdvaeConfig c, Operand<TInt32> cluster) {
    var shape = tf.concat(List.of(tf.shape(cluster), tf.constant(new int[] {c.latentDim()})),
        tf.constant(0));
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      tf.zeros(shape, TFloat32.class), tf.ones(shape, TFloat32.class)
    };
    return out;
  }

  /** μ_i and log σ²_i of each pair's q_i(z|x), [K, B, Z] each. */
  private static Operand<TFloat32>[] encode(Ops tf, Params p, KdvaeConfig c,
      Operand<TFloat32> xk) {
    var stem = c.backboneLayers().encodeBatched(tf, p, "qz", xk, c.clusters(), tf.nn::relu);
    var h = Mlp.apply("qz", stem.rows(), stem.width(), c.encoderHidden(),
        Mlp.batchedDenseRelu(tf, p, c.clusters()));
    int last = Mlp.outWidth(stem.width(), c.encoderHidden());
    @SuppressWarnings("unchecked")
    Operand<TFloat32>[] out = new Operand[] {
      BatchedDense.apply(tf, p, "qz_mean", h, c.clusters(), last, c.latentDim()),
      BatchedDense.apply(tf, p, "qz_logvar", h, c.clusters(), last, c.latentDim())
    };
    return out;
  }

  /** Each pair's Bernoulli logits of p_i(x|z), [K, B, D]. */
  private static Operand<TFloat32> decodeLogits(Ops tf, Params p, KdvaeConfig c,
      Operand<TFloat32> zk) {
    var h = Mlp.apply("px", zk, c.latentDim(), c.decoderHidden(),
        Mlp.batchedDenseRelu(tf, p, c.clusters()));
    return c.backboneLayers().decodeBatched(tf, p, "px", h,
        Mlp.outWidth(c.latentDim(), c.decoderHidden()), c.clusters(), tf.nn::relu)
        .apply("px_logits");
  }

  /** [B, D] → [K, B, D]. */
  private static Operand<TFloat32> broadcast(Ops tf, KdvaeConfig c, Operand<TFloat32> flat) {
    var shape = tf.concat(List.of(tf.constant(new int[] {c.clusters()}), tf.shape(flat)),
        tf.constant(0));
    return tf.broadcastTo(tf.expandDims(flat, tf.constant(0)), shape);
  }

  /** Row b of pair cluster[b]: [K, B, N] → [B, N]. */
  private static Operand<TFloat32> pick(Ops tf, Operand<TFloat32> perPair,
      Operand<? extends org.tensorflow.types.family.TNumber> cluster) {
    var byRow = tf.linalg.transpose(perPair, tf.constant(new int[] {1, 0, 2}));
    return tf.gather(byRow, cluster, tf.constant(1), Gather.batchDims(1L));
  }
}
