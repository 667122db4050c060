"""Names of the SavedModel contract, version 1 (docs/contract.md; mirrors
inference/.../Contract.java)."""

VERSION = 1
TAG = "serve"
ASSET_DIR = "assets"
ASSET_FILE = "deepclust.json"

SIG_ASSIGN = "serving_default"
SIG_EMBED = "embed"
SIG_RECONSTRUCT = "reconstruct"
SIG_DECODE = "decode"
SIG_PRIOR = "prior"
COMMON_SIGNATURES = (SIG_ASSIGN, SIG_EMBED, SIG_RECONSTRUCT, SIG_DECODE, SIG_PRIOR)
# Optional, exported by the vc model only: `weights` f32 [-1, K] (soft one-hot rows) -> `mean`,
# `stddev` f32 [-1, Z] of p(z|e~); a one-hot row e_k gives `prior` of k.
SIG_PRIOR_MIX = "prior_mix"
OPTIONAL_SIGNATURES = (SIG_PRIOR_MIX,)
# VAB only (required of it): `compress`, `x` -> `bits` u8 [-1, Z] (the data vendor's code), and
# `classify_bits`, `bits` u8 [-1, Z] -> `probs`, `cluster` (the consumer's clusters from bits alone).
# VAB's `prior` has `mean` only (mu_{z|c}), no `stddev`.
SIG_COMPRESS = "compress"
SIG_CLASSIFY_BITS = "classify_bits"
VAB_SIGNATURES = (SIG_COMPRESS, SIG_CLASSIFY_BITS)

IN_X = "x"
IN_Z = "z"
IN_CLUSTER = "cluster"
IN_WEIGHTS = "weights"
IN_BITS = "bits"
OUT_PROBS = "probs"
OUT_CLUSTER = "cluster"
OUT_Z = "z"
OUT_X_HAT = "x_hat"
OUT_MEAN = "mean"
OUT_STDDEV = "stddev"
OUT_BITS = "bits"

JSON_CONTRACT = "contract"
JSON_MODEL = "model"
JSON_CLUSTERS = "clusters"
JSON_LATENT_DIM = "latent_dim"
JSON_INPUT_SHAPE = "input_shape"
JSON_LIKELIHOOD = "likelihood"
JSON_MADE_BY = "made_by"
JSON_DATASET = "dataset"
JSON_CONFIG = "config"
JSON_METRICS = "metrics"
JSON_KEYS = (JSON_CONTRACT, JSON_MODEL, JSON_CLUSTERS, JSON_LATENT_DIM, JSON_INPUT_SHAPE,
             JSON_LIKELIHOOD, JSON_MADE_BY, JSON_DATASET, JSON_CONFIG, JSON_METRICS)

# The kind a model that is none of ours declares: the common signatures only (prior_mix optional).
MODEL_GENERIC = "generic"
# The kinds deepclust.json's `model` may name: our five, then the generic one.
MODELS = ("vade", "gmvae_gumbel", "vc", "kdvae", "vab", MODEL_GENERIC)
LIKELIHOODS = ("bernoulli", "gaussian")
