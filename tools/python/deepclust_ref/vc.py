"""Variational Clustering (variational-clustering-w2.txt §IV, Eq. 6-18, Table II), as docs/models.md
specifies it for the Java graph (VariationalClustering.java, VcConfig.java) and this twin.

A convolutional trunk shared by q(k|x) (a dense K-logit head, softmax) and q(z|x,k) (dense layers on
concat(features, e_k), heads mu_psi and sigma_psi = softplus + 1e-4); a learned Gaussian-mixture
prior p(z|k) from e_k (dense heads mu_beta, sigma_beta); a decoder p(x|z) of dense layers, a reshape
and transposed convolutions (Bernoulli logits, or a Gaussian mean and variance). The ELBO of Eq. 13
sums over every k with one z sample per (x, k), all B*K rows in one decoder pass; the augmentation
loss of Eq. 14 and 17 ties the posteriors of x and its augmented copy x^ (fed); loss = Eq. 18 with
the reconstruction scaled by lambda_recons.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from . import dist
from . import layers
from . import params as P
from .params import Twin

MODEL = "vc"
# The training branch's scalar terms, the loss first (the trainer logs each per epoch), and its
# outputs the cross-check records as out__<name> (docs/crosscheck.md).
TERMS = ("loss", "reconstruction", "entropy", "gaussian_kl") + dist.AUG_TERMS
TRAINING_OUTPUTS = TERMS + ("logits",)
RELU = "relu"
LEAKY_RELU = "leaky_relu"
BERNOULLI = "bernoulli"
GAUSSIAN = "gaussian"
VALID = "valid"
SAME = "same"
# Floor added to softplus standard deviations and variances (VariationalClustering.SD_FLOOR).
SD_FLOOR = np.float32(1e-4)
LEAKY_RELU_ALPHA = 0.2
# TensorFlow 1's AdamOptimizer default, the paper's framework.
ADAM_EPSILON = 1e-8
EPOCHS = 100
# lambda_aug: 0.01, 0.5 from epoch 40, 1 from epoch 80 (§V).
AUG_WEIGHT = (0.01, 40.0, 0.5, 80.0, 1.0)
# The paper's augmentations (§V-A), made outside the graph on each training batch (Java's Augment).
AUGMENTATIONS = ("none", "rotation", "brightness_binarise", "affine_flip")


# The mlp backbone's dense nets (VcConfig.MLP_TRUNK, MLP_DECODER): DEC's and VaDE's D-500-500-2000
# encoder as the trunk, its mirror before the decoder's dense output.
MLP_TRUNK = (500, 500, 2000)
MLP_DECODER = (2000, 500, 500)


def _require(ok, message):
    if not ok:
        raise ValueError(message)


@dataclasses.dataclass(frozen=True)
class ConvSpec:
    """One convolution or transposed convolution (Conv2d.Spec): filters, square kernel size,
    stride, padding "valid" | "same"."""

    filters: int
    kernel: int
    stride: int
    padding: str

    def __post_init__(self):
        for f in ("filters", "kernel", "stride"):
            object.__setattr__(self, f, int(getattr(self, f)))
        _require(self.filters >= 1 and self.kernel >= 1 and self.stride >= 1,
                 "conv filters, kernel and stride must be positive")
        _require(self.padding in (VALID, SAME),
                 f'conv padding must be "valid" or "same", not "{self.padding}"')

    def conv_out(self, size):
        return layers.conv_out(size, self.kernel, self.stride, self.padding)

    def transposed_out(self, size):
        return layers.transposed_out(size, self.kernel, self.stride, self.padding)

    def to_json(self):
        return {"filters": self.filters, "kernel": self.kernel, "stride": self.stride,
                "padding": self.padding}

    @staticmethod
    def from_json(j):
        return ConvSpec(int(j["filters"]), int(j["kernel"]), int(j["stride"]), str(j["padding"]))


def conv(filters, stride, padding):
    """A 3x3 layer of Table II."""
    return ConvSpec(filters, 3, stride, padding)


MNIST_ENCODER = (conv(64, 1, VALID), conv(64, 1, VALID), conv(64, 1, VALID), conv(128, 2, VALID),
                 conv(128, 1, VALID), conv(128, 1, VALID), conv(256, 2, VALID))
# The last entry is the output layer (px_mean, and px_var for a Gaussian likelihood).
MNIST_DECODER = (conv(128, 2, SAME), conv(128, 1, VALID), conv(128, 1, VALID), conv(64, 1, VALID),
                 conv(64, 2, SAME), conv(64, 1, VALID), conv(1, 1, VALID))
# A small config for the committed golden fixtures (crosscheck make --tiny): the MNIST geometry
# (kernels, strides, paddings: 28-26-24-22-10-8-6-2 and 3-6-8-10-12-24-26-28) with few filters.
TINY = dict(
    encoder_convs=tuple(ConvSpec(f, s.kernel, s.stride, s.padding)
                        for f, s in zip((4, 4, 4, 8, 8, 8, 8), MNIST_ENCODER)),
    posterior_hidden=(16, 16), decoder_dense=(16, 72), decoder_reshape=(3, 3, 8),
    decoder_deconvs=tuple(ConvSpec(f, s.kernel, s.stride, s.padding)
                          for f, s in zip((8, 8, 8, 4, 4, 4, 1), MNIST_DECODER)),
    latent_dim=4, clusters=10)
RGB32_ENCODER = (conv(96, 1, VALID), conv(96, 1, VALID), conv(96, 2, VALID), conv(192, 1, VALID),
                 conv(192, 1, VALID), conv(192, 2, VALID))
# The fourth layer is SAME (Table II prints VALID, which gives 33x33): docs/models.md, Readings.
RGB32_DECODER = (conv(192, 2, VALID), conv(192, 1, VALID), conv(96, 1, VALID), conv(96, 2, SAME),
                 conv(96, 1, VALID), conv(96, 1, VALID), conv(3, 1, VALID))


def schedule_at(schedule, epoch):
    """[v0, e1, v1, e2, v2, ...] at epoch e (from 0): v_i from epoch e_i on, v0 before e1."""
    v = schedule[0]
    for i in range(1, len(schedule) - 1, 2):
        if epoch >= schedule[i]:
            v = schedule[i + 1]
    return v


def _check_schedule(s, name):
    _require(len(s) % 2 == 1, name + " is [v0, e1, v1, ...]: an odd number of values")
    for i in range(1, len(s) - 1, 2):
        _require(s[i] > (0 if i == 1 else s[i - 2]), name + " epochs must increase from above 0")
    for i in range(0, len(s), 2):
        _require(s[i] >= 0 and math.isfinite(s[i]), name + " values must be finite and >= 0")


@dataclasses.dataclass(frozen=True)
class VcConfig(layers.ImageShape):
    """Settings (VcConfig.java); the defaults are docs/models.md's MNIST settings. The seed is
    mandatory. `decoder_deconvs` ends with the output layer, whose filters are the image channels.
    Schedules are [v0, e1, v1, ...] tuples of floats. `augmentation` names the augmentation of each
    training batch (one of AUGMENTATIONS); it does not enter the graph, which takes x^ as an
    input."""

    seed: int
    input_shape: tuple = (28, 28, 1)
    clusters: int = 10
    latent_dim: int = 32
    encoder_convs: tuple = MNIST_ENCODER
    posterior_hidden: tuple = (256, 512)
    prior_hidden: tuple = ()
    decoder_dense: tuple = (512, 2304)
    decoder_reshape: tuple = (3, 3, 256)
    decoder_deconvs: tuple = MNIST_DECODER
    activation: str = RELU
    likelihood: str = BERNOULLI
    learning_rate: float = 1e-3
    adam_epsilon: float = ADAM_EPSILON
    batch_size: int = 100
    epochs: int = EPOCHS
    recons_scale_schedule: tuple = (0.5,)
    aug_weight_schedule: tuple = AUG_WEIGHT
    aug_target_stop_gradient: bool = False
    augmentation: str = "rotation"
    # Readings switches (VcConfig.java; off = the first reading, and a config without the key):
    # q(z|x,k) as an MLP on the pixels, the ELBO on x and x^, softplus giving the variance.
    posterior_from_pixels: bool = False
    elbo_on_augmented: bool = False
    softplus_variance: bool = False
    # The nets (Java's backbone, issue 20): conv, the paper's Table II nets, or mlp, dense nets in
    # their place (MLP_TRUNK on the pixels, MLP_DECODER then a dense output; the conv settings
    # are then unused).
    backbone: str = layers.CONV

    def __post_init__(self):
        ints = ("input_shape", "posterior_hidden", "prior_hidden", "decoder_dense",
                "decoder_reshape")
        for f in ints:
            object.__setattr__(self, f, tuple(int(d) for d in getattr(self, f)))
        for f in ("encoder_convs", "decoder_deconvs"):
            object.__setattr__(self, f, tuple(
                s if isinstance(s, ConvSpec) else ConvSpec(*s) for s in getattr(self, f)))
        for f in ("recons_scale_schedule", "aug_weight_schedule"):
            object.__setattr__(self, f, tuple(float(v) for v in getattr(self, f)))
        for f in ("aug_target_stop_gradient", "posterior_from_pixels", "elbo_on_augmented",
                  "softplus_variance"):
            object.__setattr__(self, f, bool(getattr(self, f)))
        s = self.input_shape
        _require(self.backbone in (layers.CONV, layers.MLP),
                 f"backbone must be one of [mlp, conv], not {self.backbone}")
        _require(len(s) == 3 and all(d > 0 for d in s), "input_shape must be [H, W, C], positive")
        _require(self.clusters >= 2, "clusters must be at least 2")
        _require(self.latent_dim >= 1, "latent_dim must be positive")
        _require(len(self.encoder_convs) >= 1 and len(self.decoder_deconvs) >= 1,
                 "encoder_convs and decoder_deconvs need at least one layer")
        _require(len(self.posterior_hidden) >= 1 and all(d > 0 for d in self.posterior_hidden),
                 "posterior_hidden needs at least one positive size")
        _require(all(d > 0 for d in self.prior_hidden), "prior_hidden sizes must be positive")
        _require(len(self.decoder_dense) >= 1 and all(d > 0 for d in self.decoder_dense),
                 "decoder_dense needs at least one positive size")
        r = self.decoder_reshape
        _require(len(r) == 3 and r[0] * r[1] * r[2] == self.decoder_dense[-1],
                 "decoder_reshape [h, w, c] must hold the last decoder_dense size")
        _require(self.activation in (RELU, LEAKY_RELU),
                 f"activation must be relu or leaky_relu, not {self.activation}")
        _require(self.likelihood in (BERNOULLI, GAUSSIAN),
                 f"likelihood must be bernoulli or gaussian, not {self.likelihood}")
        _require(self.learning_rate > 0 and self.adam_epsilon > 0
                 and math.isfinite(self.learning_rate),
                 "learning_rate and adam_epsilon must be positive")
        _require(self.batch_size >= 1 and self.epochs >= 1,
                 "batch_size and epochs must be positive")
        _require(self.augmentation in AUGMENTATIONS,
                 f"augmentation must be one of {list(AUGMENTATIONS)}, not {self.augmentation}")
        _check_schedule(self.recons_scale_schedule, "recons_scale_schedule")
        _check_schedule(self.aug_weight_schedule, "aug_weight_schedule")
        h, w = s[0], s[1]
        for c in self.encoder_convs:
            h, w = c.conv_out(h), c.conv_out(w)
            _require(h >= 1 and w >= 1, "encoder_convs shrink the image to nothing")
        h, w = r[0], r[1]
        for c in self.decoder_deconvs:
            h, w = c.transposed_out(h), c.transposed_out(w)
        out = self.decoder_deconvs[-1].filters
        _require((h, w, out) == s,
                 f"decoder_deconvs end at {h}x{w}x{out}, not the input shape "
                 f"{s[0]}x{s[1]}x{s[2]}")

    @staticmethod
    def mnist(seed):
        """MNIST / Fashion-MNIST (Table II, 28x28x1): ReLU, Bernoulli, Adam 1e-3, batch 100."""
        return VcConfig(seed=seed)

    @staticmethod
    def rgb32(seed):
        """The 32x32x3 variant (Table II, CIFAR-10 / STL-10): leaky ReLU, Gaussian likelihood,
        Adam 1e-4, batch 30, lambda_recons 0.5 then 0.1 from epoch 40."""
        return VcConfig(seed=seed, input_shape=(32, 32, 3), encoder_convs=RGB32_ENCODER,
                        posterior_hidden=(512, 512), prior_hidden=(64, 64), decoder_dense=(3072,),
                        decoder_reshape=(4, 4, 192), decoder_deconvs=RGB32_DECODER,
                        activation=LEAKY_RELU, likelihood=GAUSSIAN, learning_rate=1e-4,
                        batch_size=30, recons_scale_schedule=(0.5, 40.0, 0.1),
                        augmentation="affine_flip")

    @staticmethod
    def for_shape(shape, seed):
        """The paper's architecture for an input shape: 28x28x1 or 32x32x3."""
        shape = tuple(int(d) for d in shape)
        if shape == (28, 28, 1):
            return VcConfig.mnist(seed)
        if shape == (32, 32, 3):
            return VcConfig.rgb32(seed)
        raise ValueError("Variational Clustering has architectures for 28x28x1 and 32x32x3 "
                         f"images, not {shape[0]}x{shape[1]}x{shape[2]}")

    def for_dataset(self, dataset):
        """The paper's augmentation for a dataset: Fashion-MNIST's brightness and binarisation
        (a dataset name starting with "fashion"), else this config."""
        if dataset.startswith("fashion"):
            return dataclasses.replace(self, augmentation="brightness_binarise")
        return self

    def recons_scale(self, epoch):
        """lambda_recons at epoch e (from 0)."""
        return schedule_at(self.recons_scale_schedule, epoch)

    def aug_weight(self, epoch):
        """lambda_aug at epoch e (from 0)."""
        return schedule_at(self.aug_weight_schedule, epoch)

    def trunk_shapes(self):
        """[H, W, C] after each encoder convolution."""
        h, w, out = self.input_shape[0], self.input_shape[1], []
        for c in self.encoder_convs:
            h, w = c.conv_out(h), c.conv_out(w)
            out.append((h, w, c.filters))
        return out

    def decoder_shapes(self):
        """[H, W, C] of the reshape, then after each transposed convolution."""
        h, w, ch = self.decoder_reshape
        out = [(h, w, ch)]
        for c in self.decoder_deconvs:
            h, w = c.transposed_out(h), c.transposed_out(w)
            out.append((h, w, c.filters))
        return out

    @property
    def mlp(self):
        """Whether the nets are the dense ones (backbone mlp)."""
        return self.backbone == layers.MLP

    @property
    def feature_dim(self):
        """Size of the trunk's flattened features F."""
        if self.mlp:
            return MLP_TRUNK[-1]
        h, w, c = self.trunk_shapes()[-1]
        return h * w * c

    @property
    def posterior_input_dim(self):
        """Size of the rows q(z|x,k)'s MLP takes before e_k: the pixels or the trunk's features."""
        return self.input_dim if self.posterior_from_pixels else self.feature_dim

    @staticmethod
    def from_json(j):
        """The inverse of `to_json`."""
        return VcConfig(
            seed=int(j["seed"]), input_shape=tuple(j["inputShape"]), clusters=int(j["clusters"]),
            latent_dim=int(j["latentDim"]),
            encoder_convs=tuple(ConvSpec.from_json(s) for s in j["encoderConvs"]),
            posterior_hidden=tuple(j["posteriorHidden"]), prior_hidden=tuple(j["priorHidden"]),
            decoder_dense=tuple(j["decoderDense"]), decoder_reshape=tuple(j["decoderReshape"]),
            decoder_deconvs=tuple(ConvSpec.from_json(s) for s in j["decoderDeconvs"]),
            activation=str(j["activation"]), likelihood=str(j["likelihood"]),
            learning_rate=float(j["learningRate"]), adam_epsilon=float(j["adamEpsilon"]),
            batch_size=int(j["batchSize"]), epochs=int(j["epochs"]),
            recons_scale_schedule=tuple(float(v) for v in j["reconsScale"]),
            aug_weight_schedule=tuple(float(v) for v in j["augWeight"]),
            aug_target_stop_gradient=bool(j["augTargetStopGradient"]),
            augmentation=str(j["augmentation"]),
            posterior_from_pixels=bool(j.get("posteriorFromPixels", False)),
            elbo_on_augmented=bool(j.get("elboOnAugmented", False)),
            softplus_variance=bool(j.get("softplusVariance", False)),
            backbone=j.get("backbone") or layers.CONV)

    def to_json(self):
        """Every key of Java's VcConfig record, camelCase, in Gson's (component) order."""
        return {
            "inputShape": list(self.input_shape),
            "clusters": self.clusters,
            "latentDim": self.latent_dim,
            "encoderConvs": [s.to_json() for s in self.encoder_convs],
            "posteriorHidden": list(self.posterior_hidden),
            "priorHidden": list(self.prior_hidden),
            "decoderDense": list(self.decoder_dense),
            "decoderReshape": list(self.decoder_reshape),
            "decoderDeconvs": [s.to_json() for s in self.decoder_deconvs],
            "activation": self.activation,
            "likelihood": self.likelihood,
            "learningRate": self.learning_rate,
            "adamEpsilon": self.adam_epsilon,
            "batchSize": self.batch_size,
            "epochs": self.epochs,
            "reconsScale": list(self.recons_scale_schedule),
            "augWeight": list(self.aug_weight_schedule),
            "augTargetStopGradient": self.aug_target_stop_gradient,
            "augmentation": self.augmentation,
            "posteriorFromPixels": self.posterior_from_pixels,
            "elboOnAugmented": self.elbo_on_augmented,
            "softplusVariance": self.softplus_variance,
            "seed": self.seed,
            "backbone": self.backbone,
        }


class Vc(Twin):
    """The model's variables (in `params`) and its branches as methods of tensors."""

    model_name = MODEL

    def _create_variables(self):
        """Every variable, in docs/models.md's order (the order Java's graph asks for them)."""
        c = self.config
        get = self.params.get

        def dense(name, n_in, n_out):
            get(name + "_kernel", (n_in, n_out), P.GLOROT_UNIFORM, True)
            get(name + "_bias", (n_out,), P.ZEROS, True)

        def kernel(name, shape, n_out):
            get(name + "_kernel", shape, P.GLOROT_UNIFORM, True)
            get(name + "_bias", (n_out,), P.ZEROS, True)

        if c.mlp:
            for i, (n_in, n_out) in enumerate(zip((c.input_dim,) + MLP_TRUNK, MLP_TRUNK)):
                dense("qk_%d" % (i + 1), n_in, n_out)
        channels = c.input_shape[2]
        for i, s in enumerate(() if c.mlp else c.encoder_convs):
            kernel("qk_conv%d" % (i + 1), (s.kernel, s.kernel, channels, s.filters), s.filters)
            channels = s.filters
        dense("qk_logits", c.feature_dim, c.clusters)
        n_in = c.posterior_input_dim + c.clusters
        for i, size in enumerate(c.posterior_hidden):
            dense("qz_%d" % (i + 1), n_in, size)
            n_in = size
        dense("qz_mean", n_in, c.latent_dim)
        dense("qz_sd", n_in, c.latent_dim)
        n_in = c.clusters
        for i, size in enumerate(c.prior_hidden):
            dense("pz_%d" % (i + 1), n_in, size)
            n_in = size
        dense("pz_mean", n_in, c.latent_dim)
        dense("pz_sd", n_in, c.latent_dim)
        n_in = c.latent_dim
        for i, size in enumerate(MLP_DECODER if c.mlp else c.decoder_dense):
            dense("px_%d" % (i + 1), n_in, size)
            n_in = size
        if c.mlp:
            dense("px_mean", n_in, c.input_dim)
            if c.likelihood == GAUSSIAN:
                dense("px_var", n_in, c.input_dim)
            return
        channels = c.decoder_reshape[2]
        for i, s in enumerate(c.decoder_deconvs[:-1]):
            kernel("px_deconv%d" % (i + 1), (s.kernel, s.kernel, s.filters, channels), s.filters)
            channels = s.filters
        out = c.decoder_deconvs[-1]
        kernel("px_mean", (out.kernel, out.kernel, out.filters, channels), out.filters)
        if c.likelihood == GAUSSIAN:
            kernel("px_var", (out.kernel, out.kernel, out.filters, channels), out.filters)

    # ---- branches -------------------------------------------------------------------------------

    def training(self, x, x_aug, noise_seed, recons_scale, aug_weight):
        """Eq. 18 on x and its augmented copy x_aug [B, H, W, C]: loss = recons_scale *
        reconstruction - entropy + gaussian_kl + aug_weight * (aug_l2 + aug_w2), each term a mean
        over the batch; eps [B, K, Z] from stateless_normal(seed = [s, 2t + 1]) for noise_seed
        [s, t]. With `elbo_on_augmented` each ELBO term is the mean of its value on x and on
        x_aug, x_aug's eps from seed [s, -(2t + 1)]. Also returns `logits` of q(k|x) [B, K]."""
        c = self.config
        q = self.posterior(x)
        prior = self.p_z_given_k(self._eye())
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        normal_seed = noise_seed * tf.constant([1, 2], tf.int64) + tf.constant([0, 1], tf.int64)
        reconstruction, entropy, gaussian_kl = self._elbo_terms(q, x, prior, normal_seed)
        q_aug = self.posterior(x_aug)
        if c.elbo_on_augmented:
            aug_terms = self._elbo_terms(q_aug, x_aug, prior,
                                         normal_seed * tf.constant([1, -1], tf.int64))
            reconstruction, entropy, gaussian_kl = (
                np.float32(0.5) * (a + b)
                for a, b in zip((reconstruction, entropy, gaussian_kl), aug_terms))

        stop = tf.stop_gradient if c.aug_target_stop_gradient else (lambda t: t)
        probs, mean, sd = stop(q["probs"]), stop(q["mean"]), stop(q["sd"])
        aug_l2, aug_w2 = dist.augmentation_loss_per_cluster(probs, mean, sd, q_aug["probs"],
                                                            q_aug["mean"], q_aug["sd"])

        recons_scale = tf.convert_to_tensor(recons_scale, tf.float32)
        aug_weight = tf.convert_to_tensor(aug_weight, tf.float32)
        neg_elbo = (recons_scale * reconstruction - entropy) + gaussian_kl
        loss = neg_elbo + aug_weight * (aug_l2 + aug_w2)
        return {"loss": loss, "reconstruction": reconstruction, "entropy": entropy,
                "gaussian_kl": gaussian_kl, **dict(zip(dist.AUG_TERMS, (aug_l2, aug_w2))),
                "logits": q["logits"]}

    def _elbo_terms(self, q, x, prior, normal_seed):
        """The ELBO's terms on x (batch means): sum_k q(k|x) rec_k, H(q(k|x)), sum_k q(k|x) KL_k,
        eps [B, K, Z] from stateless_normal(normal_seed)."""
        c = self.config
        prior_mean, prior_sd = prior
        shape = tf.concat([tf.shape(x)[:1], tf.constant([c.clusters, c.latent_dim], tf.int32)], 0)
        eps = tf.random.stateless_normal(shape, seed=normal_seed, dtype=tf.float32)
        z = q["mean"] + q["sd"] * tf.stop_gradient(eps)
        z_rows = tf.reshape(z, [-1, c.latent_dim])
        rec = self.reconstruction_per_cluster(self.p_x_given_z(z_rows), x)       # [B, K]
        kl = dist.diagonal_gaussian_kl(q["mean"], q["sd"], tf.expand_dims(prior_mean, 0),
                                       tf.expand_dims(prior_sd, 0))              # [B, K]
        return (tf.reduce_mean(tf.reduce_sum(q["probs"] * rec, axis=1), axis=0),
                tf.reduce_mean(-tf.reduce_sum(q["probs"] * q["log_probs"], axis=1), axis=0),
                tf.reduce_mean(tf.reduce_sum(q["probs"] * kl, axis=1), axis=0))

    def noise(self, batch, noise_seed):
        """eps [B, K, Z] from stateless_normal(seed = [s, 2t + 1]) for noise_seed [s, t]."""
        c = self.config
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        normal_seed = noise_seed * tf.constant([1, 2], tf.int64) + tf.constant([0, 1], tf.int64)
        batch = tf.reshape(tf.cast(batch, tf.int32), [1])
        shape = tf.concat([batch, tf.constant([c.clusters, c.latent_dim], tf.int32)], 0)
        return tf.random.stateless_normal(shape, seed=normal_seed, dtype=tf.float32)

    def inference(self, x):
        """probs = q(k|x) [B, K], cluster = argmax (int64), z = mu of q(z|x, k*) at the assigned
        k*, x_hat = the decoder's mean at that mu (no noise)."""
        q = self.posterior(x)
        cluster = tf.math.argmax(q["logits"], axis=1, output_type=tf.int64)
        z = tf.gather(q["mean"], cluster, axis=1, batch_dims=1)
        return {"probs": q["probs"], "cluster": cluster, "z": z,
                "x_hat": self._mean(self.p_x_given_z(z))}

    def decode(self, z, cluster):
        """The mean of p(x|z) [B, H, W, C]; p(x|z) does not depend on the cluster (accepted)."""
        del cluster
        return self._mean(self.p_x_given_z(z))

    def prior(self, cluster):
        """mu_beta, sigma_beta [B, Z] of p(z|k) for clusters [B] (any int dtype)."""
        e = tf.one_hot(cluster, self.config.clusters, 1.0, 0.0, dtype=tf.float32)
        return self.p_z_given_k(e)

    def prior_mix(self, weights):
        """mu_beta, sigma_beta [B, Z] of p(z|e~) for soft one-hot rows e~ = weights [B, K] (the
        paper's k-interpolation, Fig. 7); a one-hot row e_k gives prior(k)."""
        return self.p_z_given_k(tf.convert_to_tensor(weights, tf.float32))

    # ---- sub-networks ---------------------------------------------------------------------------

    def trunk(self, x):
        """The shared trunk, flattened [B, F]: the Table II convolutions, or with the mlp backbone
        the dense layers qk_1 .. on the pixels."""
        c = self.config
        if c.mlp:
            rows, width = layers.backbone_encode(self.params, layers.MLP, "qk", c.flatten(x),
                                                 c.input_shape, self._act)
            return layers.mlp("qk", rows, width, MLP_TRUNK, self._dense_act)
        h, _ = layers.conv_stack(self.params, "qk_conv", x, c.input_shape[2], c.encoder_convs,
                                 self._act)
        return tf.reshape(h, [-1, c.feature_dim])

    def posterior(self, x):
        """q(k|x): logits, log_probs, probs [B, K]; q(z|x,k) for every k from rows (b, k) =
        concat(f_b, e_k) [B*K, F + K]: mean, sd [B, K, Z]; f_b the trunk's features or, with
        `posterior_from_pixels`, the flattened pixels (F = H*W*C)."""
        c = self.config
        k = c.clusters
        features = self.trunk(x)
        logits = layers.dense(self.params, "qk_logits", features, c.feature_dim, k)
        f = c.posterior_input_dim
        rows = tf.reshape(x, [-1, f]) if c.posterior_from_pixels else features
        batch = tf.shape(features)[:1]
        tiled = tf.tile(tf.expand_dims(rows, 1), [1, k, 1])
        onehots = tf.broadcast_to(tf.expand_dims(self._eye(), 0),
                                  tf.concat([batch, tf.constant([k, k], tf.int32)], 0))
        h = tf.reshape(tf.concat([tiled, onehots], 2), [-1, f + k])
        h = layers.mlp("qz", h, f + k, c.posterior_hidden, self._dense_act)
        n_in = (c.posterior_hidden or (f + k,))[-1]
        per_cluster = [-1, k, c.latent_dim]
        mean = tf.reshape(layers.dense(self.params, "qz_mean", h, n_in, c.latent_dim),
                          per_cluster)
        sd = tf.reshape(self._standard_deviation(
            layers.dense(self.params, "qz_sd", h, n_in, c.latent_dim)), per_cluster)
        return {"logits": logits, "log_probs": tf.nn.log_softmax(logits),
                "probs": tf.nn.softmax(logits), "mean": mean, "sd": sd}

    def p_z_given_k(self, e):
        """p(z|e): mu_beta, sigma_beta [N, Z] for rows e [N, K] (one-hot e_k or a soft mix)."""
        c = self.config
        h = layers.mlp("pz", e, c.clusters, c.prior_hidden, self._dense_act)
        n_in = (c.prior_hidden or (c.clusters,))[-1]
        return (layers.dense(self.params, "pz_mean", h, n_in, c.latent_dim),
                self._standard_deviation(layers.dense(self.params, "pz_sd", h, n_in,
                                                      c.latent_dim)))

    def p_x_given_z(self, z):
        """p(x|z) for rows z [N, Z]: {"mean_or_logits": [N, H, W, C], "variance": the Gaussian
        variance or None (Bernoulli)}."""
        c = self.config
        if c.mlp:
            h = layers.mlp("px", z, c.latent_dim, MLP_DECODER, self._dense_act)
            output = layers.backbone_decode(self.params, layers.MLP, "px", h, MLP_DECODER[-1],
                                            c.input_shape, self._act)
            variance = None
            if c.likelihood == GAUSSIAN:
                variance = self._softplus_floor(c.to_image(output("px_var")))
            return {"mean_or_logits": c.to_image(output("px_mean")), "variance": variance}
        h = layers.mlp("px", z, c.latent_dim, c.decoder_dense, self._dense_act)
        h, channels = layers.conv_stack(self.params, "px_deconv",
                                        tf.reshape(h, [-1, *c.decoder_reshape]),
                                        c.decoder_reshape[2], c.decoder_deconvs[:-1], self._act,
                                        transposed=True)
        out = c.decoder_deconvs[-1]
        mean_or_logits = layers.conv2d_transpose(self.params, "px_mean", h, out.kernel, channels,
                                                 out.filters, out.stride, out.padding)
        variance = None
        if c.likelihood == GAUSSIAN:
            variance = self._softplus_floor(layers.conv2d_transpose(
                self.params, "px_var", h, out.kernel, channels, out.filters, out.stride,
                out.padding))
        return {"mean_or_logits": mean_or_logits, "variance": variance}

    # ---- loss pieces ----------------------------------------------------------------------------

    def reconstruction_per_cluster(self, decoded, x):
        """-log p(x_b | z_bk) [B, K] from the decoder's output on the B*K rows (b, k): Bernoulli
        sum [softplus(l) - x l], Gaussian 1/2 sum [log 2pi + log v + (x - m)^2 / v]."""
        c = self.config
        k = c.clusters
        x_rows = tf.reshape(tf.tile(tf.expand_dims(x, 1), [1, k, 1, 1, 1]),
                            [-1, *c.input_shape])
        if decoded["variance"] is None:
            per_row = dist.bernoulli_cross_entropy(decoded["mean_or_logits"], x_rows, [1, 2, 3])
        else:
            per_row = dist.gaussian_negative_log_likelihood(
                x_rows, decoded["mean_or_logits"], decoded["variance"], [1, 2, 3])
        return tf.reshape(per_row, [-1, k])

    # ---- helpers --------------------------------------------------------------------------------

    def _eye(self):
        return tf.constant(np.eye(self.config.clusters, dtype=np.float32))

    def _dense_act(self, name, x, n_in, n_out):
        """A `layers.mlp` layer: the config's activation of a dense layer."""
        return self._act(layers.dense(self.params, name, x, n_in, n_out))

    def _act(self, h):
        if self.config.activation == LEAKY_RELU:
            return tf.nn.leaky_relu(h, alpha=LEAKY_RELU_ALPHA)
        return tf.nn.relu(h)

    def _standard_deviation(self, a):
        """sigma from a dense output: softplus(a) + 1e-4, or with `softplus_variance`
        sqrt(softplus(a) + 1e-4) (softplus gives the variance)."""
        s = self._softplus_floor(a)
        return tf.math.sqrt(s) if self.config.softplus_variance else s

    @staticmethod
    def _softplus_floor(a):
        return tf.math.softplus(a) + SD_FLOOR

    @staticmethod
    def _mean(decoded):
        """The decoder's mean: sigmoid of the Bernoulli logits, or the Gaussian mean."""
        if decoded["variance"] is None:
            return tf.math.sigmoid(decoded["mean_or_logits"])
        return decoded["mean_or_logits"]
