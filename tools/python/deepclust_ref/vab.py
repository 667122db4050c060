"""VAB, joint Variational Autoencoders with Bernoulli mixture models (vab-bernoulli-mixture-vae.txt
§2-3, Eq. 1-12), as docs/models.md specifies it for the Java graph (Vab.java, VabConfig.java) and
this twin.

An encoder q(z|x) (ReLU layers, then d logits l: q(z_j = 1|x) = sigmoid(l_j)), a decoder p(x|z)
(ReLU layers, then Bernoulli logits, or a Gaussian mean and softplus variance), and a Bernoulli
mixture prior p(c) p(z|c) held as free variables: pi = softmax(pc_logits), mu_{z|c} =
sigmoid(pz_logits). Training relaxes each code bit by a two-class Gumbel-softmax at a fed
temperature (optionally straight-through); q(c|y) is Eq. 11 in log space and loss = -ELBO of Eq. 10
with one sample. Inference is deterministic: the data vendor's `compress` thresholds mu at 0.5 into
uint8 bits, the consumer's `classify_bits` assigns clusters from the bits alone.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from . import dist
from . import layers
from . import params as P
from .params import Twin

MODEL = "vab"
# The training branch's scalar terms, the loss first (the trainer logs each per epoch), and its
# outputs the cross-check records as out__<name> (docs/crosscheck.md).
TERMS = ("loss", "reconstruction", "log_p_z", "log_p_c", "log_q_z", "entropy_c")
TRAINING_OUTPUTS = TERMS + ("logits",)
# A small config for the committed golden fixtures (crosscheck make --tiny): 28x28x1 and K = 10
# with few units and bits.
TINY = dict(encoder_hidden=(16, 8), decoder_hidden=(8, 16), bits=6, clusters=10)
BERNOULLI = "bernoulli"
GAUSSIAN = "gaussian"
MLP = layers.MLP
CONV = layers.CONV
# Floor added to the Gaussian likelihood's softplus variance.
VARIANCE_FLOOR = np.float32(1e-4)
# Bits per pixel as the paper counts them (§3.2: "28/1024 = 0.02734375 BPP"), whatever the image.
PAPER_PIXELS = 1024
# PSNR's floor on the mean squared error (a perfect reconstruction would be +inf dB).
MSE_FLOOR = 1e-10


_require = layers.require


# The Bernoulli mixture's variables (fitted by EM instead of trained with the uniform prior).
MIXTURE = ("pc_logits", "pz_logits")


@dataclasses.dataclass(frozen=True)
class VabConfig(layers.ImageShape, dist.Augmentable):
    """Settings (VabConfig.java); the defaults are docs/models.md's MNIST settings. The seed is
    mandatory. `bits` is d, the code length (the contract's latent_dim)."""

    BASE_TERMS = TERMS

    seed: int
    input_shape: tuple = (28, 28, 1)
    clusters: int = 10
    bits: int = 28
    encoder_hidden: tuple = (512, 256)
    decoder_hidden: tuple = (256, 512)
    likelihood: str = BERNOULLI
    temperature_start: float = 1.0
    temperature_min: float = 0.5
    temperature_anneal_epochs: int = 100
    straight_through: bool = False
    # The public code's variant (VabConfig.java's uniformPrior): a uniform Bernoulli(1/2) prior in
    # the loss; Java fits the mixture by EM after each epoch.
    uniform_prior: bool = False
    learning_rate: float = 1e-3
    learning_rate_decay: float = 0.9
    learning_rate_decay_epochs: int = 10
    learning_rate_floor: float = 2e-4
    adam_epsilon: float = 1e-8
    # Ours, not the paper's: the learning rate rises linearly over the first steps (VabConfig.java's
    # WARMUP_STEPS explains why: without it d = 8 collapses to one code for good).
    warmup_steps: int = 600
    batch_size: int = 100
    epochs: int = 100
    # "mlp" (the paper's dense nets) or "conv" (layers.CompactConv's convolutions before
    # encoder_hidden and after decoder_hidden; issue 20's backbones, not in the paper).
    backbone: str = MLP
    # The augmentation loss (Java's aug, augmentation; dist.AUG_*): none or w2, the Bernoulli
    # analogue (dist.augmentation_loss_bernoulli), x^ made by the trainer with `augmentation`.
    aug: str = dist.AUG_NONE
    augmentation: str = "none"

    def __post_init__(self):
        for f in ("input_shape", "encoder_hidden", "decoder_hidden"):
            object.__setattr__(self, f, tuple(int(d) for d in getattr(self, f)))
        object.__setattr__(self, "straight_through", bool(self.straight_through))
        object.__setattr__(self, "uniform_prior", bool(self.uniform_prior))
        s = self.input_shape
        _require(len(s) == 3 and all(d > 0 for d in s), "input_shape must be [H, W, C], positive")
        _require(self.clusters >= 2, "clusters must be at least 2")
        _require(self.bits >= 1, "bits must be positive")
        _require(len(self.encoder_hidden) >= 1 and len(self.decoder_hidden) >= 1,
                 "encoder_hidden and decoder_hidden need at least one size")
        _require(all(d > 0 for d in self.encoder_hidden + self.decoder_hidden),
                 "hidden sizes must be positive")
        _require(self.likelihood in (BERNOULLI, GAUSSIAN),
                 f"likelihood must be bernoulli or gaussian, not {self.likelihood}")
        _require(0 < self.temperature_min <= self.temperature_start
                 and math.isfinite(self.temperature_start),
                 "need 0 < temperature_min <= temperature_start")
        _require(self.temperature_anneal_epochs >= 1, "temperature_anneal_epochs must be positive")
        _require(self.learning_rate > 0 and self.learning_rate_floor > 0
                 and math.isfinite(self.learning_rate), "learning rates must be positive")
        _require(0 < self.learning_rate_decay <= 1, "learning_rate_decay must be in (0, 1]")
        _require(self.learning_rate_decay_epochs >= 1, "learning_rate_decay_epochs must be >= 1")
        _require(self.adam_epsilon > 0, "adam_epsilon must be positive")
        _require(self.warmup_steps >= 0, "warmup_steps must be at least 0")
        _require(self.batch_size >= 1 and self.epochs >= 1,
                 "batch_size and epochs must be positive")
        why = layers.backbone_unsupported(self.backbone, self.input_shape)
        _require(why is None, why)
        self.check_aug()
        _require(not (self.uniform_prior and self.aug == dist.AUG_W2),
                 "the augmentation loss needs the mixture prior, not uniformPrior")

    @property
    def conv(self):
        """Whether the encoder and decoder are the compact conv nets (layers.compact_conv_*)."""
        return self.backbone == CONV

    @staticmethod
    def mnist(seed):
        return VabConfig(seed=seed)

    @property
    def latent_dim(self):
        """The contract's latent size: the d code bits."""
        return self.bits

    @property
    def bits_per_pixel(self):
        """d / (H W C)."""
        return self.bits / self.input_dim

    @property
    def paper_bits_per_pixel(self):
        """d / 1024, as the paper reports BPP for MNIST."""
        return self.bits / PAPER_PIXELS

    # Both schedules compute as Java's float record does: the config's values rounded to float32
    # (Java's float components), the formula in double, the result rounded to float32.

    def temperature(self, epoch):
        """tau(e) = max(tau_min, tau_0 exp(-e ln(tau_0/tau_min) / E_anneal)), e from 0."""
        start, floor = np.float32(self.temperature_start), np.float32(self.temperature_min)
        rate = math.log(float(start / floor)) / self.temperature_anneal_epochs  # float division
        return float(np.float32(max(float(floor), float(start) * math.exp(-rate * epoch))))

    def learning_rate_at(self, epoch):
        """lr(e) = max(floor, lr * decay^floor(e / decay_epochs)), e from 0."""
        steps = epoch // self.learning_rate_decay_epochs
        lr = float(np.float32(self.learning_rate)) \
            * math.pow(float(np.float32(self.learning_rate_decay)), steps)
        return float(np.float32(max(float(np.float32(self.learning_rate_floor)), lr)))

    def learning_rate_at_step(self, epoch, t):
        """lr(e) * min(1, t / warmup_steps) for step t (from 1); lr(e) when warmup_steps is 0."""
        warm = min(1.0, t / self.warmup_steps) if self.warmup_steps > 0 else 1.0
        return float(np.float32(self.learning_rate_at(epoch) * warm))

    @staticmethod
    def from_json(j):
        """The inverse of `to_json`."""
        return VabConfig(
            seed=int(j["seed"]), input_shape=tuple(j["inputShape"]), clusters=int(j["clusters"]),
            bits=int(j["bits"]), encoder_hidden=tuple(j["encoderHidden"]),
            decoder_hidden=tuple(j["decoderHidden"]), likelihood=str(j["likelihood"]),
            temperature_start=float(j["temperatureStart"]),
            temperature_min=float(j["temperatureMin"]),
            temperature_anneal_epochs=int(j["temperatureAnnealEpochs"]),
            straight_through=bool(j["straightThrough"]),
            uniform_prior=bool(j.get("uniformPrior", False)),
            learning_rate=float(j["learningRate"]),
            learning_rate_decay=float(j["learningRateDecay"]),
            learning_rate_decay_epochs=int(j["learningRateDecayEpochs"]),
            learning_rate_floor=float(j["learningRateFloor"]),
            adam_epsilon=float(j["adamEpsilon"]),
            # Runs written before the warm-up existed have none.
            warmup_steps=int(j.get("warmupSteps", 0)), batch_size=int(j["batchSize"]),
            epochs=int(j["epochs"]), backbone=j.get("backbone") or MLP,
            **dist.Augmentable.aug_from_json(j))

    def to_json(self):
        """Every key of Java's VabConfig record, camelCase, in Gson's (component) order."""
        return {
            "inputShape": list(self.input_shape),
            "clusters": self.clusters,
            "bits": self.bits,
            "encoderHidden": list(self.encoder_hidden),
            "decoderHidden": list(self.decoder_hidden),
            "likelihood": self.likelihood,
            "temperatureStart": self.temperature_start,
            "temperatureMin": self.temperature_min,
            "temperatureAnnealEpochs": self.temperature_anneal_epochs,
            "straightThrough": self.straight_through,
            "uniformPrior": self.uniform_prior,
            "learningRate": self.learning_rate,
            "learningRateDecay": self.learning_rate_decay,
            "learningRateDecayEpochs": self.learning_rate_decay_epochs,
            "learningRateFloor": self.learning_rate_floor,
            "adamEpsilon": self.adam_epsilon,
            "warmupSteps": self.warmup_steps,
            "batchSize": self.batch_size,
            "epochs": self.epochs,
            "seed": self.seed,
            "backbone": self.backbone,
            **self.aug_json(),
        }



def psnr(x, x_hat):
    """Mean over images of 10 log10(1 / MSE(x, x_hat)) on [0, 1] images [N, ...], the MSE of each
    image floored at MSE_FLOOR (docs/models.md, Metrics)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    x_hat = np.asarray(x_hat, np.float64).reshape(len(x_hat), -1)
    mse = np.maximum(np.mean((x - x_hat) ** 2, axis=1), MSE_FLOOR)
    return float(np.mean(10.0 * np.log10(1.0 / mse)))


class Vab(Twin):
    """The model's variables (in `params`) and its branches as methods of tensors."""

    model_name = MODEL
    # prior(c) is mu_{z|c} alone: a Bernoulli has no standard deviation to export.
    prior_has_stddev = False

    def _create_variables(self):
        """Every variable, in docs/models.md's order (the checkpoint's and Adam's)."""
        c = self.config
        get = self.params.get

        def dense(name, n_in, n_out):
            get(name + "_kernel", (n_in, n_out), P.GLOROT_UNIFORM, True)
            get(name + "_bias", (n_out,), P.ZEROS, True)

        if c.conv:
            layers.compact_conv_encoder_variables(self.params, "qz", c.input_shape)
        sizes = (layers.compact_conv_feature_dim(c.input_shape) if c.conv else c.input_dim,) \
            + c.encoder_hidden
        for i in range(len(c.encoder_hidden)):
            dense("qz_%d" % (i + 1), sizes[i], sizes[i + 1])
        dense("qz_logits", sizes[-1], c.bits)
        sizes = (c.bits,) + c.decoder_hidden
        for i in range(len(c.decoder_hidden)):
            dense("px_%d" % (i + 1), sizes[i], sizes[i + 1])
        outputs = ("px_mean", "px_var") if c.likelihood == GAUSSIAN else ("px_logits",)
        if c.conv:
            layers.compact_conv_decoder_variables(self.params, "px", sizes[-1], c.input_shape,
                                                  outputs)
        else:
            for name in outputs:
                dense(name, sizes[-1], c.input_dim)
        get("pc_logits", (c.clusters,), P.ZEROS, True)
        # Random, not zero: identical components would receive identical gradients forever.
        get("pz_logits", (c.clusters, c.bits), P.GLOROT_UNIFORM, True)

    # ---- branches -------------------------------------------------------------------------------

    def training(self, x, temperature, noise_seed, x_aug=None, aug_weight=None):
        """-ELBO (Eq. 10, one sample) on x [B, H, W, C]: loss = reconstruction - log_p_z - log_p_c
        + log_q_z - entropy_c, each term a mean over the batch; also `logits` l [B, d] of q(z|x)
        and `y` [B, d], the relaxed (or straight-through) code the terms were computed at.

        Noise: uniforms u [B, d, 2] from stateless_uniform(seed = [s, 2t]) for noise_seed [s, t].
        With `aug` = w2: + aug_weight (aug_l2 + aug_w2) at the code probabilities mu of x and of
        x_aug (Vab.java's augmentation)."""
        flat = self.config.flatten(x)
        logits = self.q_z_given_x(flat)
        temperature = tf.convert_to_tensor(temperature, tf.float32)
        y = dist.binary_gumbel_softmax_sample(logits, temperature,
                                              self.noise(tf.shape(flat)[0], noise_seed))
        if self.config.straight_through:
            y = dist.straight_through(y)
        rec = self.reconstruction(self.p_x_given_z(y), flat)                   # [B]
        if self.config.uniform_prior:
            return self._uniform_prior_loss(rec, logits, y)
        log_p_z_c = self.log_p_z_given_c(y)                                    # [B, K]
        log_pi = self.log_pi()                                                 # [K]
        log_q_c = self.log_q_c_given_z(y)                                      # [B, K]
        q_c = tf.math.exp(log_q_c)
        log_p_z = tf.reduce_sum(q_c * log_p_z_c, axis=1)
        log_p_c = tf.reduce_sum(q_c * log_pi, axis=1)
        log_q_z = dist.bernoulli_log_prob(y, logits)
        entropy_c = -tf.reduce_sum(q_c * log_q_c, axis=1)
        terms = {"reconstruction": rec, "log_p_z": log_p_z, "log_p_c": log_p_c,
                 "log_q_z": log_q_z, "entropy_c": entropy_c}
        out = {k: tf.reduce_mean(v, axis=0) for k, v in terms.items()}
        out["loss"] = (((out["reconstruction"] - out["log_p_z"]) - out["log_p_c"])
                       + out["log_q_z"]) - out["entropy_c"]
        if self.config.augmented:
            mu = tf.math.sigmoid(logits)
            mu_aug = tf.math.sigmoid(self.q_z_given_x(self.config.flatten(
                tf.convert_to_tensor(x_aug, tf.float32))))
            l2, w2 = dist.augmentation_loss_bernoulli(self.classify_bits(mu)["probs"], mu,
                                                      self.classify_bits(mu_aug)["probs"], mu_aug)
            out["loss"] = out["loss"] + tf.convert_to_tensor(aug_weight, tf.float32) * (l2 + w2)
            out.update(zip(dist.AUG_TERMS, (l2, w2)))
        out["logits"] = logits
        out["y"] = y
        return out

    def _uniform_prior_loss(self, rec, logits, y):
        """The public code's -ELBO with a uniform prior Bernoulli(1/2)^d: reconstruction + the KL
        in closed form; log_q_z = E_q log q(z|x), log_p_z = -d log 2, log_p_c = entropy_c = 0."""
        mu = tf.math.sigmoid(logits)
        neg_entropy = dist.bernoulli_log_prob(mu, logits)
        out = {"reconstruction": tf.reduce_mean(rec, axis=0),
               "log_q_z": tf.reduce_mean(neg_entropy, axis=0),
               "log_p_z": tf.constant(np.float32(-self.config.bits * math.log(2))),
               "log_p_c": tf.constant(np.float32(0)), "entropy_c": tf.constant(np.float32(0))}
        out["loss"] = (out["reconstruction"] - out["log_p_z"]) + out["log_q_z"]
        out["logits"] = logits
        out["y"] = y
        return out

    @property
    def trainable_names(self):
        """The variables Adam trains: with the uniform prior, all but the mixture's."""
        names = list(self.params.trainable_names)
        return [n for n in names if not (self.config.uniform_prior and n in MIXTURE)]

    @property
    def trainable(self):
        return [self.params.all[n] for n in self.trainable_names]

    def noise(self, batch, noise_seed):
        """Gumbel uniforms [B, d, 2] from stateless_uniform(seed = [s, 2t]); index 0 of the last
        axis belongs to the class z_j = 1, index 1 to z_j = 0."""
        noise_seed = tf.convert_to_tensor(noise_seed, tf.int64)
        gumbel_seed = noise_seed * tf.constant([1, 2], tf.int64)
        batch = tf.reshape(tf.cast(batch, tf.int32), [1])
        shape = tf.concat([batch, tf.constant([self.config.bits, 2], tf.int32)], 0)
        return tf.random.stateless_uniform(shape, seed=gumbel_seed, dtype=tf.float32)

    def inference(self, x):
        """probs, cluster (int64) = classify_bits(compress(x)); z = mu = sigmoid(l), the code
        probabilities; x_hat = the decoder's mean at the bits (what the consumer rebuilds)."""
        flat = self.config.flatten(x)
        logits = self.q_z_given_x(flat)
        bits = self._bits(logits)
        out = self.classify_bits(bits)
        return {"probs": out["probs"], "cluster": out["cluster"],
                "z": tf.math.sigmoid(logits),
                "x_hat": self._mean(self.p_x_given_z(tf.cast(bits, tf.float32)))}

    def compress(self, x):
        """The data vendor: bits b_j = 1 where mu_j > 0.5, i.e. l_j > 0 (tested on the logits, so
        that |l| below sigmoid's float resolution is not rounded to mu = 0.5), uint8 [B, d]."""
        return self._bits(self.q_z_given_x(self.config.flatten(x)))

    def classify_bits(self, bits):
        """The data consumer: q(c|b) = softmax_c(log pi_c + log p(b|c)) -> probs [B, K] and
        cluster = argmax_c of the same scores (int64), from bits [B, d] (uint8, or any 0/1)."""
        scores = self.log_pi() + self.log_p_z_given_c(tf.cast(bits, tf.float32))
        return {"probs": tf.nn.softmax(scores),
                "cluster": tf.math.argmax(scores, axis=1, output_type=tf.int64)}

    def decode(self, z, cluster):
        """The decoder's mean at z [B, d] as images; p(x|z, c) = p(x|z) (Eq. 5), so the cluster is
        accepted and unused."""
        del cluster
        return self._mean(self.p_x_given_z(tf.convert_to_tensor(z, tf.float32)))

    def prior(self, cluster):
        """mu_{z|c} = sigmoid(pz_logits[c]) [B, d] for clusters [B] (the mean only)."""
        return tf.math.sigmoid(tf.gather(self.params.all["pz_logits"], cluster))

    # ---- pieces ---------------------------------------------------------------------------------

    def q_z_given_x(self, flat):
        """The encoder's logits l [B, d]: q(z_j = 1|x) = sigmoid(l_j)."""
        c = self.config
        rows, width = layers.backbone_encode(self.params, c.backbone, "qz", flat, c.input_shape,
                                             tf.nn.relu)
        return self._dense("qz_logits",
                           layers.mlp("qz", rows, width, c.encoder_hidden,
                                      layers.relu_of(self._dense)))

    def p_x_given_z(self, z):
        """p(x|z) for codes z [N, d] (relaxed, hard or any real values): {"mean_or_logits":
        [N, D], "variance": the Gaussian variance [N, D] or None (Bernoulli)}."""
        c = self.config
        h = layers.mlp("px", z, None, c.decoder_hidden, layers.relu_of(self._dense))
        output = layers.backbone_decode(self.params, c.backbone, "px", h,
                                        (c.decoder_hidden or (c.bits,))[-1], c.input_shape,
                                        tf.nn.relu)
        if c.likelihood == GAUSSIAN:
            variance = tf.math.softplus(output("px_var")) + VARIANCE_FLOOR
            return {"mean_or_logits": output("px_mean"), "variance": variance}
        return {"mean_or_logits": output("px_logits"), "variance": None}

    def reconstruction(self, decoded, flat):
        """-log p(x|z) [B]: Bernoulli sum [softplus(l) - x l], Gaussian 1/2 sum [log 2pi + log v +
        (x - m)^2 / v]."""
        if decoded["variance"] is None:
            return dist.bernoulli_cross_entropy(decoded["mean_or_logits"], flat)
        return dist.gaussian_negative_log_likelihood(flat, decoded["mean_or_logits"],
                                                     decoded["variance"], [1])

    def log_pi(self):
        """log pi = log_softmax(pc_logits) [K]."""
        return tf.nn.log_softmax(self.params.all["pc_logits"])

    def log_p_z_given_c(self, y):
        """log p(y|c) = sum_j [y_j log mu_cj + (1 - y_j) log(1 - mu_cj)] [B, K] for codes y [B, d]
        (relaxed or bits), mu_{z|c} = sigmoid(pz_logits), log mu = -softplus(-pz_logits), log(1 -
        mu) = -softplus(pz_logits); the sums over j as two matmuls, y.(log mu)^T + (1 - y).(log(1 -
        mu))^T, as Java's graph computes them."""
        logits = self.params.all["pz_logits"]
        log_mu = dist.bernoulli_log_mean(logits)
        log_one_minus_mu = dist.bernoulli_log_one_minus_mean(logits)
        return (tf.linalg.matmul(y, log_mu, transpose_b=True)
                + tf.linalg.matmul(1.0 - y, log_one_minus_mu, transpose_b=True))

    def log_q_c_given_z(self, y):
        """log q(c|y) = log_softmax_c(log pi_c + log p(y|c)) [B, K] (Eq. 11 in log space)."""
        return tf.nn.log_softmax(self.log_pi() + self.log_p_z_given_c(y), axis=1)

    # ---- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _bits(logits):
        return tf.cast(tf.math.greater(logits, 0.0), tf.uint8)

    def _mean(self, decoded):
        """The decoder's mean as images: sigmoid of the Bernoulli logits, or the Gaussian mean."""
        if decoded["variance"] is None:
            return self.config.to_image(tf.math.sigmoid(decoded["mean_or_logits"]))
        return self.config.to_image(decoded["mean_or_logits"])

    def _dense(self, name, x):
        kernel = self.params.all[name + "_kernel"]
        return layers.dense(self.params, name, x, kernel.shape[0], kernel.shape[1])
