"""VaDE (vade.txt §3, Eq. 1-13), as docs/models.md specifies it for the Java graph and this twin.

An encoder g (D-500-500-2000, ReLU) with heads mu~ and log sigma~^2 (Eq. 9), a decoder f
(Z-2000-500-500, ReLU) with Bernoulli logits (Eq. 1), and a Gaussian mixture prior p(c) p(z|c) held
as free variables: pi = softmax(pc_logits), mu_c = pz_mean, sigma^2_c = exp(pz_logvar). The ELBO of
Eq. 13 uses one Monte-Carlo sample z for gamma = q(c|x) (Eq. 11-12, in log space) and the closed
form E_q[log p(z|c)] for the Gaussian part; log 2pi is kept so that the reported ELBO is its true
value. Pretraining is a deterministic autoencoder on mu~ (the `qz_mean` head).
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from . import dist
from . import layers
from . import params as P
from .params import Twin

MODEL = "vade"
# The training branch's scalar terms, the loss first (the trainer logs each per epoch), and its
# outputs the cross-check records as out__<name> (docs/crosscheck.md).
TERMS = ("loss", "reconstruction", "latent_kl", "categorical_kl")
# `pretraining`'s key of the decoder refit's loss (the BCE).
REFIT_LOSS = "refit_loss"
TRAINING_OUTPUTS = TERMS + ("log_gamma", "pretrain_loss", REFIT_LOSS)
# The GMM prior's variables (`set_prior`).
PRIOR = ("pc_logits", "pz_mean", "pz_logvar")
# A small config for the committed golden fixtures (crosscheck make --tiny).
TINY = dict(encoder_hidden=(32, 32, 64), decoder_hidden=(64, 32, 32), latent_dim=4, clusters=3)


ADAM = "adam"
SGD_MOMENTUM = "sgd_momentum"
BCE = "bce"
MSE = "mse"
UNIFORM = "uniform"
FIT = "fit"


@dataclasses.dataclass(frozen=True)
class Pretraining:
    """The autoencoder's pretraining recipe (Java's Pretraining record, the same JSON keys).

    loss "bce": the summed Bernoulli cross-entropy of the logits; "mse": DEC-keras's squared error
    of a linear output (the logits read as the image), averaged over pixels. refit_epochs: epochs of
    Adam 1e-3 on the summed BCE for the decoder alone afterwards (the encoder frozen)."""

    optimizer: str = SGD_MOMENTUM
    learning_rate: float = 1.0
    momentum: float = 0.9
    loss: str = MSE
    batch_size: int = 256
    epochs: int = 300
    init: str = P.FAN_IN_UNIFORM
    refit_epochs: int = 5

    def __post_init__(self):
        if self.optimizer not in (ADAM, SGD_MOMENTUM):
            raise ValueError("pretraining optimizer must be adam or sgd_momentum")
        if self.loss not in (BCE, MSE):
            raise ValueError("pretraining loss must be bce or mse")
        if self.init not in (P.GLOROT_UNIFORM, P.FAN_IN_UNIFORM):
            raise ValueError("pretraining init must be glorot_uniform or fan_in_uniform")
        if not (self.learning_rate > 0 and 0 <= self.momentum < 1 and self.batch_size >= 1
                and self.epochs >= 0 and self.refit_epochs >= 0):
            raise ValueError("pretraining: learning rate > 0, momentum in [0, 1), batch >= 1, "
                             "epochs >= 0, refit epochs >= 0")

    @staticmethod
    def dec_keras():
        return Pretraining()

    @staticmethod
    def adam_bce():
        return Pretraining.adam_bce_epochs(20)

    @staticmethod
    def adam_bce_epochs(epochs):
        """This project's first recipe (Adam 1e-3, BCE, batch 100, Glorot), `epochs` long."""
        return Pretraining(ADAM, 1e-3, 0.0, BCE, 100, epochs, P.GLOROT_UNIFORM, 0)

    @staticmethod
    def from_json(j):
        return Pretraining(str(j["optimizer"]), float(j["learningRate"]), float(j["momentum"]),
                           str(j["loss"]), int(j["batchSize"]), int(j["epochs"]), str(j["init"]),
                           int(j.get("refitEpochs", 0)))

    def to_json(self):
        return {"optimizer": self.optimizer, "learningRate": self.learning_rate,
                "momentum": self.momentum, "loss": self.loss, "batchSize": self.batch_size,
                "epochs": self.epochs, "init": self.init, "refitEpochs": self.refit_epochs}


@dataclasses.dataclass(frozen=True)
class GmmStart:
    """R GMM starts of k-means (best of N runs) + diagonal EM; the least k-means error kept, ties by
    the least -ELBO (GmmStart.java)."""

    restarts: int = 10
    kmeans_restarts: int = 10
    weights: str = UNIFORM

    def __post_init__(self):
        if self.restarts < 1 or self.kmeans_restarts < 1 or self.weights not in (UNIFORM, FIT):
            raise ValueError("GMM start: restarts >= 1, k-means restarts >= 1, weights uniform|fit")

    @staticmethod
    def from_json(j):
        return GmmStart(int(j["restarts"]), int(j["kmeansRestarts"]), str(j["weights"]))

    def to_json(self):
        return {"restarts": self.restarts, "kmeansRestarts": self.kmeans_restarts,
                "weights": self.weights}


def legacy_start(epochs, batch_size, learning_rate=1e-3):
    """The recipe and start of a config written before both were configurable (Models.java)."""
    return (Pretraining(ADAM, float(learning_rate), 0.0, BCE, int(batch_size), int(epochs),
                        P.GLOROT_UNIFORM, 0), GmmStart(3, 1, FIT))


PAPER_LEARNING_RATE = 2e-3


@dataclasses.dataclass(frozen=True)
class VadeConfig(layers.ImageShape, dist.Augmentable):
    """Settings; the defaults are docs/models.md's MNIST settings. The seed is mandatory."""

    BASE_TERMS = TERMS

    seed: int
    input_shape: tuple = (28, 28, 1)
    clusters: int = 10
    latent_dim: int = 10
    encoder_hidden: tuple = (500, 500, 2000)
    decoder_hidden: tuple = (2000, 500, 500)
    learning_rate: float = 2e-4  # VadeConfig.LEARNING_RATE (the paper's 2e-3: PAPER_LEARNING_RATE)
    learning_rate_decay: float = 0.9
    learning_rate_decay_epochs: int = 10
    learning_rate_floor: float = 2e-4
    adam_epsilon: float = 1e-4
    pretraining: Pretraining = Pretraining()
    gmm_start: GmmStart = GmmStart()
    batch_size: int = 100
    epochs: int = 300
    # The augmentation loss of the joint phase (Java's aug, augmentation; dist.AUG_*): none or w2
    # (dist.augmentation_loss_single at gamma(mu~) and N(mu~, sigma~^2)), x^ made by the trainer.
    aug: str = dist.AUG_NONE
    augmentation: str = "none"
    # The image end of the encoder and decoder (Java's backbone, layers.backbone_*): mlp, the
    # paper's dense nets, or conv, the compact conv net around them (ours, not the paper's).
    backbone: str = layers.MLP

    def __post_init__(self):
        layers.check_dense_config(self)
        require = layers.require
        why = layers.backbone_unsupported(self.backbone, self.input_shape)
        require(why is None, why)
        self.check_aug()
        for name in ("learning_rate", "adam_epsilon"):
            v = getattr(self, name)
            require(v > 0 and math.isfinite(v), name + " must be positive")
        require(0 < self.learning_rate_decay <= 1, "learning_rate_decay must be in (0, 1]")
        require(self.learning_rate_decay_epochs >= 1, "learning_rate_decay_epochs must be >= 1")
        require(0 <= self.learning_rate_floor <= self.learning_rate,
                "need 0 <= learning_rate_floor <= learning_rate")
        require(isinstance(self.pretraining, Pretraining) and isinstance(self.gmm_start, GmmStart),
                "pretraining and gmm_start are required")
        require(self.batch_size >= 1, "batch_size must be positive")
        require(self.epochs >= 1, "epochs must be positive")

    @staticmethod
    def mnist(seed):
        return VadeConfig(seed=seed)

    def learning_rate_at(self, epoch):
        """lr(e) = max(floor, lr * decay^floor(e / decay_epochs)), e from 0 (the joint phase)."""
        steps = epoch // self.learning_rate_decay_epochs
        return max(self.learning_rate_floor,
                   self.learning_rate * self.learning_rate_decay ** steps)

    @property
    def pretrain_epochs(self):
        return self.pretraining.epochs

    @staticmethod
    def from_json(j):
        """The inverse of `to_json`; an older config (pretrainEpochs, pretrainLearningRate) reads
        as the recipe it ran (`legacy_start`)."""
        if "pretraining" in j:
            recipe, start = Pretraining.from_json(j["pretraining"]), GmmStart.from_json(j["gmmStart"])
        else:
            recipe, start = legacy_start(j["pretrainEpochs"], j["batchSize"],
                                         j.get("pretrainLearningRate", 1e-3))
        return VadeConfig(
            seed=int(j["seed"]), input_shape=tuple(j["inputShape"]), clusters=int(j["clusters"]),
            latent_dim=int(j["latentDim"]), encoder_hidden=tuple(j["encoderHidden"]),
            decoder_hidden=tuple(j["decoderHidden"]), learning_rate=float(j["learningRate"]),
            learning_rate_decay=float(j["learningRateDecay"]),
            learning_rate_decay_epochs=int(j["learningRateDecayEpochs"]),
            learning_rate_floor=float(j["learningRateFloor"]),
            adam_epsilon=float(j["adamEpsilon"]), pretraining=recipe, gmm_start=start,
            batch_size=int(j["batchSize"]), epochs=int(j["epochs"]),
            backbone=j.get("backbone") or layers.MLP, **dist.Augmentable.aug_from_json(j))

    def to_json(self):
        """The config with Java's camelCase record keys."""
        return {
            "inputShape": list(self.input_shape),
            "clusters": self.clusters,
            "latentDim": self.latent_dim,
            "encoderHidden": list(self.encoder_hidden),
            "decoderHidden": list(self.decoder_hidden),
            "learningRate": self.learning_rate,
            "learningRateDecay": self.learning_rate_decay,
            "learningRateDecayEpochs": self.learning_rate_decay_epochs,
            "learningRateFloor": self.learning_rate_floor,
            "adamEpsilon": self.adam_epsilon,
            "pretraining": self.pretraining.to_json(),
            "gmmStart": self.gmm_start.to_json(),
            "batchSize": self.batch_size,
            "epochs": self.epochs,
            "seed": self.seed,
            "backbone": self.backbone,
            **self.aug_json(),
        }



class Vade(Twin):
    """The model's variables (in `params`) and its branches as methods of tensors."""

    model_name = MODEL

    @property
    def pretrain_names(self):
        """The autoencoder's variables (its backbone's, qz_1.., qz_mean, px_*), in creation order:
        every trainable one but q(z|x)'s log-variance head and the prior's."""
        prior = ("qz_logvar_kernel", "qz_logvar_bias", "pc_logits", "pz_mean", "pz_logvar")
        return [n for n in self.params.trainable_names if n not in prior]

    @property
    def pretrain_variables(self):
        return [self.params.all[n] for n in self.pretrain_names]

    @property
    def refit_names(self):
        """The decoder's variables (px_*), refit after pretraining."""
        return [n for n in self.pretrain_names if n.startswith("px_")]

    def _create_variables(self):
        """Every variable, in docs/models.md's order (the checkpoint's and Adam's)."""
        c = self.config
        g = c.pretraining.init  # every kernel starts by the recipe's scheme (Vade.java)

        def layer(name, kernel, bias):
            self.params.get(name + "_kernel", kernel, g, True)
            self.params.get(name + "_bias", (bias,), P.ZEROS, True)

        for spec in layers.backbone_encoder_layers(c.backbone, "qz", c.input_shape):
            layer(*spec)
        sizes = (layers.backbone_encoded_width(c.backbone, c.input_shape),) + c.encoder_hidden
        for i in range(len(c.encoder_hidden)):
            layer("qz_%d" % (i + 1), (sizes[i], sizes[i + 1]), sizes[i + 1])
        layer("qz_mean", (sizes[-1], c.latent_dim), c.latent_dim)
        layer("qz_logvar", (sizes[-1], c.latent_dim), c.latent_dim)
        sizes = (c.latent_dim,) + c.decoder_hidden
        for i in range(len(c.decoder_hidden)):
            layer("px_%d" % (i + 1), (sizes[i], sizes[i + 1]), sizes[i + 1])
        for spec in layers.backbone_decoder_layers(c.backbone, "px", sizes[-1], c.input_shape,
                                                   ("px_logits",)):
            layer(*spec)
        self.params.get("pc_logits", (c.clusters,), P.ZEROS, True)
        self.params.get("pz_mean", (c.clusters, c.latent_dim), P.ZEROS, True)
        self.params.get("pz_logvar", (c.clusters, c.latent_dim), P.ZEROS, True)

    # ---- branches -------------------------------------------------------------------------------

    def training(self, x, noise_seed, x_aug=None, aug_weight=None):
        """The joint-phase loss on x [B, H, W, C] (batch means), its terms, and log gamma [B, K].

        Noise: eps [B, Z] from stateless_normal(seed = [s, 2t + 1]) for noise_seed = [s, t].
        With `aug` = w2 and x_aug given: + aug_weight (aug_l2 + aug_w2) (Vade.java's
        augmentation); "negative_elbo" is the loss without it (the restarts' objective)."""
        flat = self.config.flatten(x)
        mean, log_var = self._encode(flat)
        z = dist.gaussian_sample(mean, log_var, self.noise(tf.shape(flat)[0], noise_seed))
        rec = dist.bernoulli_cross_entropy(self._decode_logits(z), flat)  # [B]
        log_pi = self.log_pi()                                                      # [K]
        log_gamma = tf.nn.log_softmax(log_pi + self.log_p_z_given_c(z), axis=1)      # [B, K]
        gamma = tf.math.exp(log_gamma)
        e_log_p = self.expected_log_p_z_given_c(mean, log_var)                      # [B, K]
        entropy = dist.diagonal_gaussian_entropy(log_var)                           # [B]
        latent_kl = -(tf.reduce_sum(gamma * e_log_p, axis=1) + entropy)
        categorical_kl = tf.reduce_sum(gamma * (log_gamma - log_pi), axis=1)
        rec_mean = tf.reduce_mean(rec, axis=0)
        latent_mean = tf.reduce_mean(latent_kl, axis=0)
        cat_mean = tf.reduce_mean(categorical_kl, axis=0)
        negative_elbo = rec_mean + (latent_mean + cat_mean)
        out = {"loss": negative_elbo, "reconstruction": rec_mean, "latent_kl": latent_mean,
               "categorical_kl": cat_mean, "log_gamma": log_gamma,
               "negative_elbo": negative_elbo}
        if self.config.augmented and x_aug is not None:
            mean_aug, log_var_aug = self._encode(self.config.flatten(
                tf.convert_to_tensor(x_aug, tf.float32)))
            half = np.float32(0.5)
            l2, w2 = dist.augmentation_loss_single(
                self._gamma(mean), mean, tf.math.exp(half * log_var), self._gamma(mean_aug),
                mean_aug, tf.math.exp(half * log_var_aug))
            out["loss"] = negative_elbo + tf.convert_to_tensor(aug_weight, tf.float32) * (l2 + w2)
            out.update(zip(dist.AUG_TERMS, (l2, w2)))
        return out

    def _gamma(self, z):
        """gamma = p(c|z) [B, K] (Eq. 11-12)."""
        return tf.nn.softmax(self.log_pi() + self.log_p_z_given_c(z), axis=1)

    def pretraining(self, x):
        """The deterministic autoencoder x -> mu~ -> logits (no noise): the recipe's loss (BCE
        summed over pixels, or the MSE of the logits as a linear output, averaged over pixels) and
        the refit loss (the BCE), each a batch mean."""
        flat = self.config.flatten(x)
        logits = self._decode_logits(self.encode_mean(flat))
        rec = tf.reduce_mean(dist.bernoulli_cross_entropy(logits, flat), axis=0)
        if self.config.pretraining.loss == BCE:
            loss = rec
        else:
            loss = tf.reduce_mean(tf.reduce_mean(tf.math.square(logits - flat), axis=1), axis=0)
        return {"loss": loss, REFIT_LOSS: rec}

    def pretraining_losses(self, x, noise_seed=None):
        """The pretraining and refit losses on x, keyed as the cross-check's forward outputs (no
        noise: `noise_seed` is unused)."""
        del noise_seed
        out = self.pretraining(x)
        return {"pretrain_loss": out["loss"], REFIT_LOSS: out[REFIT_LOSS]}

    def noise(self, batch, noise_seed):
        """eps [B, Z] from stateless_normal(seed = [s, 2t + 1])."""
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        normal_seed = noise_seed * tf.constant([1, 2], tf.int64) + tf.constant([0, 1], tf.int64)
        batch = tf.reshape(tf.cast(batch, tf.int32), [1])
        return tf.random.stateless_normal(tf.concat([batch, [self.config.latent_dim]], 0),
                                          seed=normal_seed, dtype=tf.float32)

    def inference(self, x):
        """probs = gamma at z = mu~ (exp of log gamma), cluster = argmax of log gamma (int64),
        z = mu~, x_hat (NHWC)."""
        flat = self.config.flatten(x)
        z = self.encode_mean(flat)
        log_gamma = tf.nn.log_softmax(self.log_pi() + self.log_p_z_given_c(z), axis=1)
        probs = tf.math.exp(log_gamma)
        cluster = tf.math.argmax(log_gamma, axis=1, output_type=tf.int64)
        x_hat = self.config.to_image(tf.math.sigmoid(self._decode_logits(z)))
        return {"probs": probs, "cluster": cluster, "z": z, "x_hat": x_hat}

    def decode(self, z, cluster):
        """sigmoid(px(z)) as images; the cluster is unused (p(x|z) does not depend on c)."""
        del cluster
        return self.config.to_image(tf.math.sigmoid(self._decode_logits(z)))

    def prior(self, cluster):
        """p(z|c) = N(mu_c, sigma_c^2): mean and stddev [B, Z] for cluster ids [B]."""
        mean = tf.gather(self.params.all["pz_mean"], cluster)
        stddev = tf.math.exp(0.5 * tf.gather(self.params.all["pz_logvar"], cluster))
        return mean, stddev

    def set_prior(self, pi, mean, var):
        """pc_logits = log pi, pz_mean = mean, pz_logvar = log var (e.g. from a GMM fit)."""
        pi = np.asarray(pi, np.float64)
        var = np.asarray(var, np.float64)
        self.params.all["pc_logits"].assign(np.log(pi).astype(np.float32))
        self.params.all["pz_mean"].assign(np.asarray(mean, np.float32))
        self.params.all["pz_logvar"].assign(np.log(var).astype(np.float32))

    def encode_mean(self, x):
        """mu~ [B, Z] of x (images or already flat [B, D])."""
        return self._encode(self.config.flatten(x), with_log_var=False)[0]

    # ---- pieces ---------------------------------------------------------------------------------

    def log_pi(self):
        return tf.nn.log_softmax(self.params.all["pc_logits"])

    def log_p_z_given_c(self, z):
        """log N(z; mu_c, sigma_c^2) [B, K] for z [B, Z]."""
        return dist.diagonal_gaussian_log_density(
            tf.expand_dims(z, 1), self.params.all["pz_mean"], self.params.all["pz_logvar"])

    def expected_log_p_z_given_c(self, mean, log_var):
        """E_{N(z; mu~, sigma~^2)} log N(z; mu_c, sigma_c^2) [B, K]."""
        pz_logvar = self.params.all["pz_logvar"]                  # [K, Z]
        pz_var = tf.math.exp(pz_logvar)                           # [K, Z]
        q_var = tf.expand_dims(tf.math.exp(log_var), 1)           # [B, 1, Z]
        diff = tf.expand_dims(mean, 1) - self.params.all["pz_mean"]
        terms = ((tf.math.square(diff) + q_var) / pz_var + pz_logvar) + dist.LOG_2PI
        return -0.5 * tf.reduce_sum(terms, axis=-1)

    def _encode(self, flat, with_log_var=True):
        c = self.config
        rows, width = layers.backbone_encode(self.params, c.backbone, "qz", flat, c.input_shape,
                                             tf.nn.relu)
        h = layers.mlp("qz", rows, width, c.encoder_hidden, layers.relu_of(self._dense))
        mean = self._dense("qz_mean", h)
        return mean, (self._dense("qz_logvar", h) if with_log_var else None)

    def _decode_logits(self, z):
        c = self.config
        h = layers.mlp("px", z, c.latent_dim, c.decoder_hidden, layers.relu_of(self._dense))
        return layers.backbone_decode(self.params, c.backbone, "px", h, c.decoder_hidden[-1],
                                      c.input_shape, tf.nn.relu)("px_logits")

    def _dense(self, name, x):
        kernel = self.params.all[name + "_kernel"]
        return layers.dense(self.params, name, x, kernel.shape[0], kernel.shape[1])
