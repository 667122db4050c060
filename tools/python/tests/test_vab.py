"""VAB: the config (defaults, schedules, JSON), variable names/order/shapes/init, the binary
Gumbel-softmax relaxation and every loss term against an independent numpy float64 computation
(the two-class softmax form of the sample, Eq. 11 from densities without log space, the ELBO
assembled as log p(y) - log q(y|x) - reconstruction), gradients against central differences,
straight-through, the vendor/consumer split (compress, classify_bits), export -> load with its two
extra signatures, `crosscheck make --model vab --tiny --synthetic`, and a tiny training run."""

import contextlib
import io
import json
import math
import os
import shutil
import tempfile
import unittest

import _common  # the import path, TF logging, assert_trained_close
import numpy as np
import tensorflow as tf

import test_crosscheck as TC
from deepclust_ref import check_export
from deepclust_ref import params as P
from deepclust_ref import checkpoint
from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import dist
from deepclust_ref import export as E
from deepclust_ref import train as T
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.vab import TINY, TRAINING_OUTPUTS, Vab, VabConfig, psnr

K, D_BITS, B = 3, 5, 4
TAU = 0.7


def small_config(seed=3, **kw):
    args = dict(seed=seed, input_shape=(4, 4, 1), clusters=K, bits=D_BITS, encoder_hidden=(8, 6),
                decoder_hidden=(6, 8), batch_size=B)
    args.update(kw)
    return VabConfig(**args)


def gaussian_config(seed=4, **kw):
    return small_config(seed, input_shape=(4, 4, 2), likelihood="gaussian", **kw)


def randomised(config, rng_seed=0):
    """The config's model with biases off zero, a non-uniform pi and spread-out mu_{z|c}."""
    model = Vab(config)
    rng = np.random.default_rng(rng_seed)
    for n, v in model.params.all.items():
        if n.endswith("_bias") or n == "pc_logits":
            v.assign(rng.normal(0, 0.5, v.shape).astype(np.float32))
        elif n == "pz_logits":
            v.assign(rng.normal(0, 1.5, v.shape).astype(np.float32))
    return model


def images(rng, n, shape):
    return rng.uniform(0, 1, (n, *shape)).astype(np.float32)


# ---- an independent numpy computation (float64) ----------------------------------------------


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_model(w, c):
    """The encoder logits and the decoder (mean or logits, variance or None), from docs/models.md."""
    w = {n: np.asarray(v, np.float64) for n, v in w.items()}

    def dense(name, a):
        return a @ w[name + "_kernel"] + w[name + "_bias"]

    def encoder(flat):
        h = flat
        for i in range(len(c.encoder_hidden)):
            h = np.maximum(dense("qz_%d" % (i + 1), h), 0.0)
        return dense("qz_logits", h)

    def decoder(z):
        h = z
        for i in range(len(c.decoder_hidden)):
            h = np.maximum(dense("px_%d" % (i + 1), h), 0.0)
        if c.likelihood == "gaussian":
            return dense("px_mean", h), np.logaddexp(0.0, dense("px_var", h)) + 1e-4
        return dense("px_logits", h), None

    return w, encoder, decoder


def np_relaxed(logits, uniform, tau):
    """§2.3's softmax over the two classes {1, 0} of probabilities (mu, 1 - mu), its class-1 entry;
    g from u as Gumbel(0, 1) noise (index 0: class 1)."""
    u = uniform.astype(np.float64)
    g = -np.log(-np.log(u + 1e-20) + 1e-20)
    mu = np_sigmoid(logits)
    a = (np.log(mu) + g[..., 0]) / tau
    b = (np.log(1.0 - mu) + g[..., 1]) / tau
    m = np.maximum(a, b)
    return np.exp(a - m) / (np.exp(a - m) + np.exp(b - m))


def np_density(y, mu):
    """prod_j mu_j^y_j (1 - mu_j)^(1 - y_j), the Bernoulli density (not its log), last axis."""
    return np.prod(mu ** y * (1.0 - mu) ** (1.0 - y), axis=-1)


def np_q_c_given_y(w, y):
    """Eq. 11 directly: pi_c p(y|c) / sum_c' pi_c' p(y|c') [B, K], and the joint pi_c p(y|c)."""
    pi = np.exp(w["pc_logits"]) / np.exp(w["pc_logits"]).sum()
    joint = pi * np_density(y[:, None, :], np_sigmoid(w["pz_logits"])[None])
    return joint / joint.sum(axis=1, keepdims=True), joint


def np_terms(w, c, x, uniform, tau):
    """Every term of docs/models.md's training branch, [B]-means, float64."""
    w, encoder, decoder = np_model(w, c)
    flat = x.reshape(len(x), -1).astype(np.float64)
    logits = encoder(flat)
    y = np_relaxed(logits, uniform, tau)
    if c.straight_through:
        y = np.round(y)
    out, var = decoder(y)
    if var is None:
        p = np_sigmoid(out)
        rec = -(flat * np.log(p) + (1 - flat) * np.log(1 - p)).sum(1)
    else:
        rec = 0.5 * (np.log(2 * np.pi) + np.log(var) + (flat - out) ** 2 / var).sum(1)
    q, joint = np_q_c_given_y(w, y)
    pi = np.exp(w["pc_logits"]) / np.exp(w["pc_logits"]).sum()
    mu_c = np_sigmoid(w["pz_logits"])
    log_p_y_c = (y[:, None] * np.log(mu_c) + (1 - y[:, None]) * np.log(1 - mu_c)).sum(-1)
    mu = np_sigmoid(logits)
    t = {"reconstruction": rec.mean(), "log_p_z": (q * log_p_y_c).sum(1).mean(),
         "log_p_c": (q * np.log(pi)).sum(1).mean(),
         "log_q_z": (y * np.log(mu) + (1 - y) * np.log(1 - mu)).sum(1).mean(),
         "entropy_c": -(q * np.log(q)).sum(1).mean(), "logits": logits, "y": y,
         "log_marginal": np.log(joint.sum(1)).mean()}
    t["loss"] = (t["reconstruction"] - t["log_p_z"] - t["log_p_c"] + t["log_q_z"]
                 - t["entropy_c"])
    return t


TERMS = ("loss", "reconstruction", "log_p_z", "log_p_c", "log_q_z", "entropy_c")


# ---- config ------------------------------------------------------------------------------------


JAVA_KEYS = ["inputShape", "clusters", "bits", "encoderHidden", "decoderHidden", "likelihood",
             "temperatureStart", "temperatureMin", "temperatureAnnealEpochs", "straightThrough",
             "uniformPrior", "learningRate", "learningRateDecay", "learningRateDecayEpochs",
             "learningRateFloor", "adamEpsilon", "warmupSteps", "batchSize", "epochs", "seed",
             "backbone", "aug", "augmentation"]


class ConfigTest(unittest.TestCase):
    def test_mnist_defaults_are_the_docs(self):
        c = VabConfig.mnist(1)
        self.assertEqual(
            (c.input_shape, c.clusters, c.bits, c.encoder_hidden, c.decoder_hidden, c.likelihood,
             c.temperature_start, c.temperature_min, c.temperature_anneal_epochs,
             c.straight_through, c.learning_rate, c.learning_rate_decay,
             c.learning_rate_decay_epochs, c.learning_rate_floor, c.adam_epsilon, c.batch_size,
             c.epochs, c.seed),
            ((28, 28, 1), 10, 28, (512, 256), (256, 512), "bernoulli", 1.0, 0.5, 100, False, 1e-3,
             0.9, 10, 2e-4, 1e-8, 100, 100, 1))
        self.assertEqual(c.latent_dim, 28)
        self.assertEqual(c.bits_per_pixel, 28 / 784)
        self.assertEqual(c.paper_bits_per_pixel, 0.02734375)  # §3.2

    def test_json_has_javas_keys_in_record_order_and_round_trips(self):
        for c in (VabConfig.mnist(9), gaussian_config(straight_through=True)):
            j = c.to_json()
            self.assertEqual(list(j), JAVA_KEYS)
            self.assertEqual(VabConfig.from_json(json.loads(json.dumps(j))), c)
        j = VabConfig.mnist(9).to_json()
        self.assertEqual((j["inputShape"], j["encoderHidden"], j["straightThrough"], j["seed"]),
                         ([28, 28, 1], [512, 256], False, 9))

    def test_backbone_is_mlp_or_conv_and_old_configs_read_mlp(self):
        j = VabConfig.mnist(2).to_json()
        del j["backbone"]
        self.assertEqual(VabConfig.from_json(j).backbone, "mlp")
        self.assertTrue(VabConfig(seed=1, backbone="conv").conv)
        with self.assertRaisesRegex(ValueError, "backbone must be one of \\[mlp, conv\\]"):
            VabConfig(seed=1, backbone="resnet")
        with self.assertRaisesRegex(ValueError, "multiples of 4, not 30x28"):
            VabConfig(seed=1, input_shape=(30, 28, 1), backbone="conv")

    def test_conv_backbone_forward_is_the_compact_nets_in_numpy(self):
        """Encoder logits and decoder logits of the conv backbone against numpy convolutions
        (test_vc's np_conv2d / np_conv2d_transpose)."""
        import test_vc as V
        c = VabConfig(seed=4, backbone="conv", encoder_hidden=(16,), decoder_hidden=(12,), bits=5)
        m = Vab(c)
        w = {n: v.numpy().astype(np.float64) for n, v in m.params.all.items()}
        x = np.random.default_rng(3).uniform(size=(2, 28, 28, 1)).astype(np.float32)
        relu = lambda a: np.maximum(a, 0)  # noqa: E731
        h = relu(V.np_conv2d(x, w["qz_conv1_kernel"], w["qz_conv1_bias"], 2, "same"))
        h = relu(V.np_conv2d(h, w["qz_conv2_kernel"], w["qz_conv2_bias"], 2, "same"))
        h = relu(h.reshape(2, -1) @ w["qz_1_kernel"] + w["qz_1_bias"])
        logits = h @ w["qz_logits_kernel"] + w["qz_logits_bias"]
        got = m.q_z_given_x(c.flatten(x)).numpy()
        np.testing.assert_allclose(got, logits, rtol=1e-4, atol=1e-5)
        z = (logits > 0).astype(np.float32)
        h = relu(z @ w["px_1_kernel"] + w["px_1_bias"])
        h = relu(h @ w["px_reshape_kernel"] + w["px_reshape_bias"]).reshape(2, 7, 7, 64)
        h = relu(V.np_conv2d_transpose(h, w["px_deconv1_kernel"], w["px_deconv1_bias"], 2,
                                       "same"))
        out = V.np_conv2d_transpose(h, w["px_logits_kernel"], w["px_logits_bias"], 2, "same")
        got = m.p_x_given_z(z)["mean_or_logits"].numpy()
        np.testing.assert_allclose(got, out.reshape(2, -1), rtol=1e-4, atol=1e-5)

    def test_temperature_anneals_from_one_to_half_at_epoch_100(self):
        c = VabConfig.mnist(1)
        self.assertEqual(c.temperature(0), 1.0)
        self.assertEqual(c.temperature(50), float(np.float32(math.sqrt(0.5))))
        self.assertAlmostEqual(c.temperature(100), 0.5, places=7)
        self.assertEqual(c.temperature(250), 0.5)
        self.assertTrue(all(c.temperature(e) > c.temperature(e + 1) for e in range(99)))

    def test_temperature_rounds_as_javas_float_record(self):
        """Java: ln(start / min) with the float division, in double, cast to float."""
        c = small_config(temperature_start=0.9, temperature_min=0.3, temperature_anneal_epochs=7)
        start, floor = np.float32(0.9), np.float32(0.3)
        for e in (0, 1, 3, 6, 7, 20):
            rate = math.log(float(np.float32(start / floor))) / 7
            want = np.float32(max(float(floor), float(start) * math.exp(-rate * e)))
            self.assertEqual(c.temperature(e), float(want), e)
        self.assertEqual(c.temperature(20), float(np.float32(0.3)))

    def test_learning_rate_decays_every_10_epochs_to_the_floor(self):
        c = VabConfig.mnist(1)
        f = lambda v: float(np.float32(v))  # noqa: E731
        self.assertEqual([c.learning_rate_at(e) for e in (0, 9)], [f(1e-3)] * 2)
        for e in (10, 19, 25, 150):
            self.assertAlmostEqual(c.learning_rate_at(e), 1e-3 * 0.9 ** (e // 10), delta=1e-10)
            self.assertEqual(c.learning_rate_at(e), f(max(
                f(2e-4), f(1e-3) * f(0.9) ** (e // 10))), e)
        self.assertEqual(c.learning_rate_at(160), f(2e-4))  # 0.9^16 < 0.2
        self.assertEqual(c.learning_rate_at(10_000), f(2e-4))

    def test_learning_rate_warms_up_linearly_over_the_first_600_steps(self):
        c = VabConfig.mnist(1)
        f = lambda v: float(np.float32(v))  # noqa: E731
        self.assertEqual(c.warmup_steps, 600)
        self.assertEqual(c.learning_rate_at_step(0, 1), f(f(1e-3) / 600))
        self.assertEqual(c.learning_rate_at_step(0, 300), f(f(1e-3) * 0.5))
        self.assertEqual(c.learning_rate_at_step(0, 600), f(1e-3))
        self.assertEqual(c.learning_rate_at_step(10, 6000), c.learning_rate_at(10))
        none = VabConfig(seed=1, warmup_steps=0)
        self.assertEqual(none.learning_rate_at_step(0, 1), none.learning_rate_at(0))
        # A config written before the warm-up existed (no key) has none.
        old = {k: v for k, v in c.to_json().items() if k != "warmupSteps"}
        self.assertEqual(VabConfig.from_json(old).warmup_steps, 0)

    def test_invalid_settings_are_refused(self):
        bad = [dict(clusters=1), dict(bits=0), dict(encoder_hidden=()), dict(decoder_hidden=(4, 0)),
               dict(likelihood="poisson"), dict(temperature_min=0.0),
               dict(temperature_start=0.4, temperature_min=0.5), dict(temperature_anneal_epochs=0),
               dict(learning_rate=0.0), dict(learning_rate_floor=0.0),
               dict(learning_rate_decay=1.5), dict(learning_rate_decay_epochs=0),
               dict(adam_epsilon=0.0), dict(warmup_steps=-1), dict(batch_size=0), dict(epochs=0),
               dict(input_shape=(4, 4))]
        for kw in bad:
            with self.assertRaises(ValueError, msg=str(kw)):
                small_config(**kw)

    def test_psnr_is_the_mean_of_per_image_values_with_a_floored_mse(self):
        x = np.zeros((2, 2, 2, 1))
        x_hat = np.zeros_like(x)
        x_hat[0] = 0.1  # MSE 0.01 -> 20 dB
        self.assertAlmostEqual(psnr(x, x_hat), (20.0 + 100.0) / 2)  # the second: MSE 0 -> 1e-10


# ---- variables ---------------------------------------------------------------------------------


def expected_names(n_enc=2, n_dec=2, gaussian=False):
    dense = ["qz_%d" % (i + 1) for i in range(n_enc)] + ["qz_logits"]
    dense += ["px_%d" % (i + 1) for i in range(n_dec)]
    dense += ["px_mean", "px_var"] if gaussian else ["px_logits"]
    return [n + s for n in dense for s in ("_kernel", "_bias")] + ["pc_logits", "pz_logits"]


class VariablesTest(unittest.TestCase):
    def test_mnist_names_order_and_shapes_are_the_docs(self):
        m = Vab(VabConfig.mnist(1))
        self.assertEqual(list(m.params.all), expected_names())
        self.assertEqual(m.trainable_names, list(m.params.all))
        shapes = {n: tuple(v.shape) for n, v in m.params.all.items()}
        want = {"qz_1": (784, 512), "qz_2": (512, 256), "qz_logits": (256, 28),
                "px_1": (28, 256), "px_2": (256, 512), "px_logits": (512, 784)}
        for n, shape in want.items():
            self.assertEqual(shapes[n + "_kernel"], shape, n)
            self.assertEqual(shapes[n + "_bias"], shape[1:], n)
        self.assertEqual((shapes["pc_logits"], shapes["pz_logits"]), ((10,), (10, 28)))

    def test_gaussian_likelihood_has_px_mean_and_px_var_in_place_of_px_logits(self):
        m = Vab(gaussian_config())
        self.assertEqual(list(m.params.all), expected_names(gaussian=True))
        self.assertEqual(tuple(m.params.all["px_var_kernel"].shape), (8, 32))

    def test_init_is_glorot_by_name_key_pc_zero_and_pz_glorot(self):
        c = small_config(seed=12)
        m = Vab(c)
        names = list(m.params.all)
        for i, n in enumerate(names):
            v = m.params.all[n].numpy()
            if n.endswith("_bias") or n == "pc_logits":
                self.assertFalse(v.any(), n)
                continue
            fan_in, fan_out = v.shape
            limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)))
            u = tf.random.stateless_uniform(v.shape, seed=tf.constant([12, P.name_key(n)], tf.int64)).numpy()
            np.testing.assert_array_equal(v, (u * 2 - 1) * limit, n)
        pz = m.params.all["pz_logits"].numpy()
        self.assertEqual(names.index("pz_logits"), len(names) - 1)
        self.assertGreater(np.abs(pz - pz[0]).max(), 0.1)  # the components differ from the start


# ---- the relaxation and the loss ---------------------------------------------------------------


class RelaxationTest(unittest.TestCase):
    def test_sigmoid_form_is_the_two_class_softmax_with_index_0_for_class_1(self):
        rng = np.random.default_rng(1)
        logits = rng.normal(0, 2, (6, 5)).astype(np.float32)
        u = rng.uniform(0, 1, (6, 5, 2)).astype(np.float32)
        for tau in (1.0, 0.5, 0.2):
            y = dist.binary_gumbel_softmax_sample(tf.constant(logits), np.float32(tau),
                                                  tf.constant(u)).numpy()
            np.testing.assert_allclose(y, np_relaxed(logits.astype(np.float64), u, tau),
                                       rtol=2e-6, atol=1e-7)
        # Large noise on class 1 (u near 1) pushes y to 1, on class 0 to 0.
        push = np.zeros((1, 1, 2), np.float32) + 0.5
        push[..., 0] = 0.999999
        self.assertGreater(dist.binary_gumbel_softmax_sample(
            tf.zeros([1, 1]), 0.5, tf.constant(push)).numpy()[0, 0], 0.99)

    def test_relaxed_bits_follow_q_z_given_x_in_frequency(self):
        logits = tf.constant([[-1.5, 0.0, 2.0]], tf.float32)
        u = tf.random.stateless_uniform([20000, 3, 2], seed=[3, 4])
        y = dist.binary_gumbel_softmax_sample(tf.tile(logits, [20000, 1]), 0.1, u).numpy()
        np.testing.assert_allclose((y > 0.5).mean(0), np_sigmoid(logits.numpy()[0]), atol=0.015)

    def test_bernoulli_log_prob_is_the_log_of_the_density_and_broadcasts(self):
        rng = np.random.default_rng(2)
        y = rng.uniform(0, 1, (4, 1, 5))
        a = rng.normal(0, 2, (3, 5))
        got = dist.bernoulli_log_prob(tf.constant(y, tf.float32), tf.constant(a, tf.float32))
        self.assertEqual(tuple(got.shape), (4, 3))
        np.testing.assert_allclose(got.numpy(), np.log(np_density(y, np_sigmoid(a)[None])),
                                   rtol=1e-5, atol=1e-5)


class _LossCase:
    """Every term of the training branch against `np_terms` on one small config."""

    config = None

    @classmethod
    def setUpClass(cls):
        cls.model = randomised(cls.config, rng_seed=1)
        cls.w = cls.model.params.read()
        rng = np.random.default_rng(7)
        cls.x = images(rng, B, cls.config.input_shape)
        cls.seed = tf.constant([9, 4], tf.int64)
        cls.out = {k: v.numpy() for k, v in cls.model.training(cls.x, np.float32(TAU),
                                                               cls.seed).items()}
        cls.u = cls.model.noise(B, cls.seed).numpy()
        cls.want = np_terms(cls.w, cls.config, cls.x, cls.u, np.float64(np.float32(TAU)))

    def test_noise_is_stateless_uniform_b_d_2_at_s_2t(self):
        want = tf.random.stateless_uniform([B, D_BITS, 2],
                                           seed=tf.constant([9, 8], tf.int64)).numpy()
        np.testing.assert_array_equal(self.u, want)

    def test_every_term_matches_numpy(self):
        for k in TERMS + ("logits", "y"):
            np.testing.assert_allclose(self.out[k], self.want[k], rtol=2e-5, atol=2e-6,
                                       err_msg=k)
        y = self.out["y"]
        self.assertTrue(((y > 0) & (y < 1)).all())  # relaxed, not bits

    def test_loss_is_minus_the_elbo_of_the_reported_terms(self):
        o = self.out
        self.assertAlmostEqual(float(o["loss"]), o["reconstruction"] - o["log_p_z"] - o["log_p_c"]
                               + o["log_q_z"] - o["entropy_c"], places=4)

    def test_the_mixture_terms_sum_to_the_marginal_log_p_y(self):
        """With q(c|y) the exact posterior, E_q[log p(y|c) + log pi_c - log q(c|y)] = log p(y)."""
        o = self.out
        self.assertAlmostEqual(float(o["log_p_z"] + o["log_p_c"] + o["entropy_c"]),
                               self.want["log_marginal"], places=4)

    def test_log_q_c_given_y_is_eq11_from_densities(self):
        rng = np.random.default_rng(5)
        ys = [self.want["y"], rng.integers(0, 2, (6, D_BITS)).astype(np.float64),
              rng.uniform(0, 1, (6, D_BITS))]
        for y in ys:
            got = self.model.log_q_c_given_z(tf.constant(y, tf.float32)).numpy()
            q, _ = np_q_c_given_y({n: v.astype(np.float64) for n, v in self.w.items()},
                                  y.astype(np.float32).astype(np.float64))
            np.testing.assert_allclose(np.exp(got), q, rtol=2e-5, atol=1e-7)

    def test_gradients_match_central_differences_of_the_numpy_loss(self):
        with tf.GradientTape() as tape:
            out = self.model.training(self.x, np.float32(TAU), self.seed)
        grads = dict(zip(self.model.trainable_names,
                         tape.gradient(out["loss"], self.model.trainable)))
        rng = np.random.default_rng(3)
        h = 1e-6
        tau = np.float64(np.float32(TAU))
        for n, g in grads.items():
            g = g.numpy()
            self.assertGreater(np.abs(g).max(), 0.0, n)
            for _ in range(3):
                idx = tuple(int(rng.integers(0, d)) for d in g.shape)
                w = {m: v.astype(np.float64) for m, v in self.w.items()}
                w[n] = w[n].copy()
                w[n][idx] += h
                up = np_terms(w, self.config, self.x, self.u, tau)["loss"]
                w[n][idx] -= 2 * h
                down = np_terms(w, self.config, self.x, self.u, tau)["loss"]
                fd = (up - down) / (2 * h)
                self.assertLessEqual(abs(g[idx] - fd), 1e-3 * max(1.0, abs(fd)), (n, idx))


class BernoulliLossTest(_LossCase, unittest.TestCase):
    config = small_config()


class GaussianLossTest(_LossCase, unittest.TestCase):
    config = gaussian_config()


class LossByHandTest(unittest.TestCase):
    def test_one_bit_two_clusters(self):
        """d = 1, K = 2, y = 0.25, mu_{z|c} = (0.2, 0.7), pi = (0.6, 0.4): q(c|y) by hand."""
        m = Vab(small_config(clusters=2, bits=1))
        m.params.all["pz_logits"].assign(np.log([[0.2 / 0.8], [0.7 / 0.3]]).astype(np.float32))
        m.params.all["pc_logits"].assign(np.log([0.6, 0.4]).astype(np.float32))
        p1 = 0.2 ** 0.25 * 0.8 ** 0.75
        p2 = 0.7 ** 0.25 * 0.3 ** 0.75
        want = np.array([0.6 * p1, 0.4 * p2]) / (0.6 * p1 + 0.4 * p2)
        got = np.exp(m.log_q_c_given_z(tf.constant([[0.25]])).numpy()[0])
        np.testing.assert_allclose(got, want, rtol=1e-6)


class StraightThroughTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.soft = randomised(small_config(seed=5), rng_seed=2)
        cls.hard = Vab(small_config(seed=5, straight_through=True))
        cls.hard.params.assign(cls.soft.params.read())
        cls.x = images(np.random.default_rng(4), B, (4, 4, 1))
        cls.seed = tf.constant([2, 3], tf.int64)

    def y_and_grads(self, model):
        with tf.GradientTape(persistent=True) as tape:
            out = model.training(self.x, np.float32(TAU), self.seed)
            probe = tf.reduce_sum(out["y"] * tf.constant(
                np.random.default_rng(0).normal(size=(B, D_BITS)), tf.float32))
        names = ("qz_logits_kernel", "qz_1_kernel")
        grads = {n: tape.gradient(probe, model.params.all[n]).numpy() for n in names}
        return out, grads

    def test_forward_bits_are_exactly_the_rounded_soft_sample_with_its_gradient(self):
        soft, soft_grads = self.y_and_grads(self.soft)
        hard, hard_grads = self.y_and_grads(self.hard)
        y = hard["y"].numpy()
        self.assertTrue(np.isin(y, (0.0, 1.0)).all())
        np.testing.assert_array_equal(y, np.round(soft["y"].numpy()))
        self.assertTrue(0 < y.sum() < y.size)
        for n, g in soft_grads.items():
            np.testing.assert_allclose(hard_grads[n], g, rtol=1e-6, atol=1e-9, err_msg=n)
            self.assertGreater(np.abs(g).max(), 0.0, n)

    def test_terms_are_numpys_at_the_bits(self):
        out = self.hard.training(self.x, np.float32(TAU), self.seed)
        u = self.hard.noise(B, self.seed).numpy()
        want = np_terms(self.hard.params.read(), self.hard.config, self.x, u,
                        np.float64(np.float32(TAU)))
        for k in TERMS:
            np.testing.assert_allclose(out[k].numpy(), want[k], rtol=2e-5, atol=2e-6, err_msg=k)

    def test_straight_through_helper_rounds_forward_and_passes_the_gradient(self):
        y = tf.Variable([0.0, 0.2, 0.5, 0.5000001, 0.9, 1.0])
        with tf.GradientTape() as tape:
            s = dist.straight_through(y)
            loss = tf.reduce_sum(s * tf.constant([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        np.testing.assert_array_equal(s.numpy(), [0, 0, 0, 1, 1, 1])  # round half to even
        np.testing.assert_array_equal(tape.gradient(loss, y).numpy(), [1, 2, 3, 4, 5, 6])


class UniformPriorTest(unittest.TestCase):
    """The public code's variant: -ELBO with a Bernoulli(1/2)^d prior, the KL in closed form."""

    @classmethod
    def setUpClass(cls):
        cls.model = randomised(small_config(seed=6, uniform_prior=True), rng_seed=3)
        cls.x = images(np.random.default_rng(5), B, (4, 4, 1))
        cls.seed = tf.constant([2, 3], tf.int64)

    def test_loss_is_the_reconstruction_plus_the_kl_to_one_half_per_bit(self):
        out = self.model.training(self.x, np.float32(TAU), self.seed)
        u = self.model.noise(B, self.seed).numpy()
        want = np_terms(self.model.params.read(), self.model.config, self.x, u,
                        np.float64(np.float32(TAU)))
        mu = np_sigmoid(want["logits"])
        kl = (mu * np.log(2 * mu) + (1 - mu) * np.log(2 * (1 - mu))).sum(1).mean()
        np.testing.assert_allclose(out["reconstruction"].numpy(), want["reconstruction"],
                                   rtol=2e-5)
        np.testing.assert_allclose(out["loss"].numpy(), want["reconstruction"] + kl, rtol=2e-5)
        self.assertAlmostEqual(float(out["log_p_z"]), -D_BITS * math.log(2), places=4)
        self.assertEqual((float(out["log_p_c"]), float(out["entropy_c"])), (0.0, 0.0))

    def test_adam_trains_all_but_the_mixture_and_the_twin_does_not_train_it(self):
        self.assertEqual(self.model.trainable_names,
                         [n for n in expected_names() if n not in ("pc_logits", "pz_logits")])
        with tf.GradientTape() as tape:
            loss = self.model.training(self.x, np.float32(TAU), self.seed)["loss"]
        grads = tape.gradient(loss, self.model.trainable)
        self.assertTrue(all(g is not None for g in grads))
        with self.assertRaisesRegex(ValueError, "uniform_prior"):
            T.VabTraining(self.model.config)

    def test_configs_written_before_the_switch_read_it_off(self):
        j = small_config().to_json()
        del j["uniformPrior"]
        self.assertFalse(VabConfig.from_json(j).uniform_prior)


# ---- inference: the vendor and the consumer ----------------------------------------------------


class InferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = small_config(seed=6)
        cls.model = randomised(cls.config, rng_seed=3)
        cls.w, encoder, decoder = np_model(cls.model.params.read(), cls.config)
        cls.np_decoder = staticmethod(decoder)
        cls.x = images(np.random.default_rng(8), 12, cls.config.input_shape)
        cls.out = {k: v.numpy() for k, v in cls.model.inference(cls.x).items()}
        cls.logits = encoder(cls.x.reshape(12, -1).astype(np.float64))

    def test_compress_gives_the_bits_of_positive_logits_as_uint8(self):
        bits = self.model.compress(self.x)
        self.assertEqual((bits.dtype, tuple(bits.shape)), (tf.uint8, (12, D_BITS)))
        np.testing.assert_array_equal(bits.numpy(), (self.logits > 0).astype(np.uint8))
        self.assertTrue(0 < bits.numpy().sum() < bits.numpy().size)

    def test_compress_thresholds_the_logit_where_sigmoid_rounds_to_one_half(self):
        m = Vab(small_config())
        m.params.all["qz_logits_kernel"].assign(np.zeros((6, D_BITS), np.float32))
        m.params.all["qz_logits_bias"].assign(np.array([1e-9, -1e-9, 0.0, 5.0, -5.0], np.float32))
        self.assertEqual(float(tf.math.sigmoid(tf.constant(1e-9))), 0.5)
        np.testing.assert_array_equal(m.compress(tf.zeros([1, 4, 4, 1])).numpy(),
                                      [[1, 0, 0, 1, 0]])

    def test_classify_bits_is_eq11_at_the_bits(self):
        bits = np.random.default_rng(2).integers(0, 2, (16, D_BITS)).astype(np.uint8)
        out = self.model.classify_bits(tf.constant(bits))
        q, _ = np_q_c_given_y(self.w, bits.astype(np.float64))
        np.testing.assert_allclose(out["probs"].numpy(), q, rtol=2e-5, atol=1e-7)
        self.assertEqual(out["cluster"].dtype, tf.int64)
        np.testing.assert_array_equal(out["cluster"].numpy(), q.argmax(1))
        self.assertGreater(len(set(q.argmax(1).tolist())), 1)

    def test_images_and_their_bits_give_the_same_clusters(self):
        from_bits = self.model.classify_bits(self.model.compress(self.x))
        np.testing.assert_array_equal(from_bits["cluster"].numpy(), self.out["cluster"])
        np.testing.assert_array_equal(from_bits["probs"].numpy(), self.out["probs"])

    def test_embedding_is_mu_and_reconstruction_the_decoder_at_the_bits(self):
        np.testing.assert_allclose(self.out["z"], np_sigmoid(self.logits), rtol=1e-5, atol=1e-7)
        bits = (self.logits > 0).astype(np.float64)
        want = np_sigmoid(self.np_decoder(bits)[0]).reshape(self.out["x_hat"].shape)
        np.testing.assert_allclose(self.out["x_hat"], want, rtol=1e-5, atol=1e-6)

    def test_decode_ignores_the_cluster_and_gives_reconstruct_at_the_bits(self):
        bits = tf.cast(self.model.compress(self.x), tf.float32)
        a = self.model.decode(bits, tf.zeros([12], tf.int32)).numpy()
        b = self.model.decode(bits, tf.fill([12], 2)).numpy()
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, self.out["x_hat"])

    def test_gaussian_reconstruction_is_the_mean(self):
        m = randomised(gaussian_config(seed=7), rng_seed=4)
        _, enc, dec = np_model(m.params.read(), m.config)
        x = images(np.random.default_rng(1), 3, (4, 4, 2))
        bits = (enc(x.reshape(3, -1).astype(np.float64)) > 0).astype(np.float64)
        np.testing.assert_allclose(m.inference(x)["x_hat"].numpy(),
                                   dec(bits)[0].reshape(3, 4, 4, 2), rtol=1e-5, atol=1e-6)

    def test_prior_is_mu_z_given_c_only(self):
        mean = self.model.prior(tf.constant([2, 0, 2], tf.int32))
        self.assertIsInstance(mean, tf.Tensor)
        np.testing.assert_allclose(mean.numpy(), np_sigmoid(self.w["pz_logits"][[2, 0, 2]]),
                                   rtol=1e-6)


# ---- export, the cross-check reference and training -------------------------------------------


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = randomised(small_config(seed=8), rng_seed=4)
        cls.path = os.path.join(cls.tmp.name, "export")
        E.export(cls.model, cls.path, "mnist", {"acc": 0.5})
        cls.loaded = tf.saved_model.load(cls.path, tags=[C.TAG])
        cls.x = tf.constant(images(np.random.default_rng(3), 9, (4, 4, 1)))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_signatures_are_the_common_ones_compress_and_classify_bits(self):
        s = self.loaded.signatures
        self.assertEqual(set(s), set(C.COMMON_SIGNATURES) | set(C.VAB_SIGNATURES))
        self.assertEqual(set(s[C.SIG_PRIOR].structured_outputs), {C.OUT_MEAN})
        compress = s[C.SIG_COMPRESS]
        self.assertEqual(set(compress.structured_input_signature[1]), {C.IN_X})
        spec = compress.structured_outputs[C.OUT_BITS]
        self.assertEqual((spec.dtype, spec.shape.as_list()), (tf.uint8, [None, D_BITS]))
        classify = s[C.SIG_CLASSIFY_BITS]
        spec = classify.structured_input_signature[1][C.IN_BITS]
        self.assertEqual((spec.dtype, spec.shape.as_list()), (tf.uint8, [None, D_BITS]))
        self.assertEqual(set(classify.structured_outputs), {C.OUT_PROBS, C.OUT_CLUSTER})

    def test_signatures_return_the_modules_own_outputs_exactly(self):
        s = self.loaded.signatures
        own = E.Serving(self.model).signatures()
        z = tf.constant(np.random.default_rng(5).uniform(size=(4, D_BITS)).astype(np.float32))
        k = tf.constant([0, 2, 1, 2], tf.int32)
        bits = tf.constant(np.random.default_rng(6).integers(0, 2, (4, D_BITS)), tf.uint8)
        calls = {C.SIG_ASSIGN: {"x": self.x}, C.SIG_EMBED: {"x": self.x},
                 C.SIG_RECONSTRUCT: {"x": self.x}, C.SIG_DECODE: {"z": z, "cluster": k},
                 C.SIG_PRIOR: {"cluster": k}, C.SIG_COMPRESS: {"x": self.x},
                 C.SIG_CLASSIFY_BITS: {"bits": bits}}
        self.assertEqual(set(own), set(calls))
        for name, kwargs in calls.items():
            got, want = s[name](**kwargs), own[name](**kwargs)
            self.assertEqual(set(got), set(want), name)
            for key in want:
                self.assertEqual(got[key].dtype, want[key].dtype, (name, key))
                np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), (name, key))

    def test_loaded_classify_bits_of_compress_is_serving_default(self):
        s = self.loaded.signatures
        bits = s[C.SIG_COMPRESS](x=self.x)[C.OUT_BITS]
        a, b = s[C.SIG_CLASSIFY_BITS](bits=bits), s[C.SIG_ASSIGN](x=self.x)
        np.testing.assert_array_equal(a[C.OUT_CLUSTER].numpy(), b[C.OUT_CLUSTER].numpy())
        np.testing.assert_array_equal(a[C.OUT_PROBS].numpy(), b[C.OUT_PROBS].numpy())
        np.testing.assert_array_equal(bits.numpy(), self.model.compress(self.x).numpy())

    def test_asset_names_vab_and_latent_dim_is_the_code_length(self):
        info = E.read_asset(self.path)
        self.assertEqual((info["model"], info["likelihood"], info["clusters"], info["latent_dim"],
                          info["input_shape"]), ("vab", "bernoulli", K, D_BITS, [4, 4, 1]))
        self.assertEqual(info["config"], self.model.config.to_json())

    def test_check_export_passes_and_matches_the_reference(self):
        problems, diffs = check_export.check(self.path)
        self.assertEqual(problems, [])
        self.assertEqual(set(diffs), {"serving_default.probs", "serving_default.cluster",
                                      "embed.z", "reconstruct.x_hat", "decode.x_hat",
                                      "prior.mean", "compress.bits", "classify_bits.probs",
                                      "classify_bits.cluster"})
        self.assertLess(max(diffs.values()), 1e-6)


MB, MT, MSEED = 4, 2, 11


class MakeTest(unittest.TestCase):
    """`crosscheck make --model vab --tiny --synthetic` (tau = make's default 0.8)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ref = os.path.join(cls.tmp.name, "ref")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = X.main(["make", "--model", "vab", "--tiny", "--synthetic", "--out", cls.ref,
                         "--batch-size", str(MB), "--steps", str(MT), "--seed", str(MSEED)])
        assert rc == 0, rc
        with open(os.path.join(cls.ref, X.MANIFEST), encoding="utf-8") as f:
            cls.manifest = json.load(f)
        cls.values = checkpoint.restore(os.path.join(cls.ref, X.REF))
        cls.config = VabConfig.from_json(cls.manifest["config"])
        cls.tau = np.float32(cls.manifest["temperature"])
        cls.model = Vab(cls.config)
        cls.model.params.assign({n: cls.values["init__" + n] for n in cls.model.params.all})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_tiny_config(self):
        c = self.config
        self.assertEqual((c.input_shape, c.clusters, c.bits, c.encoder_hidden, c.decoder_hidden,
                          c.batch_size, c.adam_epsilon, c.straight_through),
                         ((28, 28, 1), 10, 6, (16, 8), (8, 16), MB, X.CROSSCHECK_ADAM_EPSILON,
                          False))

    def test_manifest_names_shapes_and_the_temperature(self):
        c, p = self.config, self.model.params
        f32, img = "float32", list(c.input_shape)
        want = {"in__x": (f32, [MB, *img]), "in__x_train": (f32, [MT * MB, *img])}
        for n, v in p.all.items():
            want["init__" + n] = want["trained__" + n] = want["grad__" + n] = (f32, list(v.shape))
        for k in TRAINING_OUTPUTS[:-1]:
            want["out__" + k] = (f32, [])
        want["out__logits"] = (f32, [MB, c.bits])
        for prefix in ("out__", "trained_out__"):
            want[prefix + "probs"] = (f32, [MB, c.clusters])
            want[prefix + "cluster"] = ("int64", [MB])
            want[prefix + "z"] = (f32, [MB, c.bits])
            want[prefix + "x_hat"] = (f32, [MB, *img])
        got = {n: (s["dtype"], s["shape"]) for n, s in self.manifest["tensors"].items()}
        self.assertEqual(got, want)
        self.assertEqual((self.manifest["model"], self.manifest["temperature"],
                          self.manifest["init_not_from_seed"]), ("vab", 0.8, []))
        self.assertEqual(TRAINING_OUTPUTS, TERMS + ("logits",))

    def test_init_is_the_seeds(self):
        for n, v in Vab(self.config).params.read().items():
            np.testing.assert_array_equal(self.values["init__" + n], v, n)

    def test_forward_and_gradients_match_an_eager_run(self):
        v = self.values
        with tf.GradientTape() as tape:
            out = self.model.training(v["in__x"], self.tau, tf.constant([MSEED, 1], tf.int64))
        grads = tape.gradient(out["loss"], self.model.trainable)
        for k in TRAINING_OUTPUTS:
            want = out[k].numpy()
            self.assertLessEqual(np.max(np.abs(v["out__" + k] - want)),
                                 1e-5 * np.max(np.abs(want)) + 1e-7, k)
        for n, g in zip(self.model.trainable_names, grads):
            want = g.numpy()
            self.assertGreater(np.max(np.abs(want)), 0, n)
            self.assertLessEqual(np.max(np.abs(v["grad__" + n] - want)),
                                 1e-4 * np.max(np.abs(want)) + 1e-7, n)
        inf = E.inference_outputs(self.model, v["in__x"])
        np.testing.assert_array_equal(v["out__cluster"], inf["cluster"].numpy())

    def test_trained_weights_match_eager_adam_steps(self):
        model = Vab(self.config)
        model.params.assign({n: self.values["init__" + n] for n in model.params.all})
        adam = AdamStep(model.trainable, model.trainable_names, X.CROSSCHECK_ADAM_EPSILON)
        xt = self.values["in__x_train"]
        for t in range(1, MT + 1):
            with tf.GradientTape() as tape:
                out = model.training(xt[(t - 1) * MB:t * MB], self.tau,
                                     tf.constant([MSEED, t], tf.int64))
            adam.apply(tape, out["loss"], [], self.config.learning_rate, t)
        for n, v in model.params.read().items():
            want = self.values["trained__" + n]
            self.assertFalse(np.array_equal(want, self.values["init__" + n]), n)
            _common.assert_trained_close(self, v, want, self.config.learning_rate, MT, n)

    def test_python_export_passes_check_export_and_verify_passes_a_faithful_java_side(self):
        problems, _ = check_export.check(os.path.join(self.ref, X.PYTHON_EXPORT))
        self.assertEqual(problems, [])
        TC.fake_java_side(self.ref, {q: self.values["trained_out__" + q] for q in X.OUTPUTS})
        rc, out, err = TC.run_verify(self.ref)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(len([r for r in out.splitlines() if r.startswith("| vab |")]),
                         2 * len(X.OUTPUTS) + 1, out)


class TrainTest(unittest.TestCase):
    """Two epochs of the Python trainer on synthetic images (no MNIST needed)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="deepclust-vab-train-")
        x_test, x_train = X.synthetic(100, 2, 3)  # 100 and 200 images
        rng = np.random.default_rng(0)
        data = ((x_train, rng.integers(0, 10, len(x_train))),
                (x_test, rng.integers(0, 10, len(x_test))))
        overrides = dict(TINY, temperature_anneal_epochs=2, learning_rate_decay_epochs=1)
        cls.result = T.train("vab", cls.dir, epochs=2, batch_size=50, seed=5, data=data,
                             config_overrides=overrides, log=lambda s: None)
        with open(os.path.join(cls.dir, T.METRICS), encoding="utf-8") as f:
            cls.lines = [json.loads(line) for line in f if line.strip()]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_schedules_terms_and_psnr_are_logged_per_epoch(self):
        c = self.result["config"]
        self.assertEqual([l["phase"] for l in self.lines], ["train", "train"])
        self.assertEqual([l["temperature"] for l in self.lines], [1.0, c.temperature(1)])
        self.assertEqual([l["learning_rate"] for l in self.lines],
                         [c.learning_rate_at(0), c.learning_rate_at(1)])
        self.assertLess(self.lines[1]["learning_rate"], self.lines[0]["learning_rate"])
        for l in self.lines:
            for k in TERMS + ("test_acc", "test_psnr"):
                self.assertTrue(math.isfinite(l[k]), (k, l))
            self.assertEqual(l["step"], l["phase_epoch"] * 4)

    def test_export_has_the_vab_signatures(self):
        loaded = tf.saved_model.load(self.result["export"])
        for sig in C.COMMON_SIGNATURES + C.VAB_SIGNATURES:
            self.assertIn(sig, loaded.signatures)
        self.assertEqual(T.make_config("vab", seed=4, epochs=3, batch_size=50),
                         VabConfig(seed=4, epochs=3, batch_size=50))


class AugmentationLossTest(unittest.TestCase):
    """aug = w2 (issue 20), the Bernoulli analogue: L2 of q(c|mu) - q(c|mu^) (Eq. 11 at the code
    probabilities) + sum_j |mu_j - mu^_j|, each against numpy."""

    def test_terms_and_loss_match_numpy(self):
        c = small_config(aug="w2", augmentation="rotation")
        m = Vab(c)
        rng = np.random.default_rng(2)
        x = rng.uniform(0, 1, (B, 4, 4, 1)).astype(np.float32)
        x_aug = np.roll(x, 1, axis=2)
        out = m.training(x, np.float32(0.8), tf.constant([5, 3], tf.int64), x_aug,
                         np.float32(0.4))
        plain = m.training(x, np.float32(0.8), tf.constant([5, 3], tf.int64), x_aug, 0.0)
        w = {n: v.astype(np.float64) for n, v in m.params.read().items()}
        mu_c = 1 / (1 + np.exp(-w["pz_logits"]))
        log_pi = w["pc_logits"] - np.log(np.exp(w["pc_logits"]).sum())

        def posterior(images):
            mu = 1 / (1 + np.exp(-m.q_z_given_x(c.flatten(images)).numpy().astype(np.float64)))
            s = log_pi + mu @ np.log(mu_c).T + (1 - mu) @ np.log(1 - mu_c).T
            q = np.exp(s - s.max(1, keepdims=True))
            return q / q.sum(1, keepdims=True), mu

        (q, mu), (q_aug, mu_aug) = posterior(x), posterior(x_aug)
        l2 = ((q - q_aug) ** 2).sum(1).mean()
        w2 = np.abs(mu - mu_aug).sum(1).mean()
        np.testing.assert_allclose(out["aug_l2"].numpy(), l2, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(out["aug_w2"].numpy(), w2, rtol=1e-4)
        np.testing.assert_allclose(out["loss"].numpy(), plain["loss"].numpy() + 0.4 * (l2 + w2),
                                   rtol=1e-5)
        self.assertGreater(w2, 1e-3)
        self.assertEqual(c.terms[-2:], ("aug_l2", "aug_w2"))

    def test_the_uniform_prior_takes_no_augmentation_loss(self):
        with self.assertRaisesRegex(ValueError, "needs the mixture prior"):
            small_config(aug="w2", uniform_prior=True)


if __name__ == "__main__":
    unittest.main()
