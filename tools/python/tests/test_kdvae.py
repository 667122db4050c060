"""k-DVAE: batched variables (names, shapes, Glorot from the last two dims), the score of Eq. 6 and
the hard clustering of Eq. 8 against a per-pair numpy float64 forward pass, gradients that reach only
the best pair, pair pretraining, decode and prior."""

import dataclasses
import math
import unittest

import _common  # noqa: F401  (import path, TF logging)
import numpy as np
import tensorflow as tf

from deepclust_ref import params as P
from deepclust_ref.kdvae import Kdvae, KdvaeConfig

K, Z = 3, 4


def small_config(seed=3):
    return KdvaeConfig(seed=seed, input_shape=(4, 4, 1), clusters=K, latent_dim=Z,
                       encoder_hidden=(8, 6), decoder_hidden=(6, 8))


def expected_names():
    layers = ["qz_1", "qz_2", "qz_mean", "qz_logvar", "px_1", "px_2", "px_logits"]
    return [n + s for n in layers for s in ("_kernel", "_bias")]


def randomised(seed=3, rng_seed=0):
    model = Kdvae(small_config(seed))
    rng = np.random.default_rng(rng_seed)
    for n, v in model.params.all.items():
        if n.endswith("_bias"):
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    return model


def np_pair(w, i):
    """Pair i's weights as plain 2-D numpy float64 arrays."""
    return {n: (v[i, 0] if n.endswith("_bias") else v[i]).astype(np.float64)
            for n, v in w.items()}


def np_encode(w, flat):
    h = flat
    for n in ("qz_1", "qz_2"):
        h = np.maximum(h @ w[n + "_kernel"] + w[n + "_bias"], 0.0)
    return h @ w["qz_mean_kernel"] + w["qz_mean_bias"], \
        h @ w["qz_logvar_kernel"] + w["qz_logvar_bias"]


def np_decode(w, z):
    h = z
    for n in ("px_1", "px_2"):
        h = np.maximum(h @ w[n + "_kernel"] + w[n + "_bias"], 0.0)
    return h @ w["px_logits_kernel"] + w["px_logits_bias"]


def np_rec(logits, flat):
    return (np.logaddexp(0, logits) - flat * logits).sum(1)


class ConfigTest(unittest.TestCase):
    def test_mnist_defaults_are_the_docs(self):
        c = KdvaeConfig.mnist(1)
        self.assertEqual((c.input_shape, c.clusters, c.latent_dim, c.encoder_hidden,
                          c.decoder_hidden, c.learning_rate, c.adam_epsilon, c.batch_size),
                         ((28, 28, 1), 10, 10, (500, 100), (100, 500), 1e-3, 1e-7, 100))

    def test_json_round_trip_with_javas_keys(self):
        c = small_config(9)
        j = c.to_json()
        self.assertEqual(set(j), {"inputShape", "clusters", "latentDim", "encoderHidden",
                                  "decoderHidden", "learningRate", "adamEpsilon", "batchSize",
                                  "epochs", "pairPretrainEpochs", "initVadePretraining",
                                  "initVadeGmmStart", "initVadeEpochs", "initialClusters",
                                  "seed", "backbone", "aug", "augmentation"})
        self.assertEqual(KdvaeConfig.from_json(j), c)
        # A config written before the key existed reads as the paper's k-means.
        del j["initialClusters"]
        self.assertEqual(KdvaeConfig.from_json(j).initial_clusters, "kmeans")
        with self.assertRaisesRegex(ValueError, "initial_clusters must be kmeans or vade"):
            dataclasses.replace(c, initial_clusters="gmm")


class VariablesTest(unittest.TestCase):
    def test_names_order_and_batched_shapes_are_the_docs(self):
        m = Kdvae(KdvaeConfig.mnist(1))
        self.assertEqual(list(m.params.all), expected_names())
        self.assertEqual(m.trainable_names, expected_names())
        shapes = {n: tuple(v.shape) for n, v in m.params.all.items()}
        want = {"qz_1": (784, 500), "qz_2": (500, 100), "qz_mean": (100, 10),
                "qz_logvar": (100, 10), "px_1": (10, 100), "px_2": (100, 500),
                "px_logits": (500, 784)}
        for n, (i, o) in want.items():
            self.assertEqual(shapes[n + "_kernel"], (10, i, o), n)
            self.assertEqual(shapes[n + "_bias"], (10, 1, o), n)

    def test_kernels_are_glorot_with_fans_from_the_last_two_dims(self):
        m = Kdvae(small_config(5))
        for i, (n, v) in enumerate(m.params.all.items()):
            if n.endswith("_kernel"):
                _, fan_in, fan_out = v.shape
                u = tf.random.stateless_uniform(v.shape, seed=tf.constant([5, P.name_key(n)], tf.int64))
                limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)))
                np.testing.assert_array_equal(v.numpy(), (u.numpy() * 2 - 1) * limit, n)
            else:
                self.assertFalse(v.numpy().any(), n)

    def test_two_dimensional_glorot_is_unchanged(self):
        p = P.Params(4)
        v = p.get("a", (6, 10), P.GLOROT_UNIFORM, True)
        u = tf.random.stateless_uniform([6, 10], seed=tf.constant([4, P.name_key("a")], tf.int64)).numpy()
        np.testing.assert_array_equal(v.numpy(), (u * 2 - 1) * np.float32(math.sqrt(6 / 16)))


class ScoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = randomised()
        cls.w = cls.model.params.read()
        cls.x = np.random.default_rng(4).uniform(0, 1, (6, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(6, -1).astype(np.float64)
        cls.seed = tf.constant([7, 3], tf.int64)
        cls.out = {k: v.numpy() for k, v in cls.model.training(cls.x, cls.seed).items()}
        cls.eps = cls.model.noise(6, cls.seed).numpy().astype(np.float64)

    def np_scores(self):
        scores = []
        for i in range(K):
            w = np_pair(self.w, i)
            mean, log_var = np_encode(w, self.flat)
            z = mean + np.exp(0.5 * log_var) * self.eps[i]
            kl = 0.5 * (np.exp(log_var) + mean ** 2 - 1 - log_var).sum(1)
            scores.append(-np_rec(np_decode(w, z), self.flat) - kl)
        return np.stack(scores)

    def test_noise_is_stateless_normal_k_b_z_at_s_2t_plus_1(self):
        want = tf.random.stateless_normal([K, 6, Z], seed=tf.constant([7, 7], tf.int64)).numpy()
        np.testing.assert_array_equal(self.eps, want)

    def test_score_is_each_pairs_elbo(self):
        want = self.np_scores()
        self.assertEqual(self.out["score"].shape, (K, 6))
        np.testing.assert_allclose(self.out["score"], want, rtol=1e-5, atol=1e-4)

    def test_loss_is_minus_mean_of_the_max_and_assigned_is_the_argmax(self):
        want = self.np_scores()
        self.assertAlmostEqual(float(self.out["loss"]), -want.max(0).mean(),
                               delta=1e-5 * abs(want).max())
        self.assertEqual(self.out["assigned"].dtype, np.int64)
        np.testing.assert_array_equal(self.out["assigned"], want.argmax(0))

    def test_gradient_reaches_only_the_best_pair_of_a_sample(self):
        for b in range(6):
            x = self.x[b:b + 1]
            with tf.GradientTape() as tape:
                out = self.model.training(x, self.seed)
            best = int(out["assigned"][0])
            grads = tape.gradient(out["loss"], self.model.trainable)
            for n, g in zip(self.model.trainable_names, grads):
                g = g.numpy()
                for i in range(K):
                    if i == best:
                        self.assertGreater(np.abs(g[i]).max(), 0, (b, n, i))
                    else:
                        self.assertFalse(g[i].any(), (b, n, i))

    def test_pair_training_scores_each_block_under_its_own_pair(self):
        # Rows 0-1 are pair 0's block, 2-3 pair 1's, 4-5 pair 2's (K = 3 blocks of 2). Each block
        # alone through `training` draws eps [K, 2, Z] at the same seed, so its own pair's row of
        # that score is what the pair loss must average.
        self.assertEqual(K, 3)
        with tf.GradientTape() as tape:
            out = self.model.pair_training(self.x, self.seed)
        own = [self.model.training(self.x[2 * i:2 * i + 2], self.seed)["score"].numpy()[i]
               for i in range(K)]
        want = -np.mean(own)
        self.assertAlmostEqual(float(out["loss"]), want, delta=1e-6 * abs(want))
        grads = tape.gradient(out["loss"], self.model.trainable)
        for n, g in zip(self.model.trainable_names, grads):
            self.assertTrue(all(g.numpy()[i].any() for i in range(K)), n)

    def test_a_pairs_gradient_comes_from_its_own_block_only(self):
        other = self.x.copy()
        other[2:] = np.random.default_rng(9).uniform(0, 1, other[2:].shape)
        grads = []
        for x in (self.x, other):
            with tf.GradientTape() as tape:
                loss = self.model.pair_training(x, self.seed)["loss"]
            grads.append(tape.gradient(loss, self.model.trainable))
        for n, g, h in zip(self.model.trainable_names, *grads):
            np.testing.assert_array_equal(g.numpy()[0], h.numpy()[0], n)
            self.assertTrue((g.numpy()[1] != h.numpy()[1]).any(), n)


class ConvBackboneTest(unittest.TestCase):
    """K compact conv nets (layers.backbone_*_batched, issue 20): the stacked variables where the
    layers run, and each pair's inference against numpy convolutions (_common.np_stem /
    np_head, test_vc's)."""

    @classmethod
    def setUpClass(cls):
        cls.config = dataclasses.replace(small_config(6), backbone="conv")
        cls.model = Kdvae(cls.config)
        rng = np.random.default_rng(3)
        for n, v in cls.model.params.all.items():
            if n.endswith("_bias"):
                v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
        cls.w = cls.model.params.read()
        cls.x = rng.uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(5, -1).astype(np.float64)

    def pair(self, i):
        """Pair i's weights: slice i of every variable, dense biases [K, 1, n] as [n]."""
        return {n: (v[i, 0] if v.ndim == 3 and n.endswith("_bias") else v[i]).astype(np.float64)
                for n, v in self.w.items()}

    def test_the_stacked_conv_layers_come_first_and_last(self):
        shapes = {n: tuple(v.shape) for n, v in self.model.params.all.items()}
        conv = ["qz_conv1_kernel", "qz_conv1_bias", "qz_conv2_kernel", "qz_conv2_bias"]
        head = ["px_reshape_kernel", "px_reshape_bias", "px_deconv1_kernel", "px_deconv1_bias",
                "px_logits_kernel", "px_logits_bias"]
        self.assertEqual(list(shapes), conv + expected_names()[:-2] + head)
        self.assertEqual((shapes["qz_conv1_kernel"], shapes["qz_conv1_bias"],
                          shapes["qz_1_kernel"]), ((K, 4, 4, 1, 32), (K, 32), (K, 64, 8)))
        self.assertEqual((shapes["px_reshape_kernel"], shapes["px_reshape_bias"],
                          shapes["px_deconv1_kernel"], shapes["px_logits_kernel"]),
                         ((K, 8, 64), (K, 1, 64), (K, 4, 4, 32, 64), (K, 4, 4, 1, 32)))

    def test_each_pairs_scores_and_reconstruction_are_its_conv_nets_in_numpy(self):
        out = {k: v.numpy() for k, v in self.model.inference(self.x).items()}
        s, recons = [], []
        for i in range(K):
            w = self.pair(i)
            mean, log_var = np_encode(w, _common.np_stem(w, self.config, self.flat, prefix="qz"))
            h = mean
            for n in ("px_1", "px_2"):
                h = np.maximum(h @ w[n + "_kernel"] + w[n + "_bias"], 0.0)
            logits = _common.np_head(w, self.config, h, "px_logits")
            s.append(-np_rec(logits, self.flat) - 0.5 * (mean ** 2).sum(1) + 0.5 * log_var.sum(1))
            recons.append(1 / (1 + np.exp(-logits)))
        s = np.stack(s, 1)
        probs = np.exp(s - s.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        np.testing.assert_allclose(out["probs"], probs, rtol=1e-4, atol=1e-5)
        cluster = out["cluster"]
        np.testing.assert_allclose(out["x_hat"].reshape(5, -1),
                                   np.stack(recons, 1)[np.arange(5), cluster], rtol=1e-4,
                                   atol=1e-5)


class AugmentationLossTest(unittest.TestCase):
    """aug = w2 (issue 20): L2 of the Eq. 8 softmaxes of x and x^ + sum_i q(i|x) W2 of pair i's
    Gaussians, against numpy (np_pair, np_encode, np_decode, np_rec)."""

    def test_terms_and_loss_match_numpy(self):
        c = dataclasses.replace(small_config(4), aug="w2", augmentation="rotation")
        m = Kdvae(c)
        rng = np.random.default_rng(9)
        for n, v in m.params.all.items():
            if n.endswith("_bias"):
                v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
        w = m.params.read()
        x = rng.uniform(0, 1, (6, 4, 4, 1)).astype(np.float32)
        x_aug = 1.0 - x
        out = m.training(x, tf.constant([2, 5], tf.int64), x_aug, np.float32(0.5))
        base = m.training(x, tf.constant([2, 5], tf.int64), x_aug, np.float32(0.0))

        def posterior(images):
            flat = images.reshape(len(images), -1).astype(np.float64)
            s, means, sds = [], [], []
            for i in range(K):
                p = np_pair(w, i)
                mean, log_var = np_encode(p, flat)
                s.append(-np_rec(np_decode(p, mean), flat) - 0.5 * (mean ** 2).sum(1)
                         + 0.5 * log_var.sum(1))
                means.append(mean)
                sds.append(np.exp(0.5 * log_var))
            s = np.stack(s, 1)
            q = np.exp(s - s.max(1, keepdims=True))
            return q / q.sum(1, keepdims=True), np.stack(means, 1), np.stack(sds, 1)

        (q, mu, sd), (q_a, mu_a, sd_a) = posterior(x), posterior(x_aug)
        l2 = ((q - q_a) ** 2).sum(1).mean()
        w2 = (q * (((mu - mu_a) ** 2).sum(2) + ((sd - sd_a) ** 2).sum(2))).sum(1).mean()
        np.testing.assert_allclose(out["aug_l2"].numpy(), l2, rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(out["aug_w2"].numpy(), w2, rtol=1e-4)
        np.testing.assert_allclose(out["loss"].numpy(), base["loss"].numpy() + 0.5 * (l2 + w2),
                                   rtol=1e-5)
        self.assertGreater(w2, 1e-3)
        self.assertEqual(c.terms, ("loss", "aug_l2", "aug_w2"))


class InferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = randomised(rng_seed=1)
        cls.w = cls.model.params.read()
        cls.x = np.random.default_rng(8).uniform(0, 1, (7, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(7, -1).astype(np.float64)
        cls.out = {k: v.numpy() for k, v in cls.model.inference(cls.x).items()}

    def test_eq8_scores_clusters_embedding_and_reconstruction(self):
        s, means, recons = [], [], []
        for i in range(K):
            w = np_pair(self.w, i)
            mean, log_var = np_encode(w, self.flat)
            logits = np_decode(w, mean)
            sigma = np.exp(0.5 * log_var)
            s.append(-np_rec(logits, self.flat) - 0.5 * (mean ** 2).sum(1)
                     + np.log(sigma).sum(1))
            means.append(mean)
            recons.append(1 / (1 + np.exp(-logits)))
        s = np.stack(s, 1)                                  # [B, K]
        probs = np.exp(s - s.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        cluster = s.argmax(1)
        rows = np.arange(7)
        np.testing.assert_allclose(self.out["probs"], probs, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(self.out["cluster"], cluster)
        self.assertEqual(self.out["cluster"].dtype, np.int64)
        np.testing.assert_allclose(self.out["z"], np.stack(means, 1)[rows, cluster], rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(self.out["x_hat"],
                                   np.stack(recons, 1)[rows, cluster].reshape(7, 4, 4, 1),
                                   rtol=1e-5, atol=1e-6)

    def test_decode_of_embedding_and_cluster_is_reconstruct(self):
        got = self.model.decode(tf.constant(self.out["z"]),
                                tf.constant(self.out["cluster"], tf.int32)).numpy()
        np.testing.assert_allclose(got, self.out["x_hat"], rtol=1e-6, atol=1e-7)

    def test_decode_uses_decoder_c(self):
        z = np.random.default_rng(2).normal(size=(3, Z)).astype(np.float32)
        got = self.model.decode(tf.constant(z), tf.constant([2, 0, 1], tf.int32)).numpy()
        for b, c in enumerate((2, 0, 1)):
            want = 1 / (1 + np.exp(-np_decode(np_pair(self.w, c), z[b:b + 1].astype(np.float64))))
            np.testing.assert_allclose(got[b].reshape(1, -1), want, rtol=1e-5, atol=1e-6)

    def test_prior_is_standard_normal_for_every_cluster(self):
        mean, sd = self.model.prior(tf.constant([0, 2, 1], tf.int32))
        np.testing.assert_array_equal(mean.numpy(), np.zeros((3, Z), np.float32))
        np.testing.assert_array_equal(sd.numpy(), np.ones((3, Z), np.float32))


if __name__ == "__main__":
    unittest.main()
