"""GMVAE-Gumbel (gmvae-gumbel-softmax §2-3), mirroring graphs/.../models/GmvaeGumbel.java and
GmvaeGumbelConfig.java.

A deterministic feature net x^ = g(x) (Eq. 1), a categorical q(c|x^) relaxed by Gumbel-softmax, a
Gaussian q(z|x^) (Eq. 5-6) and a generator p(x|z, c) fed linear(z) + linear(c); loss = -ELBO of Eq. 7
with the Gaussian KL weighted by w_G. Readings of the paper are the Java class's: linear x^ and
q(z|x^) heads (mu and log sigma^2), no activation on linear(z) + linear(c), no bias before batch
norm, cluster = argmax of the logits without noise, reconstruct/decode use one_hot(cluster).
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from . import dist
from . import layers
from .params import Params

MODEL = "gmvae_gumbel"
# The training branch's scalar terms, the loss first (the trainer logs each per epoch), and its
# outputs the cross-check records as out__<name> (docs/crosscheck.md).
TERMS = ("loss", "reconstruction", "categorical_kl", "gaussian_kl")
TRAINING_OUTPUTS = TERMS + ("logits",)
# A small config for the committed golden fixtures (crosscheck make --tiny).
TINY = dict(hidden=(32, 16), feature_dim=8, latent_dim=4, clusters=3)


@dataclasses.dataclass(frozen=True)
class GmvaeGumbelConfig(layers.ImageShape, dist.Augmentable):
    """Settings; the defaults are the paper's MNIST settings. The seed is mandatory."""

    BASE_TERMS = TERMS

    seed: int
    input_shape: tuple = (28, 28, 1)
    clusters: int = 10
    hidden: tuple = (512, 256)
    feature_dim: int = 100
    latent_dim: int = 150
    gaussian_weight: float = 5.0
    learning_rate: float = 1e-3
    adam_epsilon: float = 1e-8
    batch_size: int = 300
    epochs: int = 300
    temperature_init: float = 1.0
    temperature_min: float = 0.5
    temperature_epochs: int = 100
    # Readings switches (Java's GmvaeGumbelConfig): dynamically binarised training images, and
    # the straight-through Gumbel category into the decoder.
    binarize: bool = False
    straight_through: bool = False
    # The feature layer x^ followed by batch norm + ReLU like the hidden layers (Java's
    # featureBnRelu); off, x^ is linear.
    feature_bn_relu: bool = False
    # The decoder's input linear(z) + linear(c) followed by batch norm + ReLU (Java's
    # jointBnRelu); off, the sum enters the first hidden layer as it is.
    joint_bn_relu: bool = False
    # The image end of the feature net and the decoder (Java's backbone, layers.backbone_*): mlp,
    # the paper's dense layers, or conv, the compact conv net (issue 20; not in the paper).
    backbone: str = layers.MLP
    # The augmentation loss (Java's aug, augmentation; dist.AUG_*): none (the paper's) or w2, and
    # the transform that makes x^ (the trainer's; the graph takes x^ as an input).
    aug: str = dist.AUG_NONE
    augmentation: str = "none"

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(d) for d in self.input_shape))
        object.__setattr__(self, "hidden", tuple(int(d) for d in self.hidden))

        def require(ok, message):
            if not ok:
                raise ValueError(message)

        require(len(self.input_shape) == 3, "input_shape must be [H, W, C]")
        require(all(d > 0 for d in self.input_shape), "input_shape dims must be positive")
        require(len(self.hidden) >= 1 and all(d > 0 for d in self.hidden),
                "hidden must hold at least one positive size (D-h1-..-hn-df)")
        require(self.clusters >= 2, "clusters must be at least 2")
        require(self.feature_dim >= 2, "feature_dim must be at least 2")
        require(self.latent_dim >= 1, "latent_dim must be positive")
        require(self.gaussian_weight >= 0 and math.isfinite(self.gaussian_weight),
                "gaussian_weight must be >= 0")
        require(self.learning_rate > 0 and math.isfinite(self.learning_rate),
                "learning_rate must be positive")
        require(self.adam_epsilon > 0, "adam_epsilon must be positive")
        require(self.batch_size >= 2, "batch_size must be at least 2 (batch norm)")
        require(self.epochs >= 1, "epochs must be positive")
        require(0 < self.temperature_min <= self.temperature_init,
                "need 0 < temperature_min <= temperature_init")
        require(self.temperature_epochs >= 1, "temperature_epochs must be positive")
        why = layers.backbone_unsupported(self.backbone, self.input_shape)
        require(why is None, why)
        self.check_aug()

    @staticmethod
    def mnist(seed):
        """The paper's MNIST settings on dynamically binarised images, x^ followed by batch norm +
        ReLU (Java's mnist()); a config file without the keys reads them as off."""
        return GmvaeGumbelConfig(seed=seed, binarize=True, feature_bn_relu=True)

    def temperature(self, epoch):
        """tau(e) = max(tau_min, tau_0 exp(-r e)), r = ln(tau_0/tau_min)/temperature_epochs."""
        rate = math.log(self.temperature_init / self.temperature_min) / self.temperature_epochs
        return float(np.float32(max(self.temperature_min,
                                    self.temperature_init * math.exp(-rate * epoch))))

    @staticmethod
    def from_json(j):
        """The inverse of `to_json` (reads the `config` of a Java- or Python-made deepclust.json)."""
        return GmvaeGumbelConfig(
            seed=int(j["seed"]), input_shape=tuple(j["inputShape"]), clusters=int(j["clusters"]),
            hidden=tuple(j["hidden"]), feature_dim=int(j["featureDim"]),
            latent_dim=int(j["latentDim"]), gaussian_weight=float(j["gaussianWeight"]),
            learning_rate=float(j["learningRate"]), adam_epsilon=float(j["adamEpsilon"]),
            batch_size=int(j["batchSize"]), epochs=int(j["epochs"]),
            temperature_init=float(j["temperatureInit"]),
            temperature_min=float(j["temperatureMin"]),
            temperature_epochs=int(j["temperatureEpochs"]),
            binarize=bool(j.get("binarize", False)),
            straight_through=bool(j.get("straightThrough", False)),
            feature_bn_relu=bool(j.get("featureBnRelu", False)),
            joint_bn_relu=bool(j.get("jointBnRelu", False)),
            backbone=j.get("backbone") or layers.MLP, **dist.Augmentable.aug_from_json(j))

    def to_json(self):
        """The config as Java's Gson writes the record (camelCase keys, same values)."""
        return {
            "inputShape": list(self.input_shape),
            "clusters": self.clusters,
            "hidden": list(self.hidden),
            "featureDim": self.feature_dim,
            "latentDim": self.latent_dim,
            "gaussianWeight": self.gaussian_weight,
            "learningRate": self.learning_rate,
            "adamEpsilon": self.adam_epsilon,
            "batchSize": self.batch_size,
            "epochs": self.epochs,
            "temperatureInit": self.temperature_init,
            "temperatureMin": self.temperature_min,
            "temperatureEpochs": self.temperature_epochs,
            "binarize": self.binarize,
            "straightThrough": self.straight_through,
            "featureBnRelu": self.feature_bn_relu,
            "jointBnRelu": self.joint_bn_relu,
            "seed": self.seed,
            "backbone": self.backbone,
            **self.aug_json(),
        }



class GmvaeGumbel(tf.Module):
    """The model's variables (in `params`) and its branches as methods of tensors."""

    model_name = MODEL

    def __init__(self, config, name=MODEL):
        super().__init__(name=name)
        self.config = config
        self.params = Params(config.seed)
        # One eager pass creates every variable in the Java builder's order (posterior, then
        # p(x|z,c)), so that the checkpoint's and Adam's variable order match Java's.
        x = tf.zeros([2, *config.input_shape], tf.float32)
        self.training(x, 1.0, tf.constant([0, 0], tf.int64), x, 0.0)

    # ---- branches -------------------------------------------------------------------------------

    def training(self, x, temperature, noise_seed, x_aug=None, aug_weight=None):
        """The training loss on x [B, H, W, C] (batch means), its terms, the logits, and the
        batch-norm updates as (variable, value) pairs.

        Noise: stateless ops seeded by noise_seed = [s, t]: Gumbel uniforms from (s, 2t), Gaussian
        eps from (s, 2t + 1), as Java; with `binarize`, the image the loss sees ("target") is
        [u < x] with u from (s, -t). With `aug` = w2, x_aug (x^) and aug_weight (lambda_aug) add
        lambda_aug (aug_l2 + aug_w2) (dist.augmentation_loss_single).
        """
        c = self.config
        updates = []
        flat = self.config.flatten(x)
        u = None
        if c.binarize:
            seed = tf.convert_to_tensor(noise_seed, tf.int64) * tf.constant([1, -1], tf.int64)
            u = tf.random.stateless_uniform(tf.shape(flat), seed=seed)
            flat = tf.cast(u < flat, tf.float32)
        logits, z_mean, z_log_var = self._posterior(flat, True, updates)
        uniform, epsilon = self.noise(tf.shape(flat)[0], noise_seed)
        temperature = tf.convert_to_tensor(temperature, tf.float32)
        y = dist.gumbel_softmax_sample(logits, temperature, uniform)
        if c.straight_through:
            y = dist.straight_through_one_hot(y, c.clusters)
        z = dist.gaussian_sample(z_mean, z_log_var, epsilon)
        x_logits = self._p_x_given_zc(z, y, True, updates)
        rec = tf.reduce_mean(dist.bernoulli_cross_entropy(x_logits, flat), axis=0)
        cat_kl = tf.reduce_mean(dist.categorical_kl_to_uniform(logits, c.clusters), axis=0)
        gauss_kl = tf.reduce_mean(dist.gaussian_kl_to_standard_normal(z_mean, z_log_var), axis=0)
        loss = (rec + cat_kl) + np.float32(c.gaussian_weight) * gauss_kl
        out = {"reconstruction": rec, "categorical_kl": cat_kl, "gaussian_kl": gauss_kl,
               "logits": logits, "target": flat, "updates": updates}
        if c.augmented:
            # x^ binarised by the same uniforms as x; its batch-norm updates are dropped.
            flat_aug = self.config.flatten(tf.convert_to_tensor(x_aug, tf.float32))
            if u is not None:
                flat_aug = tf.cast(u < flat_aug, tf.float32)
            logits_aug, mean_aug, log_var_aug = self._posterior(flat_aug, True, [])
            half = np.float32(0.5)
            l2, w2 = dist.augmentation_loss_single(
                tf.nn.softmax(logits), z_mean, tf.math.exp(half * z_log_var),
                tf.nn.softmax(logits_aug), mean_aug, tf.math.exp(half * log_var_aug))
            loss = loss + tf.convert_to_tensor(aug_weight, tf.float32) * (l2 + w2)
            out.update(zip(dist.AUG_TERMS, (l2, w2)))
        return {"loss": loss, **out}

    def noise(self, batch, noise_seed):
        """Gumbel uniforms [B, K] from seed (s, 2t) and Gaussian eps [B, Z] from (s, 2t + 1)."""
        c = self.config
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        gumbel_seed = noise_seed * tf.constant([1, 2], tf.int64)
        normal_seed = gumbel_seed + tf.constant([0, 1], tf.int64)
        batch = tf.reshape(tf.cast(batch, tf.int32), [1])
        uniform = tf.random.stateless_uniform(
            tf.concat([batch, [c.clusters]], 0), seed=gumbel_seed, dtype=tf.float32)
        epsilon = tf.random.stateless_normal(
            tf.concat([batch, [c.latent_dim]], 0), seed=normal_seed, dtype=tf.float32)
        return uniform, epsilon

    def inference(self, x):
        """probs, cluster (int64), embedding (posterior mean) and reconstruction (NHWC)."""
        c = self.config
        logits, z_mean, _ = self._posterior(self.config.flatten(x), False, [])
        probs = tf.nn.softmax(logits)
        cluster = tf.math.argmax(logits, axis=1, output_type=tf.int64)
        one_hot = tf.one_hot(cluster, c.clusters, 1.0, 0.0, dtype=tf.float32)
        x_hat = self.config.to_image(tf.math.sigmoid(self._p_x_given_zc(z_mean, one_hot, False, [])))
        return {"probs": probs, "cluster": cluster, "embedding": z_mean, "reconstruction": x_hat}

    def decode(self, z, cluster):
        """Mean of p(x|z, c) for z [B, Z] and cluster ids (int32) [B], as images [B, H, W, C]."""
        one_hot = tf.one_hot(cluster, self.config.clusters, 1.0, 0.0, dtype=tf.float32)
        return self.config.to_image(tf.math.sigmoid(self._p_x_given_zc(z, one_hot, False, [])))

    def prior(self, cluster):
        """p(z|c) = N(0, I) for every cluster (Eq. 3): mean 0 and stddev 1, [B, Z]."""
        shape = tf.concat([tf.shape(cluster), [self.config.latent_dim]], 0)
        return tf.zeros(shape, tf.float32), tf.ones(shape, tf.float32)

    # ---- sub-networks ---------------------------------------------------------------------------

    def _posterior(self, flat, training, updates):
        features = self._features(flat, training, updates)
        df, z = self.config.feature_dim, self.config.latent_dim
        logits = self._q_c_given_x(features, training, updates)
        z_mean = layers.dense(self.params, "qz_mean", features, df, z)
        z_log_var = layers.dense(self.params, "qz_logvar", features, df, z)
        return logits, z_mean, z_log_var

    def _features(self, flat, training, updates):
        """x^ = g(x) (Eq. 1): D-hidden-df (the paper's D-512-256-df), batch norm + ReLU on the
        hidden layers; x^ linear, or with `feature_bn_relu` a hidden layer too. The conv backbone's
        convolutions (ReLU, no batch norm) come first."""
        c = self.config
        rows, width = layers.backbone_encode(self.params, c.backbone, "features", flat,
                                             c.input_shape, tf.nn.relu)
        h = layers.mlp("features", rows, width, c.hidden, self._bn_relu(training, updates))
        width = c.hidden[-1]
        if c.feature_bn_relu:
            return self._bn_relu(training, updates)("features_out", h, width, c.feature_dim)
        return layers.dense(self.params, "features_out", h, width, c.feature_dim)

    def _q_c_given_x(self, features, training, updates):
        """Logits of q(c|x^) (Eq. 5): df-df-df/2-K."""
        df = self.config.feature_dim
        h = layers.mlp("qc", features, df, (df, df // 2), self._bn_relu(training, updates))
        return layers.dense(self.params, "qc_logits", h, df // 2, self.config.clusters)

    def _p_x_given_zc(self, z, y, training, updates):
        """Bernoulli logits of p(x|z, c) (Eq. 4): linear(z) + linear(c) -> df (with
        `joint_bn_relu` followed by batch norm + ReLU, px_joint_bn), then the feature
        net's hidden widths in reverse (the paper's df-256-512-D); the conv backbone's transposed
        convolutions (ReLU, no batch norm) and output layer after them."""
        c = self.config
        widths = tuple(reversed(c.hidden))
        # No biases: batch norm after px_1 removes any constant offset (as in the Java class).
        joint = (layers.dense_no_bias(self.params, "px_from_z", z, c.latent_dim, c.feature_dim)
                 + layers.dense_no_bias(self.params, "px_from_c", y, c.clusters, c.feature_dim))
        if c.joint_bn_relu:
            joint = tf.nn.relu(layers.batch_norm(self.params, "px_joint_bn", joint, c.feature_dim,
                                                 training, updates))
        h = layers.mlp("px", joint, c.feature_dim, widths, self._bn_relu(training, updates))
        return layers.backbone_decode(self.params, c.backbone, "px", h, widths[-1], c.input_shape,
                                      tf.nn.relu)("px_logits")

    def _bn_relu(self, training, updates):
        """Dense (no bias) -> batch norm -> ReLU as an mlp layer; variables `name_dense_*`,
        `name_bn_*`."""
        def layer(name, x, n_in, n_out):
            linear = layers.dense_no_bias(self.params, name + "_dense", x, n_in, n_out)
            return tf.nn.relu(layers.batch_norm(self.params, name + "_bn", linear, n_out,
                                                training, updates))
        return layer

