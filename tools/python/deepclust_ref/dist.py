"""Distributions and closed forms (mirror graphs/.../dist/*.java)."""

import math

import numpy as np
import tensorflow as tf

GUMBEL_TINY = np.float32(1e-20)


def bernoulli_cross_entropy(logits, x, axis=-1):
    """sum over `axis` of softplus(l) - x l = -log p(x|l) of a Bernoulli with logits l
    (Bernoulli.crossEntropyFromLogits): rows [B, D] -> [B] and [K, B, D] -> [K, B] over the last
    axis, images over axis [1, 2, 3]."""
    return tf.reduce_sum(tf.math.softplus(logits) - x * logits, axis=axis)


def categorical_kl_to_uniform(logits, k):
    """KL(softmax(l) || U(K)) = sum_k q_k log q_k + log K per row, log q by log-softmax."""
    log_q = tf.nn.log_softmax(logits)
    q = tf.math.exp(log_q)
    return tf.reduce_sum(q * log_q, axis=1) + np.float32(math.log(k))


def gaussian_kl_to_standard_normal(mean, log_var):
    """KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (sigma^2 + mu^2 - 1 - log sigma^2) over the
    last axis ([B, Z] -> [B], [K, B, Z] -> [K, B])."""
    terms = (tf.math.exp(log_var) + tf.math.square(mean)) - (1.0 + log_var)
    return 0.5 * tf.reduce_sum(terms, axis=-1)


def gaussian_sample(mean, log_var, standard_noise):
    """z = mu + exp(log_var / 2) * stop_gradient(eps)."""
    sigma = tf.math.exp(0.5 * log_var)
    return mean + sigma * tf.stop_gradient(standard_noise)


def gumbel_noise(uniform):
    """Gumbel(0, 1) noise -log(-log(u + tiny) + tiny), under stop_gradient."""
    inner = -tf.math.log(uniform + GUMBEL_TINY)
    return tf.stop_gradient(-tf.math.log(inner + GUMBEL_TINY))


def gumbel_softmax_sample(logits, temperature, uniform):
    """A relaxed one-hot sample softmax((l + g) / tau) [B, K] (Jang et al. 2017, Eq. 1)."""
    return tf.nn.softmax((logits + gumbel_noise(uniform)) / temperature)


LOG_2PI = np.float32(math.log(2.0 * math.pi))


def diagonal_gaussian_log_density(z, mean, log_var):
    """log N(z; mu, diag exp(log_var)) = -1/2 sum_j [log 2pi + log_var_j + (z_j - mu_j)^2 /
    exp(log_var_j)], summed over the last axis (broadcasting z against mean)."""
    terms = (tf.math.square(z - mean) / tf.math.exp(log_var) + log_var) + LOG_2PI
    return -0.5 * tf.reduce_sum(terms, axis=-1)


def diagonal_gaussian_entropy(log_var):
    """H[N(mu, diag exp(log_var))] = 1/2 sum_j (log 2pi + 1 + log_var_j) over the last axis."""
    return 0.5 * tf.reduce_sum((LOG_2PI + 1.0) + log_var, axis=-1)


def diagonal_gaussian_kl(mean, sd, other_mean, other_sd):
    """KL(N(mu, diag sd^2) || N(mu', diag sd'^2)) = sum_j [log sd' - log sd + (sd^2 + (mu - mu')^2)
    / (2 sd'^2) - 1/2] over the last axis, broadcasting the two (Eq. 13's z term of
    variational-clustering-w2; DiagonalGaussian.kl)."""
    ratio = (tf.math.square(sd) + tf.math.squared_difference(mean, other_mean)) \
        / (np.float32(2) * tf.math.square(other_sd))
    terms = ((tf.math.log(other_sd) - tf.math.log(sd)) + ratio) - np.float32(0.5)
    return tf.reduce_sum(terms, axis=-1)


def wasserstein2_diagonal(mean, sd, other_mean, other_sd):
    """The 2-Wasserstein distance between diagonal Gaussians as Eq. 17 of variational-clustering-w2
    writes it, |mu - mu'|^2 + |sd - sd'|^2 over the last axis (the squared W2 distance)."""
    return tf.reduce_sum(tf.math.squared_difference(mean, other_mean)
                         + tf.math.squared_difference(sd, other_sd), axis=-1)


# A config's `aug` (AugmentationLoss.java): none, or w2 (Eq. 14 + Eq. 17), with VC's lambda_aug
# schedule [v0, e1, v1, ...] and the per-dataset transforms.
AUG_NONE = "none"
AUG_W2 = "w2"
AUG_TRANSFORMS = ("none", "rotation", "brightness_binarise", "affine_flip")
AUG_WEIGHT = (0.01, 40.0, 0.5, 80.0, 1.0)
# The training terms the augmentation loss adds, in every model that has it.
AUG_TERMS = ("aug_l2", "aug_w2")


def aug_unsupported(aug, transform):
    """Why a config's `aug` and `augmentation` are wrong, or None (AugmentationLoss.unsupported)."""
    if aug not in (AUG_NONE, AUG_W2):
        return f"aug must be none or w2, not {aug}"
    if transform not in AUG_TRANSFORMS:
        return f"augmentation must be one of {list(AUG_TRANSFORMS)}, not {transform}"
    return None


class Augmentable:
    """What a config with the fields `aug` and `augmentation` gives (AugmentationLoss.java):
    whether its loss has the augmentation term, its training terms (the class's BASE_TERMS, +
    AUG_TERMS), and the two keys' check and JSON (a config written before them reads none)."""

    BASE_TERMS = ()

    @property
    def augmented(self):
        """Whether the loss has the augmentation term (aug = w2)."""
        return self.aug == AUG_W2

    @property
    def terms(self):
        """The training branch's scalar terms, the loss first."""
        return self.BASE_TERMS + (AUG_TERMS if self.augmented else ())

    def check_aug(self):
        why = aug_unsupported(self.aug, self.augmentation)
        if why is not None:
            raise ValueError(why)

    def aug_json(self):
        return {"aug": self.aug, "augmentation": self.augmentation}

    @staticmethod
    def aug_from_json(j):
        return {"aug": j.get("aug") or AUG_NONE, "augmentation": j.get("augmentation") or "none"}


def aug_weight_at(epoch):
    """lambda_aug at `epoch` of AUG_WEIGHT, in float32 as Java (AugmentationLoss.weightAt)."""
    v = AUG_WEIGHT[0]
    for i in range(1, len(AUG_WEIGHT) - 1, 2):
        if epoch >= AUG_WEIGHT[i]:
            v = AUG_WEIGHT[i + 1]
    return float(np.float32(v))


def augmentation_loss_single(probs, mean, sd, probs_aug, mean_aug, sd_aug):
    """(l2, w2) for one Gaussian posterior per image (AugmentationLoss.single): batch means of
    sum_k (q(k|x) - q(k|x^))^2 and of W2(q(z|x), q(z|x^)), posteriors [B, K] and (mean, sd)
    [B, Z]."""
    l2 = tf.reduce_mean(tf.reduce_sum(tf.math.squared_difference(probs, probs_aug), axis=1),
                        axis=0)
    return l2, tf.reduce_mean(wasserstein2_diagonal(mean, sd, mean_aug, sd_aug), axis=0)


def augmentation_loss_bernoulli(probs, mu, probs_aug, mu_aug):
    """(l2, w2) for binary codes (AugmentationLoss.bernoulli): l2 as above, w2 = batch mean of
    sum_j |mu_j - mu^_j|, the squared 2-Wasserstein distance between factorised Bernoulli codes,
    code probabilities [B, d]."""
    l2 = tf.reduce_mean(tf.reduce_sum(tf.math.squared_difference(probs, probs_aug), axis=1),
                        axis=0)
    return l2, tf.reduce_mean(tf.reduce_sum(tf.math.abs(mu - mu_aug), axis=1), axis=0)


def augmentation_loss_per_cluster(probs, mean, sd, probs_aug, mean_aug, sd_aug):
    """Eq. 14 of variational-clustering-w2 with Eq. 17's W2 (AugmentationLoss.java): (l2, w2), batch
    means of sum_k (q(k|x) - q(k|x^))^2 and sum_k q(k|x) W2(q(z|x, k), q(z|x^, k)), for cluster
    posteriors [B, K] and per-cluster Gaussian posteriors (mean, sd) [B, K, Z]."""
    l2 = tf.reduce_mean(tf.reduce_sum(tf.math.squared_difference(probs, probs_aug), axis=1),
                        axis=0)
    w2 = wasserstein2_diagonal(mean, sd, mean_aug, sd_aug)                          # [B, K]
    return l2, tf.reduce_mean(tf.reduce_sum(probs * w2, axis=1), axis=0)


def gaussian_negative_log_likelihood(x, mean, variance, axis):
    """-log N(x; m, diag v) = 1/2 sum over `axis` of [log 2pi + log v + (x - m)^2 / v] (images:
    axis [1, 2, 3])."""
    sq = tf.math.squared_difference(x, mean) / variance
    return tf.reduce_sum(np.float32(0.5) * ((tf.math.log(variance) + sq) + LOG_2PI), axis=axis)


def binary_gumbel_softmax_sample(logits, temperature, uniform):
    """A relaxed Bernoulli sample per entry of `logits` l [..., d]: the two-class Gumbel-softmax
    (§2.3 of vab-bernoulli-mixture-vae with classes {1, 0} of probabilities mu = sigmoid(l) and
    1 - mu), softmax(((log mu + g_1), (log(1 - mu) + g_0)) / tau)_1 = sigmoid((l + g_1 - g_0) / tau),
    since log mu - log(1 - mu) = l. `uniform` [..., d, 2]: index 0 of its last axis draws the noise
    of class 1 (g_1), index 1 that of class 0 (g_0)."""
    g = gumbel_noise(uniform)
    return tf.math.sigmoid((logits + (g[..., 0] - g[..., 1])) / temperature)


def straight_through(y, hard=None):
    """`hard` forward, the gradient of y backward: y + stop_gradient(hard - y) (GumbelSoftmax.java).
    `hard` defaults to round(y): for relaxed bits y in [0, 1] the forward value is exactly 0 or 1
    (both differences are exact in float)."""
    return y + tf.stop_gradient((tf.math.round(y) if hard is None else hard) - y)


def straight_through_one_hot(y, k):
    """straight_through to the one-hot of each row's argmax (a relaxed category [B, K])."""
    return straight_through(y, tf.one_hot(tf.math.argmax(y, axis=1), k, dtype=tf.float32))


def bernoulli_log_prob(y, logits):
    """log Bernoulli(y; mu = sigmoid(l)) = sum_j [y_j log mu_j + (1 - y_j) log(1 - mu_j)] over the
    last axis, with log mu = -softplus(-l) and log(1 - mu) = -softplus(l); y may be relaxed (any
    value in [0, 1]) and broadcasts against l ([B, 1, d] against [K, d] gives [B, K])."""
    return tf.reduce_sum(y * bernoulli_log_mean(logits)
                         + (1.0 - y) * bernoulli_log_one_minus_mean(logits), axis=-1)


def bernoulli_log_mean(logits):
    """log mu = -softplus(-l), elementwise (Bernoulli.logMean)."""
    return -tf.math.softplus(-logits)


def bernoulli_log_one_minus_mean(logits):
    """log(1 - mu) = -softplus(l), elementwise (Bernoulli.logOneMinusMean)."""
    return -tf.math.softplus(logits)
