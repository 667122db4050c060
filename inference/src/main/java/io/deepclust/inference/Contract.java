package io.deepclust.inference;

import java.util.List;

/**
 * Names of the SavedModel contract (version 1, docs/contract.md): tag, signature keys, their input
 * and output keys, and the asset that describes the model. Java exporters, the validator, the
 * inference loader and the Python reference all use exactly these strings.
 */
public final class Contract {
  public static final int VERSION = 1;
  public static final String TAG = "serve";
  public static final String ASSET_DIR = "assets";
  public static final String ASSET_FILE = "deepclust.json";

  /** {@code x} f32 [-1,H,W,C] → {@code probs} f32 [-1,K], {@code cluster} i64 [-1]. */
  public static final String SIG_ASSIGN = "serving_default";
  /** {@code x} → {@code z} f32 [-1,Z], the posterior mean (under the assigned cluster). */
  public static final String SIG_EMBED = "embed";
  /** {@code x} → {@code x_hat} f32 [-1,H,W,C], the mean of p(x|z) at the posterior mean. */
  public static final String SIG_RECONSTRUCT = "reconstruct";
  /** {@code z} f32 [-1,Z], {@code cluster} i32 [-1] → {@code x_hat} f32 [-1,H,W,C]. */
  public static final String SIG_DECODE = "decode";
  /** {@code cluster} i32 [-1] → {@code mean}, {@code stddev} f32 [-1,Z] of p(z|k). */
  public static final String SIG_PRIOR = "prior";
  /**
   * Optional, exported by the vc model only: {@code weights} f32 [-1,K], rows of non-negative
   * weights ẽ (a soft one-hot) → {@code mean}, {@code stddev} f32 [-1,Z] of p(z|ẽ), the prior's
   * parameters for a mix of clusters (k-interpolation, §VI-E of variational-clustering-w2). A
   * one-hot row e_k gives the parameters of {@link #SIG_PRIOR} for k.
   */
  public static final String SIG_PRIOR_MIX = "prior_mix";
  /** VAB only: {@code x} → {@code bits} u8 [-1,Z]. */
  public static final String SIG_COMPRESS = "compress";
  /** VAB only: {@code bits} u8 [-1,Z] → {@code probs}, {@code cluster}. */
  public static final String SIG_CLASSIFY_BITS = "classify_bits";

  /** The signatures every exported model has. */
  public static final List<String> COMMON_SIGNATURES =
      List.of(SIG_ASSIGN, SIG_EMBED, SIG_RECONSTRUCT, SIG_DECODE, SIG_PRIOR);

  /** The signatures a model may have or not; validated only when present. */
  public static final List<String> OPTIONAL_SIGNATURES = List.of(SIG_PRIOR_MIX);

  public static final String IN_X = "x";
  public static final String IN_Z = "z";
  public static final String IN_CLUSTER = "cluster";
  public static final String IN_BITS = "bits";
  public static final String IN_WEIGHTS = "weights";
  public static final String OUT_PROBS = "probs";
  public static final String OUT_CLUSTER = "cluster";
  public static final String OUT_Z = "z";
  public static final String OUT_X_HAT = "x_hat";
  public static final String OUT_MEAN = "mean";
  public static final String OUT_STDDEV = "stddev";
  public static final String OUT_BITS = "bits";

  /** Keys of {@code deepclust.json}. */
  public static final String JSON_CONTRACT = "contract";
  public static final String JSON_MODEL = "model";
  public static final String JSON_CLUSTERS = "clusters";
  public static final String JSON_LATENT_DIM = "latent_dim";
  public static final String JSON_INPUT_SHAPE = "input_shape";
  public static final String JSON_LIKELIHOOD = "likelihood";
  public static final String JSON_MADE_BY = "made_by";
  public static final String JSON_DATASET = "dataset";
  public static final String JSON_CONFIG = "config";
  public static final String JSON_METRICS = "metrics";

  /**
   * The kind a model that is none of ours declares in {@code deepclust.json}: it needs the {@link
   * #COMMON_SIGNATURES} only (and may have the {@link #OPTIONAL_SIGNATURES}); see docs/contract.md.
   */
  public static final String MODEL_GENERIC = "generic";

  /** The kinds {@code deepclust.json}'s {@code model} may name: our five, then the generic one. */
  public static final List<String> MODELS =
      List.of("vade", "gmvae_gumbel", "vc", "kdvae", "vab", MODEL_GENERIC);
  public static final List<String> LIKELIHOODS = List.of("bernoulli", "gaussian");

  private Contract() {}
}
