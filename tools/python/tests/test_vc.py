"""Variational Clustering: the config (defaults, schedules, JSON), variables and layer shapes of the
MNIST and 32x32x3 architectures, conv and transposed-conv layers and the rank-4 Glorot rule, every
loss term and the inference branch against an independent numpy float64 forward pass, gradients
against central differences of that forward pass, the stop-gradient target of L_aug, and
export -> load (prior_mix) and `crosscheck make --model vc --tiny --synthetic`."""

import contextlib
import io
import json
import math
import os
import tempfile
import unittest

import _common  # the import path, TF logging, assert_trained_close
import numpy as np
import tensorflow as tf

import test_crosscheck as TC
from deepclust_ref import check_export
from deepclust_ref import checkpoint
from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import export as E
from deepclust_ref import layers
from deepclust_ref import params as P
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.vc import TRAINING_OUTPUTS, ConvSpec, Vc, VcConfig, conv

K, Z, B = 3, 2, 4


def small_config(seed=3, **kw):
    """6x6x1 -> 4x4x3 (s1 V) -> 1x1x4 (s2 V); decoder 2x2x2 -> 4x4x3 (s2 S) -> 6x6x1 (s1 V)."""
    args = dict(seed=seed, input_shape=(6, 6, 1), clusters=K, latent_dim=Z,
                encoder_convs=(conv(3, 1, "valid"), conv(4, 2, "valid")),
                posterior_hidden=(5,), prior_hidden=(3,), decoder_dense=(6, 8),
                decoder_reshape=(2, 2, 2),
                decoder_deconvs=(conv(3, 2, "same"), conv(1, 1, "valid")), batch_size=B,
                recons_scale_schedule=(0.5,))
    args.update(kw)
    return VcConfig(**args)


def gaussian_config(seed=4, **kw):
    """As `small_config` with two channels, leaky ReLU and the Gaussian likelihood."""
    return small_config(seed, input_shape=(6, 6, 2),
                        decoder_deconvs=(conv(3, 2, "same"), conv(2, 1, "valid")),
                        activation="leaky_relu", likelihood="gaussian", **kw)


def randomised(config, rng_seed=0):
    """The config's model with biases moved off zero, so a test sees each one's effect."""
    model = Vc(config)
    rng = np.random.default_rng(rng_seed)
    for n, v in model.params.all.items():
        if n.endswith("_bias"):
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    return model


# ---- an independent numpy forward pass (float64) ---------------------------------------------


def np_softplus(a):
    return np.logaddexp(0.0, a)


def np_conv2d(x, w, b, stride, padding):
    """x [B, H, W, in], w [k, k, in, out]: the sum over kernel taps of strided patches."""
    n, h, wd, _ = x.shape
    k = w.shape[0]
    if padding == "same":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph, pw = max((oh - 1) * stride + k - h, 0), max((ow - 1) * stride + k - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
    out = np.zeros((n, oh, ow, w.shape[3]))
    for a in range(k):
        for c in range(k):
            out += x[:, a:a + stride * (oh - 1) + 1:stride, c:c + stride * (ow - 1) + 1:stride] \
                @ w[a, c]
    return out + b


def np_conv2d_transpose(x, w, b, stride, padding):
    """x [B, h, w, in], w [k, k, out, in]: each input pixel scatters x . W[a, c]^T to (i s + a,
    j s + c); SAME crops the full output from the top/left padding of the forward conv."""
    n, h, wd, _ = x.shape
    k, co = w.shape[0], w.shape[2]
    full = np.zeros((n, (h - 1) * stride + k, (wd - 1) * stride + k, co))
    for a in range(k):
        for c in range(k):
            full[:, a:a + stride * (h - 1) + 1:stride, c:c + stride * (wd - 1) + 1:stride] += \
                x @ w[a, c].T
    if padding == "same":
        oh, ow = h * stride, wd * stride
        top, left = max((h - 1) * stride + k - oh, 0) // 2, max((wd - 1) * stride + k - ow, 0) // 2
        assert full.shape[1] >= top + oh and full.shape[2] >= left + ow
        full = full[:, top:top + oh, left:left + ow]
    return full + b


def np_model(w, c):
    """The model's sub-networks written again in numpy from docs/models.md."""
    w = {n: np.asarray(v, np.float64) for n, v in w.items()}
    k = c.clusters

    def act(a):
        return np.maximum(a, 0.0) if c.activation == "relu" else np.where(a > 0, a, 0.2 * a)

    def dense(name, a):
        return a @ w[name + "_kernel"] + w[name + "_bias"]

    def sigma(a):
        s = np_softplus(a) + 1e-4
        return np.sqrt(s) if c.softplus_variance else s

    def posterior(x):
        h = x.astype(np.float64)
        if c.backbone == "mlp":  # the dense trunk 500-500-2000 on the pixels
            h = h.reshape(len(x), -1)
            for i in (1, 2, 3):
                h = act(dense("qk_%d" % i, h))
        for i, s in enumerate(() if c.backbone == "mlp" else c.encoder_convs):
            n = "qk_conv%d" % (i + 1)
            h = act(np_conv2d(h, w[n + "_kernel"], w[n + "_bias"], s.stride, s.padding))
        f = h.reshape(len(x), -1)
        logits = dense("qk_logits", f)
        if c.posterior_from_pixels:
            f = x.reshape(len(x), -1).astype(np.float64)
        rows = np.concatenate([np.repeat(f[:, None], k, 1),
                               np.broadcast_to(np.eye(k), (len(x), k, k))], 2)
        h = rows.reshape(len(x) * k, -1)
        for i in range(len(c.posterior_hidden)):
            h = act(dense("qz_%d" % (i + 1), h))
        mean = dense("qz_mean", h).reshape(len(x), k, -1)
        sd = sigma(dense("qz_sd", h)).reshape(len(x), k, -1)
        log_q = logits - logits.max(1, keepdims=True)
        log_q = log_q - np.log(np.exp(log_q).sum(1, keepdims=True))
        return logits, log_q, mean, sd

    def prior(e):
        h = e
        for i in range(len(c.prior_hidden)):
            h = act(dense("pz_%d" % (i + 1), h))
        return dense("pz_mean", h), sigma(dense("pz_sd", h))

    def decoder(z):
        h = z
        if c.backbone == "mlp":  # dense 2000-500-500, then dense outputs over the pixels
            for i in (1, 2, 3):
                h = act(dense("px_%d" % i, h))
            var = None
            if c.likelihood == "gaussian":
                var = (np_softplus(dense("px_var", h)) + 1e-4).reshape(len(z), *c.input_shape)
            return dense("px_mean", h).reshape(len(z), *c.input_shape), var
        for i in range(len(c.decoder_dense)):
            h = act(dense("px_%d" % (i + 1), h))
        h = h.reshape(len(z), *c.decoder_reshape)
        for i, s in enumerate(c.decoder_deconvs[:-1]):
            n = "px_deconv%d" % (i + 1)
            h = act(np_conv2d_transpose(h, w[n + "_kernel"], w[n + "_bias"], s.stride, s.padding))
        s = c.decoder_deconvs[-1]
        out = np_conv2d_transpose(h, w["px_mean_kernel"], w["px_mean_bias"], s.stride, s.padding)
        var = None
        if c.likelihood == "gaussian":
            var = np_softplus(np_conv2d_transpose(h, w["px_var_kernel"], w["px_var_bias"],
                                                  s.stride, s.padding)) + 1e-4
        return out, var

    return posterior, prior, decoder


def np_terms(w, c, x, x_aug, eps, recons_scale, aug_weight, eps_aug=None):
    """Every term of Eq. 18 as docs/models.md defines it, [B]-means, float64; with
    `elbo_on_augmented` the ELBO terms are the means of x's (noise eps) and x_aug's (eps_aug)."""
    t = np_elbo(w, c, x, eps)
    if c.elbo_on_augmented:
        on_aug = np_elbo(w, c, x_aug, eps_aug)
        for key in ("reconstruction", "entropy", "gaussian_kl"):
            t[key] = 0.5 * (t[key] + on_aug[key])
    posterior = np_model(w, c)[0]
    q, mean, sd = np.exp(t.pop("log_q")), t.pop("mean"), t.pop("sd")
    _, log_q_a, mean_a, sd_a = posterior(x_aug)
    q_a = np.exp(log_q_a)
    w2 = ((mean - mean_a) ** 2).sum(-1) + ((sd - sd_a) ** 2).sum(-1)
    t.update({"aug_l2": ((q - q_a) ** 2).sum(1).mean(), "aug_w2": (q * w2).sum(1).mean()})
    t["loss"] = (recons_scale * t["reconstruction"] - t["entropy"] + t["gaussian_kl"]
                 + aug_weight * (t["aug_l2"] + t["aug_w2"]))
    return t


def np_elbo(w, c, x, eps):
    """The ELBO's terms on x ([B]-means) with the posterior's logits, log q, mean and sd."""
    posterior, prior, decoder = np_model(w, c)
    k = c.clusters
    x = x.astype(np.float64)
    logits, log_q, mean, sd = posterior(x)
    q = np.exp(log_q)
    pm, ps = prior(np.eye(k))
    z = mean + sd * eps
    out, var = decoder(z.reshape(len(x) * k, -1))
    xr = np.repeat(x[:, None], k, 1).reshape(out.shape)
    if var is None:
        p = 1 / (1 + np.exp(-out))
        per = -(xr * np.log(p) + (1 - xr) * np.log(1 - p))
    else:
        per = 0.5 * (np.log(2 * np.pi) + np.log(var) + (xr - out) ** 2 / var)
    rec = per.reshape(len(x), k, -1).sum(-1)                                   # [B, K]
    kl = (np.log(ps) - np.log(sd) + (sd ** 2 + (mean - pm) ** 2) / (2 * ps ** 2) - 0.5).sum(-1)
    return {"reconstruction": (q * rec).sum(1).mean(), "entropy": -(q * log_q).sum(1).mean(),
            "gaussian_kl": (q * kl).sum(1).mean(), "logits": logits, "log_q": log_q,
            "mean": mean, "sd": sd}


def images(rng, n, shape):
    return rng.uniform(0, 1, (n, *shape)).astype(np.float32)


# ---- config ------------------------------------------------------------------------------------


JAVA_KEYS = ["inputShape", "clusters", "latentDim", "encoderConvs", "posteriorHidden",
             "priorHidden", "decoderDense", "decoderReshape", "decoderDeconvs", "activation",
             "likelihood", "learningRate", "adamEpsilon", "batchSize", "epochs", "reconsScale",
             "augWeight", "augTargetStopGradient", "augmentation", "posteriorFromPixels",
             "elboOnAugmented", "softplusVariance", "seed", "backbone"]


class ConfigTest(unittest.TestCase):
    def test_mnist_defaults_are_the_docs(self):
        c = VcConfig.mnist(1)
        self.assertEqual((c.input_shape, c.clusters, c.latent_dim, c.activation, c.likelihood,
                          c.learning_rate, c.adam_epsilon, c.batch_size, c.epochs),
                         ((28, 28, 1), 10, 32, "relu", "bernoulli", 1e-3, 1e-8, 100, 100))
        self.assertEqual([(s.filters, s.kernel, s.stride, s.padding) for s in c.encoder_convs],
                         [(64, 3, 1, "valid")] * 3 + [(128, 3, 2, "valid")]
                         + [(128, 3, 1, "valid")] * 2 + [(256, 3, 2, "valid")])
        self.assertEqual([(s.filters, s.stride, s.padding) for s in c.decoder_deconvs],
                         [(128, 2, "same"), (128, 1, "valid"), (128, 1, "valid"), (64, 1, "valid"),
                          (64, 2, "same"), (64, 1, "valid"), (1, 1, "valid")])
        self.assertEqual((c.posterior_hidden, c.prior_hidden, c.decoder_dense, c.decoder_reshape),
                         ((256, 512), (), (512, 2304), (3, 3, 256)))
        self.assertEqual((c.recons_scale_schedule, c.aug_weight_schedule,
                          c.aug_target_stop_gradient, c.augmentation),
                         ((0.5,), (0.01, 40.0, 0.5, 80.0, 1.0), False, "rotation"))
        self.assertEqual(c.feature_dim, 1024)

    def test_rgb32_variant_is_the_docs(self):
        c = VcConfig.rgb32(1)
        self.assertEqual((c.input_shape, c.activation, c.likelihood, c.learning_rate,
                          c.batch_size, c.recons_scale_schedule, c.prior_hidden,
                          c.posterior_hidden, c.decoder_dense, c.decoder_reshape),
                         ((32, 32, 3), "leaky_relu", "gaussian", 1e-4, 30, (0.5, 40.0, 0.1),
                          (64, 64), (512, 512), (3072,), (4, 4, 192)))
        self.assertEqual(c.augmentation, "affine_flip")
        self.assertEqual(c.feature_dim, 4 * 4 * 192)

    def test_for_shape_picks_the_architecture(self):
        self.assertEqual(VcConfig.for_shape([28, 28, 1], 5), VcConfig.mnist(5))
        self.assertEqual(VcConfig.for_shape((32, 32, 3), 5), VcConfig.rgb32(5))
        with self.assertRaises(ValueError):
            VcConfig.for_shape((28, 28, 3), 5)

    def test_fashion_mnist_takes_brightness_and_binarisation(self):
        c = VcConfig.mnist(5)
        self.assertEqual(c.for_dataset("fashion-mnist").augmentation, "brightness_binarise")
        self.assertEqual(c.for_dataset("fashion"), c.for_dataset("fashion-mnist"))
        self.assertIs(c.for_dataset("mnist"), c)

    def test_schedules_switch_at_their_epochs(self):
        c = VcConfig.mnist(1)
        self.assertEqual([c.aug_weight(e) for e in (0, 39, 40, 79, 80, 99)],
                         [0.01, 0.01, 0.5, 0.5, 1.0, 1.0])
        self.assertEqual({c.recons_scale(e) for e in range(100)}, {0.5})
        r = VcConfig.rgb32(1)
        self.assertEqual([r.recons_scale(e) for e in (0, 39, 40, 99)], [0.5, 0.5, 0.1, 0.1])

    def test_json_has_javas_keys_in_record_order_and_round_trips(self):
        for c in (VcConfig.mnist(9), VcConfig.rgb32(9),
                  small_config(aug_target_stop_gradient=True, augmentation="none")):
            j = c.to_json()
            self.assertEqual(list(j), JAVA_KEYS)
            self.assertEqual(list(j["encoderConvs"][0]), ["filters", "kernel", "stride", "padding"])
            self.assertEqual(VcConfig.from_json(json.loads(json.dumps(j))), c)
        j = VcConfig.mnist(9).to_json()
        self.assertEqual(j["augWeight"], [0.01, 40.0, 0.5, 80.0, 1.0])
        self.assertEqual(j["reconsScale"], [0.5])

    def test_invalid_settings_are_refused(self):
        bad = [dict(clusters=1), dict(activation="tanh"), dict(likelihood="poisson"),
               dict(recons_scale_schedule=(0.5, 40.0)),
               dict(aug_weight_schedule=(0.1, 40.0, 0.5, 30.0, 1.0)),
               dict(aug_weight_schedule=(0.1, 0.0, 0.5)), dict(recons_scale_schedule=(-1.0,)),
               dict(decoder_reshape=(2, 2, 3)), dict(decoder_deconvs=(conv(3, 2, "same"),
                                                                      conv(1, 2, "valid"))),
               dict(encoder_convs=(conv(3, 1, "valid"),) * 3), dict(latent_dim=0),
               dict(augmentation="mixup")]
        for kw in bad:
            with self.assertRaises(ValueError, msg=str(kw)):
                small_config(**kw)
        with self.assertRaises(ValueError):
            ConvSpec(3, 3, 1, "VALID")


# ---- variables and shapes ----------------------------------------------------------------------


def expected_names(convs, post, prior, dense, deconvs, gaussian):
    names = ["qk_conv%d" % i for i in range(1, convs + 1)] + ["qk_logits"]
    names += ["qz_%d" % i for i in range(1, post + 1)] + ["qz_mean", "qz_sd"]
    names += ["pz_%d" % i for i in range(1, prior + 1)] + ["pz_mean", "pz_sd"]
    names += ["px_%d" % i for i in range(1, dense + 1)]
    names += ["px_deconv%d" % i for i in range(1, deconvs + 1)] + ["px_mean"]
    names += ["px_var"] if gaussian else []
    return [n + s for n in names for s in ("_kernel", "_bias")]


class MnistShapesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = VcConfig.mnist(1)
        cls.model = Vc(cls.config)

    def test_names_order_and_shapes_are_the_docs(self):
        m = self.model
        self.assertEqual(list(m.params.all), expected_names(7, 2, 0, 2, 6, False))
        self.assertEqual(m.trainable_names, list(m.params.all))
        shapes = {n[:-len("_kernel")]: tuple(v.shape) for n, v in m.params.all.items()
                  if n.endswith("_kernel")}
        want = {"qk_conv1": (3, 3, 1, 64), "qk_conv2": (3, 3, 64, 64), "qk_conv3": (3, 3, 64, 64),
                "qk_conv4": (3, 3, 64, 128), "qk_conv5": (3, 3, 128, 128),
                "qk_conv6": (3, 3, 128, 128), "qk_conv7": (3, 3, 128, 256),
                "qk_logits": (1024, 10), "qz_1": (1034, 256), "qz_2": (256, 512),
                "qz_mean": (512, 32), "qz_sd": (512, 32), "pz_mean": (10, 32), "pz_sd": (10, 32),
                "px_1": (32, 512), "px_2": (512, 2304), "px_deconv1": (3, 3, 128, 256),
                "px_deconv2": (3, 3, 128, 128), "px_deconv3": (3, 3, 128, 128),
                "px_deconv4": (3, 3, 64, 128), "px_deconv5": (3, 3, 64, 64),
                "px_deconv6": (3, 3, 64, 64), "px_mean": (3, 3, 1, 64)}
        self.assertEqual(shapes, want)
        for n, kernel in want.items():
            # Transposed-conv kernels are [k, k, out, in]; the others end with out.
            out = kernel[2] if n.startswith(("px_deconv", "px_mean")) else kernel[-1]
            bias = m.params.all[n + "_bias"].numpy()
            self.assertEqual(bias.shape, (out,), n)
            self.assertFalse(bias.any(), n)

    def test_trunk_is_28_26_24_22_10_8_6_2(self):
        self.assertEqual([s[0] for s in self.config.trunk_shapes()], [26, 24, 22, 10, 8, 6, 2])
        h = tf.constant(images(np.random.default_rng(0), 2, (28, 28, 1)))
        seen = [h.shape[1]]
        channels = 1
        for i, s in enumerate(self.config.encoder_convs):
            h = layers.conv2d(self.model.params, "qk_conv%d" % (i + 1), h, s.kernel, channels,
                              s.filters, s.stride, s.padding)
            channels = s.filters
            self.assertEqual(tuple(h.shape[1:]), self.config.trunk_shapes()[i])
            seen.append(h.shape[1])
        self.assertEqual(seen, [28, 26, 24, 22, 10, 8, 6, 2])
        self.assertEqual(tuple(self.model.trunk(tf.zeros([2, 28, 28, 1])).shape), (2, 1024))

    def test_decoder_is_3_6_8_10_12_24_26_28(self):
        self.assertEqual([s[0] for s in self.config.decoder_shapes()],
                         [3, 6, 8, 10, 12, 24, 26, 28])
        h = tf.zeros([2, 3, 3, 256])
        channels = 256
        seen = [3]
        for i, s in enumerate(self.config.decoder_deconvs[:-1]):
            h = layers.conv2d_transpose(self.model.params, "px_deconv%d" % (i + 1), h, s.kernel,
                                        channels, s.filters, s.stride, s.padding)
            channels = s.filters
            self.assertEqual(tuple(h.shape[1:]), self.config.decoder_shapes()[i + 1])
            seen.append(h.shape[1])
        self.assertEqual(seen, [3, 6, 8, 10, 12, 24, 26])
        out = self.model.p_x_given_z(tf.zeros([5, 32]))
        self.assertEqual(tuple(out["mean_or_logits"].shape), (5, 28, 28, 1))
        self.assertIsNone(out["variance"])

    def test_the_training_branch_runs_on_the_paper_sizes(self):
        x = images(np.random.default_rng(1), 2, (28, 28, 1))
        out = self.model.training(x, np.roll(x, 1, axis=2), tf.constant([1, 1], tf.int64), 0.5,
                                  1.0)
        self.assertEqual(tuple(out["logits"].shape), (2, 10))
        for k in ("loss", "reconstruction", "entropy", "gaussian_kl", "aug_l2", "aug_w2"):
            self.assertEqual(out[k].shape.rank, 0, k)
            self.assertTrue(np.isfinite(out[k].numpy()), k)


class Rgb32ShapesTest(unittest.TestCase):
    def test_names_and_the_decoder_ends_at_32x32x3(self):
        c = VcConfig.rgb32(1)
        m = Vc(c)
        self.assertEqual(list(m.params.all), expected_names(6, 2, 2, 1, 6, True))
        self.assertEqual([s[0] for s in c.trunk_shapes()], [30, 28, 13, 11, 9, 4])
        self.assertEqual([s[:2] for s in c.decoder_shapes()],
                         [(4, 4), (9, 9), (11, 11), (13, 13), (26, 26), (28, 28), (30, 30),
                          (32, 32)])
        out = m.p_x_given_z(tf.zeros([2, 32]))
        self.assertEqual(tuple(out["mean_or_logits"].shape), (2, 32, 32, 3))
        self.assertEqual(tuple(out["variance"].shape), (2, 32, 32, 3))
        self.assertEqual(tuple(m.params.all["pz_1_kernel"].shape), (10, 64))
        self.assertEqual(tuple(m.params.all["px_var_kernel"].shape), (3, 3, 3, 96))
        inf = m.inference(images(np.random.default_rng(2), 2, (32, 32, 3)))
        self.assertEqual(tuple(inf["x_hat"].shape), (2, 32, 32, 3))


class GlorotTest(unittest.TestCase):
    def test_rank4_fans_count_the_receptive_field(self):
        p = P.Params(6)
        p.get("a", (4, 4), P.GLOROT_UNIFORM, True)
        v = p.get("conv", (3, 3, 4, 8), P.GLOROT_UNIFORM, True)
        u = tf.random.stateless_uniform([3, 3, 4, 8], seed=tf.constant([6, P.name_key("conv")], tf.int64)).numpy()
        limit = np.float32(math.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8)))
        np.testing.assert_array_equal(v.numpy(), (u * 2 - 1) * limit)
        self.assertLessEqual(np.abs(v.numpy()).max(), limit)

    def test_ranks_up_to_three_are_unchanged(self):
        p = P.Params(2)
        v3 = p.get("b", (3, 5, 7), P.GLOROT_UNIFORM, True)
        u = tf.random.stateless_uniform([3, 5, 7], seed=tf.constant([2, P.name_key("b")], tf.int64)).numpy()
        np.testing.assert_array_equal(v3.numpy(),
                                      (u * 2 - 1) * np.float32(math.sqrt(6.0 / (5 + 7))))


class ConvLayersTest(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(5)
        self.p = P.Params(1)

    def test_conv2d_matches_numpy_for_valid_and_same_strides(self):
        x = self.rng.normal(size=(2, 7, 7, 2)).astype(np.float32)
        for i, (s, pad) in enumerate([(1, "valid"), (2, "valid"), (2, "same"), (1, "same")]):
            name = "c%d" % i
            layers.conv2d(self.p, name, tf.constant(x), 3, 2, 4, s, pad)
            self.p.all[name + "_bias"].assign(self.rng.normal(size=4).astype(np.float32))
            y = layers.conv2d(self.p, name, tf.constant(x), 3, 2, 4, s, pad).numpy()
            want = np_conv2d(x.astype(np.float64), self.p.all[name + "_kernel"].numpy(),
                             self.p.all[name + "_bias"].numpy(), s, pad)
            self.assertEqual(y.shape, want.shape, (s, pad))
            self.assertEqual(y.shape[1], layers.conv_out(7, 3, s, pad))
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5, err_msg=str((s, pad)))

    def test_conv2d_transpose_matches_numpy_and_its_output_size(self):
        x = self.rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
        for i, (s, pad, size) in enumerate([(1, "valid", 5), (2, "valid", 7), (2, "same", 6),
                                            (1, "same", 3)]):
            name = "t%d" % i
            layers.conv2d_transpose(self.p, name, tf.constant(x), 3, 4, 2, s, pad)
            self.assertEqual(tuple(self.p.all[name + "_kernel"].shape), (3, 3, 2, 4))
            self.p.all[name + "_bias"].assign(self.rng.normal(size=2).astype(np.float32))
            y = layers.conv2d_transpose(self.p, name, tf.constant(x), 3, 4, 2, s, pad).numpy()
            want = np_conv2d_transpose(x.astype(np.float64), self.p.all[name + "_kernel"].numpy(),
                                       self.p.all[name + "_bias"].numpy(), s, pad)
            self.assertEqual(y.shape, (2, size, size, 2), (s, pad))
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5, err_msg=str((s, pad)))

    def test_conv2d_transpose_takes_any_batch_size_in_a_graph(self):
        p = self.p
        layers.conv2d_transpose(p, "d", tf.zeros([1, 3, 3, 4]), 3, 4, 2, 2, "same")

        @tf.function(input_signature=[tf.TensorSpec([None, 3, 3, 4], tf.float32)])
        def f(x):
            return layers.conv2d_transpose(p, "d", x, 3, 4, 2, 2, "same")

        for n in (1, 5):
            self.assertEqual(tuple(f(tf.zeros([n, 3, 3, 4])).shape), (n, 6, 6, 2))


# ---- the loss, inference and gradients ---------------------------------------------------------


class _LossCase:
    """Every term of the training branch against `np_terms` on one small config."""

    config = None

    @classmethod
    def setUpClass(cls):
        cls.model = randomised(cls.config, rng_seed=1)
        cls.w = cls.model.params.read()
        rng = np.random.default_rng(7)
        shape = cls.config.input_shape
        cls.x = images(rng, B, shape)
        cls.x_aug = np.clip(cls.x + rng.normal(0, 0.2, cls.x.shape), 0, 1).astype(np.float32)
        cls.seed = tf.constant([9, 4], tf.int64)
        cls.out = {k: v.numpy() for k, v in cls.model.training(
            cls.x, cls.x_aug, cls.seed, np.float32(0.5), np.float32(0.7)).items()}
        cls.eps = cls.model.noise(B, cls.seed).numpy().astype(np.float64)
        # x_aug's noise with elbo_on_augmented: seed [s, -(2t + 1)].
        cls.eps_aug = tf.random.stateless_normal(
            [B, K, Z], seed=tf.constant([9, -9], tf.int64)).numpy().astype(np.float64)
        cls.want = np_terms(cls.w, cls.config, cls.x, cls.x_aug, cls.eps, 0.5, 0.7, cls.eps_aug)

    def test_noise_is_stateless_normal_b_k_z_at_s_2t_plus_1(self):
        want = tf.random.stateless_normal([B, K, Z], seed=tf.constant([9, 9], tf.int64)).numpy()
        np.testing.assert_array_equal(self.eps, want)

    def test_every_term_matches_numpy(self):
        for k in ("reconstruction", "entropy", "gaussian_kl", "aug_l2", "aug_w2", "loss",
                  "logits"):
            np.testing.assert_allclose(self.out[k], self.want[k], rtol=2e-5, atol=1e-6,
                                       err_msg=k)
        self.assertGreater(self.want["aug_l2"], 1e-6)
        self.assertGreater(self.want["aug_w2"], 1e-4)

    def test_loss_is_eq18_of_the_reported_terms(self):
        o = self.out
        self.assertAlmostEqual(float(o["loss"]), 0.5 * o["reconstruction"] - o["entropy"]
                               + o["gaussian_kl"] + 0.7 * (o["aug_l2"] + o["aug_w2"]), places=3)

    def test_gradients_match_central_differences_of_the_numpy_loss(self):
        with tf.GradientTape() as tape:
            out = self.model.training(self.x, self.x_aug, self.seed, np.float32(0.5),
                                      np.float32(0.7))
        grads = dict(zip(self.model.trainable_names,
                         tape.gradient(out["loss"], self.model.trainable)))
        rng = np.random.default_rng(3)
        h = 1e-6
        for n, g in grads.items():
            g = g.numpy()
            for _ in range(2):
                idx = tuple(int(rng.integers(0, d)) for d in g.shape)
                w = {m: v.astype(np.float64) for m, v in self.w.items()}
                w[n] = w[n].copy()
                w[n][idx] += h
                up = np_terms(w, self.config, self.x, self.x_aug, self.eps, 0.5, 0.7,
                              self.eps_aug)["loss"]
                w[n][idx] -= 2 * h
                down = np_terms(w, self.config, self.x, self.x_aug, self.eps, 0.5, 0.7,
                                self.eps_aug)["loss"]
                fd = (up - down) / (2 * h)
                self.assertLessEqual(abs(g[idx] - fd), 1e-3 * max(1.0, abs(fd)), (n, idx))


class BernoulliLossTest(_LossCase, unittest.TestCase):
    config = small_config()


class GaussianLossTest(_LossCase, unittest.TestCase):
    config = gaussian_config()


class ReadingsLossTest(_LossCase, unittest.TestCase):
    """The three readings switches of issue 19 on: q(z|x,k) from the pixels, the ELBO on x and
    x_aug, softplus giving the variance."""
    config = small_config(posterior_from_pixels=True, elbo_on_augmented=True,
                          softplus_variance=True)

    def test_qz_1_takes_the_pixels_and_the_one_hot(self):
        self.assertEqual(tuple(self.model.params.all["qz_1_kernel"].shape), (36 + K, 5))

    def test_the_switches_change_the_loss(self):
        # The same weights (the pixel rows need their own qz_1) with the other two switches off.
        off = np_terms(self.w, small_config(posterior_from_pixels=True), self.x, self.x_aug,
                       self.eps, 0.5, 0.7)
        self.assertGreater(abs(off["loss"] - self.want["loss"]), 1e-3)


class MlpBackboneLossTest(_LossCase, unittest.TestCase):
    """The mlp backbone (issue 20): dense nets in place of Table II's, every term and gradient
    against numpy; Gaussian, so that px_var is dense too."""
    config = gaussian_config(backbone="mlp")

    def test_the_dense_nets_replace_the_conv_ones(self):
        shapes = {n: tuple(v.shape) for n, v in self.model.params.all.items()}
        self.assertFalse([n for n in shapes if "conv" in n])
        self.assertEqual([shapes["qk_%d_kernel" % i] for i in (1, 2, 3)],
                         [(72, 500), (500, 500), (500, 2000)])
        self.assertEqual(shapes["qk_logits_kernel"], (2000, K))
        self.assertEqual([shapes["px_%d_kernel" % i] for i in (1, 2, 3)],
                         [(Z, 2000), (2000, 500), (500, 500)])
        self.assertEqual((shapes["px_mean_kernel"], shapes["px_var_kernel"]),
                         ((500, 72), (500, 72)))


class AugTargetTest(unittest.TestCase):
    def grads_wrt_inputs(self, stop):
        model = randomised(small_config(aug_target_stop_gradient=stop), rng_seed=2)
        rng = np.random.default_rng(4)
        x = tf.constant(images(rng, B, (6, 6, 1)))
        x_aug = tf.constant(images(rng, B, (6, 6, 1)))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, x_aug])
            out = model.training(x, x_aug, tf.constant([1, 1], tf.int64), 0.5, 1.0)
        g = {}
        for term in ("aug_w2", "aug_l2"):
            for name, t in (("x", x), ("x_aug", x_aug)):
                d = tape.gradient(out[term], t)
                g[term, name] = 0.0 if d is None else float(np.abs(d.numpy()).max())
        return g, out

    def test_with_a_stop_gradient_target_only_the_augmented_branch_learns_from_l_aug(self):
        g, out = self.grads_wrt_inputs(True)
        self.assertEqual((g["aug_w2", "x"], g["aug_l2", "x"]), (0.0, 0.0))
        self.assertGreater(g["aug_w2", "x_aug"], 0.0)
        self.assertGreater(g["aug_l2", "x_aug"], 0.0)
        g_both, out_both = self.grads_wrt_inputs(False)
        self.assertGreater(g_both["aug_w2", "x"], 0.0)
        self.assertGreater(g_both["aug_l2", "x"], 0.0)
        self.assertEqual(float(out["loss"]), float(out_both["loss"]))  # the same forward value


class InferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = gaussian_config(seed=6)
        cls.model = randomised(cls.config, rng_seed=3)
        cls.w = cls.model.params.read()
        cls.x = images(np.random.default_rng(8), 5, cls.config.input_shape)
        cls.out = {k: v.numpy() for k, v in cls.model.inference(cls.x).items()}
        cls.nets = np_model(cls.w, cls.config)  # (posterior, prior, decoder)

    def test_probs_cluster_embedding_and_reconstruction_match_numpy(self):
        logits, log_q, mean, _ = self.nets[0](self.x)
        cluster = logits.argmax(1)
        np.testing.assert_allclose(self.out["probs"], np.exp(log_q), rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(self.out["cluster"], cluster)
        self.assertEqual(self.out["cluster"].dtype, np.int64)
        z = mean[np.arange(5), cluster]
        np.testing.assert_allclose(self.out["z"], z, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(self.out["x_hat"], self.nets[2](z)[0], rtol=1e-5, atol=1e-5)

    def test_decode_is_the_decoders_mean_whatever_the_cluster(self):
        z = tf.constant(self.out["z"])
        a = self.model.decode(z, tf.constant([0, 1, 2, 0, 1], tf.int32)).numpy()
        b = self.model.decode(z, tf.constant([2, 2, 2, 2, 2], tf.int32)).numpy()
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, self.out["x_hat"], rtol=1e-6, atol=1e-7)

    def test_bernoulli_reconstruction_is_the_sigmoid_of_the_logits(self):
        model = randomised(small_config(seed=7), rng_seed=5)
        x = images(np.random.default_rng(9), 3, (6, 6, 1))
        post, _, dec = np_model(model.params.read(), model.config)
        logits, _, mean, _ = post(x)
        z = mean[np.arange(3), logits.argmax(1)]
        np.testing.assert_allclose(model.inference(x)["x_hat"].numpy(),
                                   1 / (1 + np.exp(-dec(z)[0])), rtol=1e-5, atol=1e-6)

    def test_prior_is_the_prior_network_at_e_c(self):
        mean, sd = self.model.prior(tf.constant([2, 0, 1], tf.int32))
        pm, ps = self.nets[1](np.eye(K)[[2, 0, 1]])
        np.testing.assert_allclose(mean.numpy(), pm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sd.numpy(), ps, rtol=1e-5, atol=1e-6)

    def test_prior_mix_of_one_hot_rows_is_prior_and_of_soft_rows_the_network(self):
        c = np.array([1, 2, 0, 1], np.int32)
        mean, sd = self.model.prior(tf.constant(c))
        mix_mean, mix_sd = self.model.prior_mix(tf.constant(np.eye(K, dtype=np.float32)[c]))
        np.testing.assert_array_equal(mix_mean.numpy(), mean.numpy())
        np.testing.assert_array_equal(mix_sd.numpy(), sd.numpy())
        soft = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]], np.float32)
        got = self.model.prior_mix(soft)
        pm, ps = self.nets[1](soft.astype(np.float64))
        np.testing.assert_allclose(got[0].numpy(), pm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[1].numpy(), ps, rtol=1e-5, atol=1e-6)


# ---- export and the cross-check reference -------------------------------------------------------


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = randomised(gaussian_config(seed=8), rng_seed=4)
        cls.path = os.path.join(cls.tmp.name, "export")
        E.export(cls.model, cls.path, "mnist", {"acc": 0.5})
        cls.loaded = tf.saved_model.load(cls.path, tags=[C.TAG])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_signatures_are_the_common_ones_and_prior_mix(self):
        s = self.loaded.signatures
        self.assertEqual(set(s), set(C.COMMON_SIGNATURES) | {C.SIG_PRIOR_MIX})
        mix = s[C.SIG_PRIOR_MIX]
        spec = mix.structured_input_signature[1][C.IN_WEIGHTS]
        self.assertEqual((spec.dtype, spec.shape.as_list()), (tf.float32, [None, K]))
        self.assertEqual(set(mix.structured_outputs), {C.OUT_MEAN, C.OUT_STDDEV})

    def test_signatures_return_the_modules_own_outputs_exactly(self):
        s = self.loaded.signatures
        own = E.Serving(self.model).signatures()
        x = tf.constant(images(np.random.default_rng(3), 5, (6, 6, 2)))
        z = tf.constant(np.random.default_rng(5).normal(size=(4, Z)).astype(np.float32))
        k = tf.constant([0, 2, 1, 2], tf.int32)
        w = tf.constant(np.random.default_rng(6).dirichlet(np.ones(K), 4).astype(np.float32))
        calls = {C.SIG_ASSIGN: {"x": x}, C.SIG_EMBED: {"x": x}, C.SIG_RECONSTRUCT: {"x": x},
                 C.SIG_DECODE: {"z": z, "cluster": k}, C.SIG_PRIOR: {"cluster": k},
                 C.SIG_PRIOR_MIX: {"weights": w}}
        self.assertEqual(set(own), set(calls))
        for name, kwargs in calls.items():
            got, want = s[name](**kwargs), own[name](**kwargs)
            self.assertEqual(set(got), set(want), name)
            for key in want:
                np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), (name, key))

    def test_prior_mix_of_one_hot_rows_is_prior(self):
        s = self.loaded.signatures
        k = np.array([2, 0, 1], np.int32)
        prior = s[C.SIG_PRIOR](cluster=tf.constant(k))
        mix = s[C.SIG_PRIOR_MIX](weights=tf.constant(np.eye(K, dtype=np.float32)[k]))
        for key in (C.OUT_MEAN, C.OUT_STDDEV):
            np.testing.assert_array_equal(mix[key].numpy(), prior[key].numpy(), key)

    def test_asset_names_the_model_and_its_likelihood(self):
        info = E.read_asset(self.path)
        self.assertEqual((info["model"], info["likelihood"], info["clusters"], info["latent_dim"],
                          info["input_shape"]), ("vc", "gaussian", K, Z, [6, 6, 2]))
        self.assertEqual(info["config"], self.model.config.to_json())

    def test_check_export_passes_and_matches_the_reference(self):
        problems, diffs = check_export.check(self.path)
        self.assertEqual(problems, [])
        self.assertEqual(len(diffs), 9)
        self.assertIn("prior_mix.mean", diffs)
        self.assertLess(max(diffs.values()), 1e-6)


MB, MT, MSEED = 4, 2, 11


class MakeTest(unittest.TestCase):
    """`crosscheck make --model vc --tiny --synthetic`."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ref = os.path.join(cls.tmp.name, "ref")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = X.main(["make", "--model", "vc", "--tiny", "--synthetic", "--out", cls.ref,
                         "--batch-size", str(MB), "--steps", str(MT), "--seed", str(MSEED)])
        assert rc == 0, rc
        with open(os.path.join(cls.ref, X.MANIFEST), encoding="utf-8") as f:
            cls.manifest = json.load(f)
        cls.values = checkpoint.restore(os.path.join(cls.ref, X.REF))
        cls.config = VcConfig.from_json(cls.manifest["config"])
        cls.model = Vc(cls.config)
        cls.model.params.assign({n: cls.values["init__" + n] for n in cls.model.params.all})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_tiny_config_keeps_the_mnist_geometry(self):
        c, m = self.config, VcConfig.mnist(MSEED)
        self.assertEqual([s[:2] for s in c.trunk_shapes()], [s[:2] for s in m.trunk_shapes()])
        self.assertEqual([s[:2] for s in c.decoder_shapes()], [s[:2] for s in m.decoder_shapes()])
        self.assertEqual((c.clusters, c.latent_dim, c.batch_size, c.adam_epsilon),
                         (10, 4, MB, X.CROSSCHECK_ADAM_EPSILON))

    def test_manifest_names_shapes_and_the_fed_scalars(self):
        c, p = self.config, self.model.params
        f32, img = "float32", list(c.input_shape)
        want = {"in__x": (f32, [MB, *img]), "in__x_aug": (f32, [MB, *img]),
                "in__x_train": (f32, [MT * MB, *img]), "in__x_train_aug": (f32, [MT * MB, *img])}
        for n, v in p.all.items():
            want["init__" + n] = want["trained__" + n] = want["grad__" + n] = (f32, list(v.shape))
        for k in ("loss", "reconstruction", "entropy", "gaussian_kl", "aug_l2", "aug_w2"):
            want["out__" + k] = (f32, [])
        want["out__logits"] = (f32, [MB, c.clusters])
        for prefix in ("out__", "trained_out__"):
            want[prefix + "probs"] = (f32, [MB, c.clusters])
            want[prefix + "cluster"] = ("int64", [MB])
            want[prefix + "z"] = (f32, [MB, c.latent_dim])
            want[prefix + "x_hat"] = (f32, [MB, *img])
        got = {n: (s["dtype"], s["shape"]) for n, s in self.manifest["tensors"].items()}
        self.assertEqual(got, want)
        self.assertEqual((self.manifest["model"], self.manifest["recons_scale"],
                          self.manifest["aug_weight"], self.manifest["init_not_from_seed"]),
                         ("vc", 0.5, 1.0, []))

    def test_augmented_inputs_are_a_one_pixel_shift_right(self):
        for name in ("x", "x_train"):
            a = self.values["in__%s_aug" % name]
            np.testing.assert_array_equal(a, np.roll(self.values["in__" + name], 1, axis=2))
            np.testing.assert_array_equal(a[:, :, 1:], self.values["in__" + name][:, :, :-1])

    def test_init_is_the_seeds(self):
        for n, v in Vc(self.config).params.read().items():
            np.testing.assert_array_equal(self.values["init__" + n], v, n)

    def test_forward_and_gradients_match_an_eager_run(self):
        v = self.values
        with tf.GradientTape() as tape:
            out = self.model.training(v["in__x"], v["in__x_aug"],
                                      tf.constant([MSEED, 1], tf.int64), 0.5, 1.0)
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

    def test_trained_weights_match_eager_adam_steps_on_both_batches(self):
        model = Vc(self.config)
        model.params.assign({n: self.values["init__" + n] for n in model.params.all})
        adam = AdamStep(model.trainable, model.trainable_names, X.CROSSCHECK_ADAM_EPSILON)
        xt, xa = self.values["in__x_train"], self.values["in__x_train_aug"]
        for t in range(1, MT + 1):
            rows = slice((t - 1) * MB, t * MB)
            with tf.GradientTape() as tape:
                out = model.training(xt[rows], xa[rows], tf.constant([MSEED, t], tf.int64), 0.5,
                                     1.0)
            adam.apply(tape, out["loss"], [], self.config.learning_rate, t)
        for n, v in model.params.read().items():
            want = self.values["trained__" + n]
            self.assertFalse(np.array_equal(want, self.values["init__" + n]), n)
            _common.assert_trained_close(self, v, want, self.config.learning_rate, MT, n)

    def test_python_export_has_prior_mix_and_verify_passes_a_faithful_java_side(self):
        loaded = tf.saved_model.load(os.path.join(self.ref, X.PYTHON_EXPORT))
        self.assertIn(C.SIG_PRIOR_MIX, loaded.signatures)
        TC.fake_java_side(self.ref, {q: self.values["trained_out__" + q] for q in X.OUTPUTS})
        rc, out, err = TC.run_verify(self.ref)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(len([r for r in out.splitlines() if r.startswith("| vc |")]),
                         2 * len(X.OUTPUTS) + 1, out)


if __name__ == "__main__":
    unittest.main()
