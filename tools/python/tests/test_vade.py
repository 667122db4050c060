"""VaDE: variable names/order/init, the ELBO pieces of docs/models.md against independent numpy
float64 computations (direct densities, Gauss-Hermite quadrature), gamma = p(c|z), pretraining,
inference, prior."""

import dataclasses
import math
import unittest

import _common  # noqa: F401  (import path, TF logging)
import numpy as np
import tensorflow as tf

from deepclust_ref import params as P
from deepclust_ref.vade import PAPER_LEARNING_RATE, GmmStart, Pretraining, Vade, VadeConfig

LOG_2PI = math.log(2 * math.pi)


def small_config(seed=3):
    return VadeConfig(seed=seed, input_shape=(4, 4, 1), clusters=3, latent_dim=4,
                      encoder_hidden=(8, 8, 12), decoder_hidden=(12, 8, 8))


def expected_names(n_enc=3, n_dec=3):
    def dense(n):
        return [n + "_kernel", n + "_bias"]

    names = []
    for i in range(n_enc):
        names += dense("qz_%d" % (i + 1))
    names += dense("qz_mean") + dense("qz_logvar")
    for i in range(n_dec):
        names += dense("px_%d" % (i + 1))
    return names + dense("px_logits") + ["pc_logits", "pz_mean", "pz_logvar"]


def randomised(seed=3, rng_seed=0):
    """A small model with non-zero biases and a non-trivial prior."""
    model = Vade(small_config(seed))
    rng = np.random.default_rng(rng_seed)
    for n, v in model.params.all.items():
        if n.endswith("_bias"):
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    logits = rng.normal(size=3)
    pi = np.exp(logits) / np.exp(logits).sum()
    model.set_prior(pi, rng.normal(size=(3, 4)), np.exp(rng.normal(0, 0.3, (3, 4))))
    return model


def np_encode(w, flat):
    h = flat
    for i in (1, 2, 3):
        h = np.maximum(h @ w["qz_%d_kernel" % i] + w["qz_%d_bias" % i], 0.0)
    return h @ w["qz_mean_kernel"] + w["qz_mean_bias"], \
        h @ w["qz_logvar_kernel"] + w["qz_logvar_bias"]


def np_decode(w, z):
    h = z
    for i in (1, 2, 3):
        h = np.maximum(h @ w["px_%d_kernel" % i] + w["px_%d_bias" % i], 0.0)
    return h @ w["px_logits_kernel"] + w["px_logits_bias"]


def np_normal_pdf(z, mean, var):
    return np.exp(-(z - mean) ** 2 / (2 * var)) / np.sqrt(2 * math.pi * var)


def np_gamma_direct(w, z):
    """p(c|z) = pi_c N(z; mu_c, sigma_c^2) / sum_c' ..., from densities (not logs) [B, K]."""
    pi = np.exp(w["pc_logits"]) / np.exp(w["pc_logits"]).sum()
    var = np.exp(w["pz_logvar"])
    dens = np.prod(np_normal_pdf(z[:, None, :], w["pz_mean"][None], var[None]), axis=2)
    joint = pi[None] * dens
    return joint / joint.sum(axis=1, keepdims=True), dens


def np_expected_log_p_quadrature(mean, log_var, w, order=20):
    """E_{N(mu~, sigma~^2)} log N(z; mu_c, sigma_c^2) [B, K] by Gauss-Hermite quadrature per
    dimension (exact for the quadratic integrand), without the closed form."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)  # for exp(-x^2/2)
    weights = weights / weights.sum()
    sd = np.exp(0.5 * log_var)                                   # [B, Z]
    zs = mean[:, :, None] + sd[:, :, None] * nodes               # [B, Z, N]
    var_c = np.exp(w["pz_logvar"])                               # [K, Z]
    logpdf = np.log(np_normal_pdf(zs[:, None], w["pz_mean"][None, :, :, None],
                                  var_c[None, :, :, None]))      # [B, K, Z, N]
    return (logpdf * weights).sum(axis=-1).sum(axis=-1)


def np_entropy_quadrature(mean, log_var, order=20):
    """-E_q log q(z) [B] by quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    weights = weights / weights.sum()
    var = np.exp(log_var)
    zs = mean[:, :, None] + np.sqrt(var)[:, :, None] * nodes
    logq = np.log(np_normal_pdf(zs, mean[:, :, None], var[:, :, None]))
    return -(logq * weights).sum(axis=-1).sum(axis=-1)


class ConfigTest(unittest.TestCase):
    def test_mnist_defaults_are_the_docs(self):
        c = VadeConfig.mnist(1)
        self.assertEqual((c.input_shape, c.clusters, c.latent_dim, c.encoder_hidden,
                          c.decoder_hidden), ((28, 28, 1), 10, 10, (500, 500, 2000),
                                              (2000, 500, 500)))
        self.assertEqual((c.learning_rate, c.learning_rate_decay, c.learning_rate_decay_epochs,
                          c.learning_rate_floor, c.adam_epsilon, c.batch_size, c.epochs),
                         (2e-4, 0.9, 10, 2e-4, 1e-4, 100, 300))
        # DEC-keras's recipe (Pretraining.decKeras) and the paper's 10 restarts (GmmStart.paper).
        self.assertEqual(c.pretraining, Pretraining("sgd_momentum", 1.0, 0.9, "mse", 256, 300,
                                                    "fan_in_uniform", 5))
        self.assertEqual(c.gmm_start, GmmStart(10, 10, "uniform"))

    def test_learning_rate_decays_every_10_epochs_to_the_floor(self):
        self.assertEqual(VadeConfig.mnist(1).learning_rate_at(300), 2e-4)  # constant
        c = dataclasses.replace(VadeConfig.mnist(1), learning_rate=PAPER_LEARNING_RATE)
        self.assertEqual(c.learning_rate_at(0), 2e-3)
        self.assertEqual(c.learning_rate_at(9), 2e-3)
        self.assertAlmostEqual(c.learning_rate_at(10), 1.8e-3)
        self.assertAlmostEqual(c.learning_rate_at(25), 2e-3 * 0.81)
        self.assertEqual(c.learning_rate_at(299), 2e-4)

    def test_json_round_trip_with_javas_keys(self):
        c = small_config(9)
        j = c.to_json()
        self.assertEqual(set(j), {"inputShape", "clusters", "latentDim", "encoderHidden",
                                  "decoderHidden", "learningRate", "learningRateDecay",
                                  "learningRateDecayEpochs", "learningRateFloor", "adamEpsilon",
                                  "pretraining", "gmmStart", "batchSize", "epochs", "seed",
                                  "backbone", "aug", "augmentation"})
        self.assertEqual(set(j["pretraining"]), {"optimizer", "learningRate", "momentum", "loss",
                                                 "batchSize", "epochs", "init", "refitEpochs"})
        self.assertEqual(set(j["gmmStart"]), {"restarts", "kmeansRestarts", "weights"})
        self.assertEqual(VadeConfig.from_json(j), c)

    def test_an_older_config_reads_as_the_recipe_it_ran(self):
        j = small_config(9).to_json()
        del j["pretraining"], j["gmmStart"]
        j.update(pretrainEpochs=7, pretrainLearningRate=5e-4, batchSize=32)
        c = VadeConfig.from_json(j)
        self.assertEqual(c.pretraining, Pretraining("adam", 5e-4, 0.0, "bce", 32, 7,
                                                    "glorot_uniform", 0))
        self.assertEqual(c.gmm_start, GmmStart(3, 1, "fit"))

    def test_invalid_settings_are_refused(self):
        with self.assertRaises(ValueError):
            VadeConfig(seed=1, clusters=1)
        with self.assertRaises(ValueError):
            VadeConfig(seed=1, learning_rate_floor=1.0)
        for bad in (dict(optimizer="rmsprop"), dict(loss="l1"), dict(momentum=1.0),
                    dict(refit_epochs=-1), dict(init="he")):
            with self.assertRaises(ValueError, msg=str(bad)):
                Pretraining(**bad)
        with self.assertRaises(ValueError):
            GmmStart(weights="random")


class VariablesTest(unittest.TestCase):
    def test_names_order_and_shapes_are_the_docs(self):
        m = Vade(VadeConfig.mnist(1))
        self.assertEqual(list(m.params.all), expected_names())
        shapes = {n: tuple(v.shape) for n, v in m.params.all.items()}
        self.assertEqual([shapes[n + "_kernel"] for n in
                          ("qz_1", "qz_2", "qz_3", "qz_mean", "qz_logvar", "px_1", "px_2", "px_3",
                           "px_logits")],
                         [(784, 500), (500, 500), (500, 2000), (2000, 10), (2000, 10), (10, 2000),
                          (2000, 500), (500, 500), (500, 784)])
        self.assertEqual((shapes["pc_logits"], shapes["pz_mean"], shapes["pz_logvar"]),
                         ((10,), (10, 10), (10, 10)))
        self.assertEqual(m.trainable_names, expected_names())
        self.assertEqual(m.pretrain_names, [n for n in expected_names()
                                            if not n.startswith(("qz_logvar", "pc_", "pz_"))])

    def test_init_is_the_recipes_by_name_key_and_zeros(self):
        for recipe in (Pretraining.adam_bce(), Pretraining.dec_keras()):
            m = Vade(dataclasses.replace(small_config(5), pretraining=recipe))
            for i, (n, v) in enumerate(m.params.all.items()):
                if n.endswith("_kernel"):
                    fan_in, fan_out = v.shape
                    u = tf.random.stateless_uniform(v.shape, seed=tf.constant([5, P.name_key(n)], tf.int64))
                    limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)
                                                 if recipe.init == P.GLOROT_UNIFORM
                                                 else 1.0 / fan_in))
                    np.testing.assert_array_equal(v.numpy(), (u.numpy() * 2 - 1) * limit, n)
                else:
                    self.assertFalse(v.numpy().any(), n)


class ElboTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = randomised()
        cls.w = {n: v.astype(np.float64) for n, v in cls.model.params.read().items()}
        cls.x = np.random.default_rng(4).uniform(0, 1, (6, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(6, -1).astype(np.float64)
        cls.seed = tf.constant([7, 3], tf.int64)
        cls.out = {k: v.numpy() for k, v in cls.model.training(cls.x, cls.seed).items()}
        cls.eps = cls.model.noise(6, cls.seed).numpy().astype(np.float64)
        cls.mean, cls.log_var = np_encode(cls.w, cls.flat)
        cls.z = cls.mean + np.exp(0.5 * cls.log_var) * cls.eps

    def test_noise_is_stateless_normal_at_s_2t_plus_1(self):
        want = tf.random.stateless_normal([6, 4], seed=tf.constant([7, 7], tf.int64)).numpy()
        np.testing.assert_array_equal(self.eps, want)

    def test_log_p_z_given_c_is_the_log_of_the_density(self):
        _, dens = np_gamma_direct(self.w, self.z)
        got = self.model.log_p_z_given_c(tf.constant(self.z, tf.float32)).numpy()
        np.testing.assert_allclose(got, np.log(dens), rtol=1e-5, atol=1e-4)

    def test_log_gamma_is_the_direct_normalisation_of_pi_times_density(self):
        gamma, _ = np_gamma_direct(self.w, self.z)
        np.testing.assert_allclose(np.exp(self.out["log_gamma"]), gamma, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(np.exp(self.out["log_gamma"]).sum(1), 1.0, atol=1e-6)

    def test_expected_log_p_matches_quadrature(self):
        want = np_expected_log_p_quadrature(self.mean, self.log_var, self.w)
        got = self.model.expected_log_p_z_given_c(tf.constant(self.mean, tf.float32),
                                                  tf.constant(self.log_var, tf.float32)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)

    def test_terms_and_loss_match_numpy(self):
        gamma, _ = np_gamma_direct(self.w, self.z)
        pi = np.exp(self.w["pc_logits"]) / np.exp(self.w["pc_logits"]).sum()
        logits = np_decode(self.w, self.z)
        rec = (np.logaddexp(0, logits) - self.flat * logits).sum(1)
        e_log_p = np_expected_log_p_quadrature(self.mean, self.log_var, self.w)
        entropy = np_entropy_quadrature(self.mean, self.log_var)
        np.testing.assert_allclose(entropy, 0.5 * (LOG_2PI + 1 + self.log_var).sum(1), rtol=1e-9)
        latent = -((gamma * e_log_p).sum(1) + entropy)
        cat = (gamma * (np.log(gamma) - np.log(pi))).sum(1)
        elbo = -rec + (gamma * e_log_p).sum(1) + (gamma * np.log(pi)).sum(1) \
            - (gamma * np.log(gamma)).sum(1) + entropy
        for k, want in (("reconstruction", rec.mean()), ("latent_kl", latent.mean()),
                        ("categorical_kl", cat.mean()), ("loss", -elbo.mean())):
            self.assertAlmostEqual(float(self.out[k]), want, delta=1e-5 * abs(want) + 1e-4, msg=k)
        self.assertGreaterEqual(float(self.out["categorical_kl"]), -1e-6)

    def test_every_variable_gets_a_gradient(self):
        with tf.GradientTape() as tape:
            loss = self.model.training(self.x, self.seed)["loss"]
        grads = tape.gradient(loss, self.model.trainable)
        for n, g in zip(self.model.trainable_names, grads):
            self.assertIsNotNone(g, n)
            self.assertGreater(np.abs(g.numpy()).max(), 0, n)


class GammaTest(unittest.TestCase):
    def test_one_dimensional_two_cluster_case_by_hand(self):
        c = VadeConfig(seed=1, input_shape=(2, 1, 1), clusters=2, latent_dim=1,
                       encoder_hidden=(3,), decoder_hidden=(3,))
        m = Vade(c)
        m.set_prior([0.25, 0.75], [[-1.0], [2.0]], [[1.0], [4.0]])
        z = np.array([[0.0], [1.5], [-3.0]])
        p0 = 0.25 * np.exp(-0.5 * (z[:, 0] + 1) ** 2) / math.sqrt(2 * math.pi)
        p1 = 0.75 * np.exp(-0.5 * (z[:, 0] - 2) ** 2 / 4) / math.sqrt(2 * math.pi * 4)
        want = np.stack([p0, p1], 1) / (p0 + p1)[:, None]
        scores = m.log_pi() + m.log_p_z_given_c(tf.constant(z, tf.float32))
        np.testing.assert_allclose(tf.nn.softmax(scores).numpy(), want, rtol=1e-5)

    def test_set_prior_stores_logs_and_prior_returns_mean_and_stddev(self):
        m = Vade(small_config())
        pi = np.array([0.2, 0.3, 0.5])
        mean = np.arange(12, dtype=np.float32).reshape(3, 4)
        var = np.full((3, 4), 4.0)
        m.set_prior(pi, mean, var)
        np.testing.assert_allclose(m.log_pi().numpy(), np.log(pi), rtol=1e-6)
        mu, sd = m.prior(tf.constant([2, 0], tf.int32))
        np.testing.assert_array_equal(mu.numpy(), mean[[2, 0]])
        np.testing.assert_allclose(sd.numpy(), 2.0, rtol=1e-6)


class BranchesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = randomised(rng_seed=1)
        cls.w = {n: v.astype(np.float64) for n, v in cls.model.params.read().items()}
        cls.x = np.random.default_rng(8).uniform(0, 1, (7, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(7, -1).astype(np.float64)

    def test_inference_is_gamma_at_the_mean(self):
        out = {k: v.numpy() for k, v in self.model.inference(self.x).items()}
        mean, _ = np_encode(self.w, self.flat)
        gamma, _ = np_gamma_direct(self.w, mean)
        np.testing.assert_allclose(out["probs"], gamma, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["probs"].sum(1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(out["cluster"], gamma.argmax(1))
        self.assertEqual(out["cluster"].dtype, np.int64)
        np.testing.assert_allclose(out["z"], mean, rtol=1e-5, atol=1e-6)
        x_hat = 1 / (1 + np.exp(-np_decode(self.w, mean)))
        np.testing.assert_allclose(out["x_hat"], x_hat.reshape(7, 4, 4, 1), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(out["z"], self.model.encode_mean(self.x).numpy())

    def test_decode_ignores_the_cluster_and_gives_reconstruct(self):
        out = self.model.inference(self.x)
        a = self.model.decode(out["z"], tf.zeros([7], tf.int32)).numpy()
        b = self.model.decode(out["z"], tf.fill([7], 2)).numpy()
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, out["x_hat"].numpy())

    def test_pretraining_is_deterministic_reconstruction_of_the_mean(self):
        # The default recipe (DEC-keras): the MSE of the logits as a linear output; the refit's
        # loss is the summed BCE of the same logits.
        out = self.model.pretraining(self.x)
        mean, _ = np_encode(self.w, self.flat)
        logits = np_decode(self.w, mean)
        bce = (np.logaddexp(0, logits) - self.flat * logits).sum(1).mean()
        mse = ((logits - self.flat) ** 2).mean(1).mean()
        self.assertAlmostEqual(float(out["loss"]), mse, delta=1e-5 * mse)
        self.assertAlmostEqual(float(out["refit_loss"]), bce, delta=1e-5 * bce)
        with tf.GradientTape(persistent=True) as tape:
            out = self.model.pretraining(self.x)
        for key, names in (("loss", self.model.pretrain_names),
                           ("refit_loss", self.model.pretrain_names)):
            grads = dict(zip(self.model.trainable_names,
                             tape.gradient(out[key], self.model.trainable)))
            for n, g in grads.items():
                self.assertEqual(g is not None, n in names, n)
        self.assertEqual(self.model.refit_names,
                         [n for n in self.model.pretrain_names if n.startswith("px_")])

    def test_the_bce_recipes_pretraining_loss_is_the_refit_loss(self):
        c = dataclasses.replace(small_config(3), pretraining=Pretraining.adam_bce())
        m = Vade(c)
        m.params.assign(self.model.params.read())
        out = m.pretraining(self.x)
        self.assertEqual(float(out["loss"]), float(out["refit_loss"]))


class AugmentationLossTest(unittest.TestCase):
    """aug = w2 (issue 20): L2 of gamma(mu~(x)) - gamma(mu~(x^)) + W2 of N(mu~, sigma~^2) of x and
    x^, against numpy (np_encode, np_gamma_direct)."""

    def test_terms_and_loss_match_numpy_and_negative_elbo_leaves_them_out(self):
        model = randomised(rng_seed=4)
        c = dataclasses.replace(model.config, aug="w2", augmentation="rotation")
        m = Vade(c)
        m.params.assign(model.params.read())
        w = {n: v.astype(np.float64) for n, v in m.params.read().items()}
        x = np.random.default_rng(6).uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)
        x_aug = 1.0 - x
        out = m.training(x, tf.constant([3, 2], tf.int64), x_aug, np.float32(0.6))
        mean, log_var = np_encode(w, x.reshape(5, -1).astype(np.float64))
        mean_a, log_var_a = np_encode(w, x_aug.reshape(5, -1).astype(np.float64))
        g, _ = np_gamma_direct(w, mean)
        g_a, _ = np_gamma_direct(w, mean_a)
        l2 = ((g - g_a) ** 2).sum(1).mean()
        w2 = (((mean - mean_a) ** 2).sum(1)
              + ((np.exp(0.5 * log_var) - np.exp(0.5 * log_var_a)) ** 2).sum(1)).mean()
        np.testing.assert_allclose(out["aug_l2"].numpy(), l2, rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(out["aug_w2"].numpy(), w2, rtol=1e-4)
        np.testing.assert_allclose(out["loss"].numpy(),
                                   out["negative_elbo"].numpy() + 0.6 * (l2 + w2), rtol=1e-5)
        self.assertGreater(l2, 1e-4)
        self.assertEqual(c.terms[-2:], ("aug_l2", "aug_w2"))


class ConvBackboneTest(unittest.TestCase):
    """The compact conv backbone (layers.backbone_*, issue 20): its variables where the layers run
    and inference against numpy convolutions (test_vc's, through _common.np_stem / np_head)."""

    @classmethod
    def setUpClass(cls):
        cls.config = dataclasses.replace(small_config(5), backbone="conv")
        cls.model = Vade(cls.config)
        rng = np.random.default_rng(2)
        for n, v in cls.model.params.all.items():
            if n.endswith("_bias"):
                v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
        cls.w = {n: v.astype(np.float64) for n, v in cls.model.params.read().items()}
        cls.x = rng.uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)

    def test_the_conv_layers_come_first_in_the_encoder_and_last_in_the_decoder(self):
        names = list(self.model.params.all)
        conv = ["qz_conv1_kernel", "qz_conv1_bias", "qz_conv2_kernel", "qz_conv2_bias"]
        head = ["px_reshape_kernel", "px_reshape_bias", "px_deconv1_kernel", "px_deconv1_bias",
                "px_logits_kernel", "px_logits_bias"]
        dense = [n for n in expected_names() if n not in ("px_logits_kernel", "px_logits_bias")]
        self.assertEqual(names, conv + dense[:-3] + head + dense[-3:])
        shapes = {n: tuple(v.shape) for n, v in self.model.params.all.items()}
        self.assertEqual((shapes["qz_conv1_kernel"], shapes["qz_conv2_kernel"],
                          shapes["qz_1_kernel"]), ((4, 4, 1, 32), (4, 4, 32, 64), (64, 8)))
        self.assertEqual((shapes["px_reshape_kernel"], shapes["px_deconv1_kernel"],
                          shapes["px_logits_kernel"]), ((8, 64), (4, 4, 32, 64), (4, 4, 1, 32)))
        # The autoencoder the recipes pretrain holds the conv layers; the refit the decoder's.
        self.assertEqual(self.model.pretrain_names[:4], conv)
        self.assertEqual(self.model.refit_names[-6:], head)

    def test_inference_is_the_conv_nets_in_numpy(self):
        out = {k: v.numpy() for k, v in self.model.inference(self.x).items()}
        rows = _common.np_stem(self.w, self.config, self.x.reshape(5, -1), prefix="qz")
        mean, _ = np_encode(self.w, rows)
        np.testing.assert_allclose(out["z"], mean, rtol=1e-4, atol=1e-5)
        h = mean
        for i in (1, 2, 3):
            h = np.maximum(h @ self.w["px_%d_kernel" % i] + self.w["px_%d_bias" % i], 0.0)
        x_hat = 1 / (1 + np.exp(-_common.np_head(self.w, self.config, h, "px_logits")))
        np.testing.assert_allclose(out["x_hat"], x_hat.reshape(5, 4, 4, 1), rtol=1e-4,
                                   atol=1e-5)

    def test_json_keeps_the_backbone_and_old_configs_read_mlp(self):
        j = self.config.to_json()
        self.assertEqual(VadeConfig.from_json(j), self.config)
        del j["backbone"]
        self.assertEqual(VadeConfig.from_json(j).backbone, "mlp")
        with self.assertRaisesRegex(ValueError, "multiples of 4, not 6x4"):
            VadeConfig(seed=1, input_shape=(6, 4, 1), backbone="conv")


if __name__ == "__main__":
    unittest.main()
