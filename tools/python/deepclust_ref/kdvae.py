"""k-DVAE (k-dvae.txt §3, Eq. 6 and 8), as docs/models.md specifies it for the Java graph and this
twin.

K encoder/decoder pairs, each a plain Bernoulli VAE (encoder D-500-100 ReLU with heads mu_i and
log sigma_i^2, decoder Z-100-500 ReLU with Bernoulli logits), held as one batched graph: every
variable has a leading K axis, x is broadcast to [K, B, D] and each dense layer is a batched matmul
[K, B, in] x [K, in, out] + bias [K, 1, out]. The training objective (Eq. 6) keeps, per sample, the
best pair's ELBO score; clustering (Eq. 8) scores each pair deterministically at z_i = mu_i.

Scores are laid out [K, B] (pair first), as the docs write them; `probs` of inference is [B, K].
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from . import dist
from . import layers
from . import params as P
from .params import Twin
from .vade import GmmStart, Pretraining, legacy_start

MODEL = "kdvae"
# The training branch's scalar terms, here the loss alone (the trainer logs each per epoch), and
# its outputs the cross-check records as out__<name> (docs/crosscheck.md).
TERMS = ("loss",)
TRAINING_OUTPUTS = TERMS + ("score", "assigned", "pair_loss")
# A small config for the committed golden fixtures (crosscheck make --tiny).
TINY = dict(encoder_hidden=(32, 16), decoder_hidden=(16, 32), latent_dim=4, clusters=3)


@dataclasses.dataclass(frozen=True)
class KdvaeConfig(layers.ImageShape, dist.Augmentable):
    """Settings; the defaults are docs/models.md's MNIST settings. The seed is mandatory.

    `pair_pretrain_epochs` (each pair as a VAE on its k-means cluster, 100) and `epochs` (the joint
    phase of Eq. 6, 40) are k-DAE's: the paper gives no epoch counts."""

    BASE_TERMS = TERMS

    seed: int
    input_shape: tuple = (28, 28, 1)
    clusters: int = 10
    latent_dim: int = 10
    encoder_hidden: tuple = (500, 100)
    decoder_hidden: tuple = (100, 500)
    learning_rate: float = 1e-3
    adam_epsilon: float = 1e-7
    batch_size: int = 100
    epochs: int = 40  # k-DAE's 40 joint epochs after 100 of pair pretraining
    pair_pretrain_epochs: int = 100
    # The VaDE whose latent means give the initial clusters (Java's KdvaeConfig keys
    # initVadePretraining, initVadeGmmStart and initVadeEpochs; see `init_vade`).
    init_vade_pretraining: Pretraining = Pretraining()
    init_vade_gmm_start: GmmStart = GmmStart()
    init_vade_epochs: int = 300  # VaDE's own default (KdvaeConfig.INIT_VADE_EPOCHS)
    # "kmeans" (the paper's: k-means on the VaDE's latent means) or "vade" (its own clusters)
    initial_clusters: str = "kmeans"
    # The image end of every pair's encoder and decoder (Java's backbone, layers.backbone_*): mlp,
    # the paper's dense nets, or conv, K compact conv nets; the initialising VaDE stays dense.
    backbone: str = layers.MLP
    # The augmentation loss of the joint phase (Java's aug, augmentation; dist.AUG_*): none or w2
    # (dist.augmentation_loss_per_cluster, q(c|.) the Eq. 8 softmax), x^ made by the trainer.
    aug: str = dist.AUG_NONE
    augmentation: str = "none"

    def __post_init__(self):
        layers.check_dense_config(self)
        require = layers.require
        why = layers.backbone_unsupported(self.backbone, self.input_shape)
        require(why is None, why)
        self.check_aug()
        require(self.learning_rate > 0 and math.isfinite(self.learning_rate),
                "learning_rate must be positive")
        require(self.adam_epsilon > 0, "adam_epsilon must be positive")
        require(self.batch_size >= 1, "batch_size must be positive")
        require(self.epochs >= 1, "epochs must be positive")
        require(self.pair_pretrain_epochs >= 0, "pair_pretrain_epochs must be >= 0")
        require(isinstance(self.init_vade_pretraining, Pretraining)
                and isinstance(self.init_vade_gmm_start, GmmStart),
                "init_vade_pretraining and init_vade_gmm_start are required")
        require(self.init_vade_epochs >= 0, "VaDE epochs must be >= 0")
        require(self.initial_clusters in ("kmeans", "vade"),
                f"initial_clusters must be kmeans or vade, got '{self.initial_clusters}'")

    @staticmethod
    def mnist(seed):
        return KdvaeConfig(seed=seed)

    @property
    def init_vade_pretrain_epochs(self):
        return self.init_vade_pretraining.epochs

    @staticmethod
    def from_json(j):
        """The inverse of `to_json`; an older config (initVadePretrainEpochs) reads as the recipe
        it ran (`vade.legacy_start`)."""
        if "initVadePretraining" in j:
            recipe = Pretraining.from_json(j["initVadePretraining"])
            start = GmmStart.from_json(j["initVadeGmmStart"])
        else:
            recipe, start = legacy_start(j.get("initVadePretrainEpochs", 20), j["batchSize"])
        return KdvaeConfig(
            seed=int(j["seed"]), input_shape=tuple(j["inputShape"]), clusters=int(j["clusters"]),
            latent_dim=int(j["latentDim"]), encoder_hidden=tuple(j["encoderHidden"]),
            decoder_hidden=tuple(j["decoderHidden"]), learning_rate=float(j["learningRate"]),
            adam_epsilon=float(j["adamEpsilon"]), batch_size=int(j["batchSize"]),
            epochs=int(j["epochs"]), pair_pretrain_epochs=int(j["pairPretrainEpochs"]),
            init_vade_pretraining=recipe, init_vade_gmm_start=start,
            init_vade_epochs=int(j.get("initVadeEpochs", 300)),
            initial_clusters=j.get("initialClusters") or "kmeans",
            backbone=j.get("backbone") or layers.MLP, **dist.Augmentable.aug_from_json(j))

    def to_json(self):
        """Every key of Java's KdvaeConfig record, camelCase, in Gson's order."""
        return {
            "inputShape": list(self.input_shape),
            "clusters": self.clusters,
            "latentDim": self.latent_dim,
            "encoderHidden": list(self.encoder_hidden),
            "decoderHidden": list(self.decoder_hidden),
            "learningRate": self.learning_rate,
            "adamEpsilon": self.adam_epsilon,
            "batchSize": self.batch_size,
            "epochs": self.epochs,
            "pairPretrainEpochs": self.pair_pretrain_epochs,
            "initVadePretraining": self.init_vade_pretraining.to_json(),
            "initVadeGmmStart": self.init_vade_gmm_start.to_json(),
            "initVadeEpochs": self.init_vade_epochs,
            "initialClusters": self.initial_clusters,
            "seed": self.seed,
            "backbone": self.backbone,
            **self.aug_json(),
        }


    def init_vade(self):
        """The VaDE that initialises the clusters, as Java's KdvaeConfig.initVade(): VaDE's MNIST
        settings with this config's input shape, K, batch size and seed, its pretraining recipe and
        GMM start, and max(1, init_vade_epochs) joint epochs."""
        from .vade import VadeConfig
        return dataclasses.replace(
            VadeConfig.mnist(self.seed), input_shape=self.input_shape, clusters=self.clusters,
            pretraining=self.init_vade_pretraining, gmm_start=self.init_vade_gmm_start,
            batch_size=self.batch_size,
            epochs=max(1, self.init_vade_epochs))


class Kdvae(Twin):
    """The K pairs' variables (in `params`) and the model's branches as methods of tensors."""

    model_name = MODEL

    def _create_variables(self):
        """Every variable, in docs/models.md's order: kernel [K, in, out], bias [K, 1, out]."""
        c = self.config
        k = c.clusters

        def layer(name, kernel, bias):
            """A batched dense layer ([in, out]: kernel [K, in, out], bias [K, 1, out]) or the K
            convolutions of a conv layer ([k, k, a, b]: kernel [K, k, k, a, b], bias [K, b])."""
            self.params.get(name + "_kernel", (k, *kernel), P.GLOROT_UNIFORM, True)
            self.params.get(name + "_bias", (k, 1, bias) if len(kernel) == 2 else (k, bias),
                            P.ZEROS, True)

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

    # ---- branches -------------------------------------------------------------------------------

    def scores(self, x, noise_seed):
        """score_i = -reconstruction_i(x | z_i) - KL(q_i || N(0, I)) [K, B], with the flat x
        [B, D] broadcast to every pair, for z_i = mu_i + sigma_i eps_i, eps [K, B, Z] from
        stateless_normal([s, 2t + 1])."""
        return self._elbos(self._broadcast(self.config.flatten(x)), noise_seed)

    def training(self, x, noise_seed, x_aug=None, aug_weight=None):
        """loss = -mean_B max_i score_i (Eq. 6), score [K, B], assigned = argmax_i (int64) [B];
        with `aug` = w2, + aug_weight (aug_l2 + aug_w2) (Kdvae.java's augmentation)."""
        score = self.scores(x, noise_seed)
        loss = -tf.reduce_mean(tf.reduce_max(score, axis=0), axis=0)
        assigned = tf.math.argmax(score, axis=0, output_type=tf.int64)
        out = {"loss": loss, "score": score, "assigned": assigned}
        if self.config.augmented:
            l2, w2 = dist.augmentation_loss_per_cluster(
                *self._posterior(x), *self._posterior(tf.convert_to_tensor(x_aug, tf.float32)))
            out["loss"] = loss + tf.convert_to_tensor(aug_weight, tf.float32) * (l2 + w2)
            out.update(zip(dist.AUG_TERMS, (l2, w2)))
        return out

    def _posterior(self, x):
        """q(c|x) = softmax of Eq. 8's scores [B, K], and each pair's mu_i, sigma_i as [B, K, Z]."""
        s, _, _ = self.cluster_scores(x)
        mean, log_var = self._encode(self._broadcast(self.config.flatten(x)))
        return (tf.nn.softmax(tf.transpose(s), axis=1), tf.transpose(mean, [1, 0, 2]),
                tf.transpose(tf.math.exp(np.float32(0.5) * log_var), [1, 0, 2]))

    def pair_training(self, x, noise_seed):
        """Pretraining each pair as a plain VAE on its own samples: x's B rows are K equal blocks,
        block i the samples of pair i; loss = -mean over all rows of their own pair's score
        (score [K, B/K], eps [K, B/K, Z] as `scores` draws it). Pair i's gradient comes from block
        i alone."""
        c = self.config
        blocks = tf.reshape(self.config.flatten(x), [c.clusters, -1, c.input_dim])
        score = self._elbos(blocks, noise_seed)
        return {"loss": -tf.reduce_mean(score), "score": score}

    def pair_losses(self, x, noise_seed):
        """The pair pretraining loss of x, keyed as the cross-check's forward output."""
        return {"pair_loss": self.pair_training(x, noise_seed)["loss"]}

    def _elbos(self, xk, noise_seed):
        """Each pair's one-sample ELBO of its rows, [K, B] for xk [K, B, D]."""
        mean, log_var = self._encode(xk)
        z = dist.gaussian_sample(mean, log_var, self.noise(tf.shape(xk)[1], noise_seed))
        rec = dist.bernoulli_cross_entropy(self._decode_logits(z), xk)
        kl = dist.gaussian_kl_to_standard_normal(mean, log_var)
        return -rec - kl

    def noise(self, batch, noise_seed):
        """eps [K, B, Z] from stateless_normal(seed = [s, 2t + 1])."""
        c = self.config
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        normal_seed = noise_seed * tf.constant([1, 2], tf.int64) + tf.constant([0, 1], tf.int64)
        batch = tf.reshape(tf.cast(batch, tf.int32), [1])
        shape = tf.concat([[c.clusters], batch, [c.latent_dim]], 0)
        return tf.random.stateless_normal(shape, seed=normal_seed, dtype=tf.float32)

    def cluster_scores(self, x):
        """Eq. 8 at z_i = mu_i: s_i = -reconstruction_i(x | mu_i) - 1/2 |mu_i|^2 + sum log sigma_i
        [K, B], with mu [K, B, Z] and the decoders' logits [K, B, D]."""
        flat = self.config.flatten(x)
        xk = self._broadcast(flat)
        mean, log_var = self._encode(xk)
        logits = self._decode_logits(mean)
        rec = dist.bernoulli_cross_entropy(logits, xk)
        s = (-rec - 0.5 * tf.reduce_sum(tf.math.square(mean), axis=-1)) \
            + 0.5 * tf.reduce_sum(log_var, axis=-1)
        return s, mean, logits

    def inference(self, x):
        """probs = softmax_i(s_i) [B, K], cluster = argmax_i s_i (int64), z = mu of the assigned
        pair, x_hat = sigmoid of the assigned decoder at that mu (NHWC)."""
        s, mean, logits = self.cluster_scores(x)
        st = tf.transpose(s)                                                 # [B, K]
        probs = tf.nn.softmax(st, axis=1)
        cluster = tf.math.argmax(st, axis=1, output_type=tf.int64)
        z = self._pick(mean, cluster)
        x_hat = self.config.to_image(tf.math.sigmoid(self._pick(logits, cluster)))
        return {"probs": probs, "cluster": cluster, "z": z, "x_hat": x_hat}

    def decode(self, z, cluster):
        """Decoder c of each row: sigmoid(px_c(z)) for z [B, Z], cluster ids [B], as images."""
        zk = self._broadcast(z)
        return self.config.to_image(tf.math.sigmoid(self._pick(self._decode_logits(zk), cluster)))

    def prior(self, cluster):
        """p(z|c) = N(0, I) for every cluster: mean 0 and stddev 1, [B, Z]."""
        shape = tf.concat([tf.shape(cluster), [self.config.latent_dim]], 0)
        return tf.zeros(shape, tf.float32), tf.ones(shape, tf.float32)

    # ---- pieces ---------------------------------------------------------------------------------

    def _encode(self, xk):
        c = self.config
        rows, width = layers.backbone_encode_batched(self.params, c.backbone, "qz", xk,
                                                     c.clusters, c.input_shape, tf.nn.relu)
        h = layers.mlp("qz", rows, width, c.encoder_hidden, layers.relu_of(self._dense))
        return self._dense("qz_mean", h), self._dense("qz_logvar", h)

    def _decode_logits(self, zk):
        c = self.config
        h = layers.mlp("px", zk, c.latent_dim, c.decoder_hidden, layers.relu_of(self._dense))
        return layers.backbone_decode_batched(self.params, c.backbone, "px", h,
                                              c.decoder_hidden[-1], c.clusters, c.input_shape,
                                              tf.nn.relu)("px_logits")

    def _dense(self, name, x):
        kernel = self.params.all[name + "_kernel"]
        return layers.batched_dense(self.params, name, x, kernel.shape[0], kernel.shape[1],
                                    kernel.shape[2])

    def _broadcast(self, flat):
        """[B, D] -> [K, B, D]."""
        shape = tf.concat([[self.config.clusters], tf.shape(flat)], 0)
        return tf.broadcast_to(tf.expand_dims(flat, 0), shape)

    @staticmethod
    def _pick(per_pair, cluster):
        """Row b of pair cluster[b]: [K, B, N] -> [B, N]."""
        return tf.gather(tf.transpose(per_pair, [1, 0, 2]), cluster, axis=1, batch_dims=1)
