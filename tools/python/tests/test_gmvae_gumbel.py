"""GMVAE-Gumbel: variable names, initial values, noise, loss terms and inference against an
independent numpy forward pass."""

import math
import unittest

import _common
import numpy as np
import tensorflow as tf

from deepclust_ref import params as P
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.gmvae_gumbel import GmvaeGumbel, GmvaeGumbelConfig


def expected_names(feature_bn_relu=True, joint_bn_relu=False):
    """The Java builder's variables, in its creation order, written out by hand."""
    def hidden(n):
        return [n + "_dense_kernel"] + [n + "_bn_" + s for s in
                                        ("gamma", "beta", "moving_mean", "moving_variance")]

    def dense(n):
        return [n + "_kernel", n + "_bias"]

    features_out = hidden if feature_bn_relu else dense
    joint = ["px_joint_bn_" + s for s in ("gamma", "beta", "moving_mean", "moving_variance")]
    return (hidden("features_1") + hidden("features_2") + features_out("features_out")
            + hidden("qc_1") + hidden("qc_2") + dense("qc_logits")
            + dense("qz_mean") + dense("qz_logvar")
            + ["px_from_z_kernel", "px_from_c_kernel"] + (joint if joint_bn_relu else [])
            + hidden("px_1") + hidden("px_2")
            + dense("px_logits"))


class ConfigTest(unittest.TestCase):
    def test_mnist_defaults_are_the_papers(self):
        c = GmvaeGumbelConfig.mnist(1)
        self.assertEqual((c.input_shape, c.clusters, c.hidden, c.feature_dim, c.latent_dim),
                         ((28, 28, 1), 10, (512, 256), 100, 150))
        self.assertEqual((c.gaussian_weight, c.learning_rate, c.adam_epsilon, c.batch_size,
                          c.epochs), (5.0, 1e-3, 1e-8, 300, 300))
        # Binarised images and x^ with batch norm + ReLU: the readings measured best (issue 18),
        # as Java's mnist().
        self.assertEqual((c.binarize, c.straight_through, c.feature_bn_relu), (True, False, True))

    def test_temperature_decays_from_one_to_half_at_epoch_100(self):
        c = GmvaeGumbelConfig.mnist(1)
        self.assertAlmostEqual(c.temperature(0), 1.0, places=6)
        self.assertAlmostEqual(c.temperature(50), math.sqrt(0.5), places=6)
        self.assertAlmostEqual(c.temperature(100), 0.5, places=6)
        self.assertEqual(c.temperature(250), 0.5)

    def test_invalid_settings_are_refused(self):
        with self.assertRaises(ValueError):
            GmvaeGumbelConfig(seed=1, batch_size=1)
        with self.assertRaises(ValueError):
            GmvaeGumbelConfig(seed=1, temperature_init=0.4)

    def test_json_uses_javas_record_keys(self):
        j = GmvaeGumbelConfig.mnist(9).to_json()
        self.assertEqual(set(j), {"inputShape", "clusters", "hidden", "featureDim", "latentDim",
                                  "gaussianWeight", "learningRate", "adamEpsilon", "batchSize",
                                  "epochs", "temperatureInit", "temperatureMin",
                                  "temperatureEpochs", "binarize", "straightThrough",
                                  "featureBnRelu", "jointBnRelu",
                                  "seed", "backbone", "aug", "augmentation"})

    def test_configs_written_before_the_switches_read_them_off(self):
        j = GmvaeGumbelConfig.mnist(9).to_json()
        del j["binarize"], j["straightThrough"]
        c = GmvaeGumbelConfig.from_json(j)
        self.assertEqual((c.binarize, c.straight_through), (False, False))


class ReadingsSwitchesTest(unittest.TestCase):
    """The switches against what they must compute (as Java's GmvaeGumbelReadingsTest)."""

    @staticmethod
    def config(**switches):
        return GmvaeGumbelConfig(seed=5, input_shape=(4, 4, 1), clusters=3, hidden=(16, 8),
                                 feature_dim=6, latent_dim=4, **switches)

    def test_binarised_pixels_are_bernoulli_draws_of_the_grey_levels(self):
        x = np.tile(np.array([0.0, 1.0, 0.3, 0.3], np.float32), 64 * 4).reshape(64, 4, 4, 1)
        model = GmvaeGumbel(self.config(binarize=True))
        a = model.training(x, 1.0, [5, 1])["target"].numpy().reshape(-1)
        b = model.training(x, 1.0, [5, 2])["target"].numpy().reshape(-1)
        flat = x.reshape(-1)
        self.assertTrue(np.isin(a, [0.0, 1.0]).all())
        np.testing.assert_array_equal(a[flat != 0.3], flat[flat != 0.3])
        grey = flat == 0.3
        self.assertAlmostEqual(a[grey].mean(), 0.3, delta=4 * math.sqrt(0.21 / grey.sum()))
        self.assertGreater((a[grey] != b[grey]).mean(), 0.3, "each step draws anew")
        plain = GmvaeGumbel(self.config()).training(x, 1.0, [5, 1])["target"].numpy()
        np.testing.assert_array_equal(plain.reshape(-1), flat)

    def test_straight_through_equals_soft_only_where_the_sample_is_one_hot(self):
        x = np.random.default_rng(9).random((64, 4, 4, 1), dtype=np.float32)
        soft, hard = GmvaeGumbel(self.config()), GmvaeGumbel(self.config(straight_through=True))
        cold = [float(m.training(x, 1e-4, [5, 3])["loss"]) for m in (soft, hard)]
        self.assertAlmostEqual(cold[0], cold[1], delta=1e-4 * abs(cold[0]))
        warm = [float(m.training(x, 1.0, [5, 3])["loss"]) for m in (soft, hard)]
        # Float32 rounding of the loss is about 1e-6 relative; the samples differ far above it.
        self.assertGreater(abs(warm[0] - warm[1]), 1e-4 * abs(warm[0]))


class VariablesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = GmvaeGumbel(GmvaeGumbelConfig.mnist(11))

    def test_names_and_order_are_javas(self):
        self.assertEqual(list(self.model.params.all), expected_names())

    def test_shapes_follow_the_paper(self):
        v = self.model.params.all
        self.assertEqual(tuple(v["features_1_dense_kernel"].shape), (784, 512))
        self.assertEqual(tuple(v["qc_2_dense_kernel"].shape), (100, 50))
        self.assertEqual(tuple(v["qz_logvar_kernel"].shape), (100, 150))
        self.assertEqual(tuple(v["px_from_c_kernel"].shape), (10, 100))
        self.assertEqual(tuple(v["px_logits_bias"].shape), (784,))

    def test_statistics_are_not_trainable(self):
        for name, var in self.model.params.all.items():
            self.assertEqual(var.trainable, "_moving_" not in name, name)

    def test_kernels_are_glorot_from_javas_stateless_op_with_seed_and_name_key(self):
        names = list(self.model.params.all)
        for name in ("features_1_dense_kernel", "qc_logits_kernel", "px_logits_kernel"):
            var = self.model.params.all[name]
            fan_in, fan_out = var.shape
            # The V1 op TF-Java's statelessRandomUniform builds.
            u = tf.raw_ops.StatelessRandomUniform(
                shape=tf.constant(var.shape, tf.int64),
                seed=tf.constant([11, P.name_key(name)], tf.int64), dtype=tf.float32).numpy()
            limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)))
            np.testing.assert_array_equal(var.numpy(), (u * np.float32(2) - np.float32(1)) * limit)
            self.assertLessEqual(np.abs(var.numpy()).max(), limit)

    def test_biases_betas_means_start_at_zero_gammas_variances_at_one(self):
        for name, var in self.model.params.all.items():
            if name.endswith(("_bias", "_beta", "_moving_mean")):
                self.assertFalse(var.numpy().any(), name)
            if name.endswith(("_gamma", "_moving_variance")):
                self.assertTrue((var.numpy() == 1).all(), name)


class NoiseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = GmvaeGumbel(_common.small_config())

    def test_same_seed_gives_the_same_noise(self):
        a = self.model.noise(7, [5, 3])
        b = self.model.noise(7, [5, 3])
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x.numpy(), y.numpy())

    def test_another_step_gives_other_noise(self):
        a, _ = self.model.noise(7, [5, 3])
        b, _ = self.model.noise(7, [5, 4])
        self.assertFalse(np.array_equal(a.numpy(), b.numpy()))

    def test_noise_is_javas_v1_ops_at_s_2t_and_s_2t_plus_1(self):
        u, eps = self.model.noise(7, [5, 3])
        want_u = tf.raw_ops.StatelessRandomUniform(
            shape=[7, 3], seed=tf.constant([5, 6], tf.int64), dtype=tf.float32)
        want_eps = tf.raw_ops.StatelessRandomNormal(
            shape=[7, 5], seed=tf.constant([5, 7], tf.int64), dtype=tf.float32)
        np.testing.assert_array_equal(u.numpy(), want_u.numpy())
        np.testing.assert_array_equal(eps.numpy(), want_eps.numpy())


class ForwardTest(unittest.TestCase):
    switches = {}

    @classmethod
    def setUpClass(cls):
        cls.config = _common.small_config(**cls.switches)
        cls.model = GmvaeGumbel(cls.config)
        rng = np.random.default_rng(4)
        _common.randomise_statistics(cls.model, rng)
        cls.x = rng.uniform(0, 1, (6, 4, 4, 1)).astype(np.float32)
        cls.flat = cls.x.reshape(6, 16).astype(np.float64)
        cls.weights = cls.model.params.read()

    def test_training_loss_terms_match_numpy(self):
        out = self.model.training(self.x, 0.7, tf.constant([9, 2], tf.int64))
        u, eps = self.model.noise(6, [9, 2])
        ref = _common.np_forward(self.weights, self.config, self.flat, True, u.numpy(),
                                 eps.numpy(), 0.7)
        rec = (_common.np_softplus(ref["x_logits"]) - self.flat * ref["x_logits"]).sum(1).mean()
        log_q = _common.np_log_softmax(ref["logits"])
        cat = (np.exp(log_q) * (log_q + math.log(3))).sum(1).mean()
        mu, lv = ref["mu"], ref["logvar"]
        gauss = (0.5 * (np.exp(lv) + mu ** 2 - 1 - lv).sum(1)).mean()
        np.testing.assert_allclose(out["reconstruction"].numpy(), rec, rtol=1e-4)
        np.testing.assert_allclose(out["categorical_kl"].numpy(), cat, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["gaussian_kl"].numpy(), gauss, rtol=1e-4)
        np.testing.assert_allclose(out["loss"].numpy(), rec + cat + 5.0 * gauss, rtol=1e-4)

    def test_batch_norm_updates_move_statistics_one_percent_toward_the_batch(self):
        out = self.model.training(self.x, 1.0, [0, 0])
        var, value = out["updates"][0]
        self.assertEqual(var.name, "features_1_bn_moving_mean:0")
        lin = (_common.np_stem(self.weights, self.config, self.flat)
               @ self.weights["features_1_dense_kernel"].astype(np.float64))
        want = 0.99 * self.weights["features_1_bn_moving_mean"] + 0.01 * lin.mean(0)
        np.testing.assert_allclose(value.numpy(), want, rtol=1e-4, atol=1e-6)
        var, value = out["updates"][1]
        want = 0.99 * self.weights["features_1_bn_moving_variance"] + 0.01 * lin.var(0)
        np.testing.assert_allclose(value.numpy(), want, rtol=1e-4, atol=1e-6)
        # Six hidden layers (one more each with x^ and the decoder's input among them), two
        # statistics each.
        self.assertEqual(len(out["updates"]),
                         2 * (6 + int(self.config.feature_bn_relu)
                              + int(self.config.joint_bn_relu)))

    def test_inference_matches_numpy_with_moving_statistics(self):
        out = self.model.inference(self.x)
        ref = _common.np_forward(self.weights, self.config, self.flat, False)
        probs = np.exp(_common.np_log_softmax(ref["logits"]))
        np.testing.assert_allclose(out["probs"].numpy(), probs, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["probs"].numpy().sum(1), 1.0, rtol=1e-6)
        self.assertEqual(out["cluster"].dtype, tf.int64)
        np.testing.assert_array_equal(out["cluster"].numpy(), ref["logits"].argmax(1))
        np.testing.assert_allclose(out["embedding"].numpy(), ref["mu"], rtol=1e-4, atol=1e-6)
        x_hat = 1 / (1 + np.exp(-ref["x_logits"]))
        np.testing.assert_allclose(out["reconstruction"].numpy(), x_hat.reshape(6, 4, 4, 1),
                                   rtol=1e-4, atol=1e-6)

    def test_decode_of_embedding_and_cluster_is_reconstruct(self):
        out = self.model.inference(self.x)
        decoded = self.model.decode(out["embedding"], tf.cast(out["cluster"], tf.int32))
        np.testing.assert_array_equal(decoded.numpy(), out["reconstruction"].numpy())

    def test_prior_is_standard_normal_for_every_cluster(self):
        mean, stddev = self.model.prior(tf.constant([0, 2, 1], tf.int32))
        np.testing.assert_array_equal(mean.numpy(), np.zeros((3, 5)))
        np.testing.assert_array_equal(stddev.numpy(), np.ones((3, 5)))


class FeatureBnReluForwardTest(ForwardTest):
    """The same checks with x^ followed by batch norm + ReLU (featureBnRelu)."""
    switches = {"feature_bn_relu": True}

    def test_the_feature_layer_is_a_hidden_layer(self):
        names = list(self.model.params.all)
        self.assertIn("features_out_dense_kernel", names)
        self.assertIn("features_out_bn_moving_variance", names)
        self.assertNotIn("features_out_kernel", names)


class JointBnReluForwardTest(ForwardTest):
    """The same checks with the decoder's input followed by batch norm + ReLU (jointBnRelu)."""
    switches = {"feature_bn_relu": True, "joint_bn_relu": True}

    def test_the_decoders_input_has_batch_norm_after_the_two_linear_maps(self):
        self.assertEqual(list(self.model.params.all), expected_names(True, True))


class ConvBackboneForwardTest(ForwardTest):
    """The same checks with the compact conv backbone (layers.backbone_*, issue 20): the feature
    net's convolutions and the decoder's transposed convolutions in numpy (test_vc's)."""
    switches = {"feature_bn_relu": True, "backbone": "conv"}

    def test_the_conv_layers_come_first_in_the_feature_net_and_last_in_the_decoder(self):
        names = list(self.model.params.all)
        conv = ["features_conv1_kernel", "features_conv1_bias", "features_conv2_kernel",
                "features_conv2_bias"]
        self.assertEqual(names[:4], conv)
        self.assertEqual(tuple(self.model.params.all["features_1_dense_kernel"].shape), (64, 8))
        head = ["px_reshape_kernel", "px_reshape_bias", "px_deconv1_kernel", "px_deconv1_bias",
                "px_logits_kernel", "px_logits_bias"]
        self.assertEqual(names[-6:], head)
        self.assertEqual(names[4:-6], [n for n in expected_names() if n not in
                                       ("px_logits_kernel", "px_logits_bias")])


class AugmentationLossTest(unittest.TestCase):
    """aug = w2 (issue 20): lambda_aug (L2 of q(c|x) - q(c|x^) + W2 of q(z|x), q(z|x^)) on top of
    the ELBO, each against numpy forward passes of x and of x^ (batch statistics of each)."""

    def test_terms_and_loss_match_numpy(self):
        c = _common.small_config(aug="w2", augmentation="rotation", feature_bn_relu=True)
        model = GmvaeGumbel(c)
        rng = np.random.default_rng(5)
        _common.randomise_statistics(model, rng)
        w = model.params.read()
        x = rng.uniform(0, 1, (6, 4, 4, 1)).astype(np.float32)
        x_aug = np.roll(x, 1, axis=2)
        out = model.training(x, 0.7, tf.constant([9, 2], tf.int64), x_aug, np.float32(0.3))
        u, eps = model.noise(6, [9, 2])
        ref = _common.np_forward(w, c, x.reshape(6, -1).astype(np.float64), True, u.numpy(),
                                 eps.numpy(), 0.7)
        aug = _common.np_forward(w, c, x_aug.reshape(6, -1).astype(np.float64), True, u.numpy(),
                                 eps.numpy(), 0.7)
        q, q_aug = (np.exp(_common.np_log_softmax(r["logits"])) for r in (ref, aug))
        l2 = ((q - q_aug) ** 2).sum(1).mean()
        sd, sd_aug = np.exp(0.5 * ref["logvar"]), np.exp(0.5 * aug["logvar"])
        w2 = (((ref["mu"] - aug["mu"]) ** 2).sum(1) + ((sd - sd_aug) ** 2).sum(1)).mean()
        np.testing.assert_allclose(out["aug_l2"].numpy(), l2, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(out["aug_w2"].numpy(), w2, rtol=1e-4)
        base = out["reconstruction"] + out["categorical_kl"] + 5.0 * out["gaussian_kl"]
        np.testing.assert_allclose(out["loss"].numpy(), base.numpy() + 0.3 * (l2 + w2), rtol=1e-5)
        self.assertGreater(w2, 1e-3)
        # x^'s batch statistics move no moving average: x's updates alone.
        self.assertEqual(len(out["updates"]), 2 * 7)
        self.assertEqual(c.terms[-2:], ("aug_l2", "aug_w2"))

    def test_an_unknown_aug_or_transform_is_refused(self):
        with self.assertRaisesRegex(ValueError, "aug must be none or w2"):
            GmvaeGumbelConfig(seed=1, aug="l1")
        with self.assertRaisesRegex(ValueError, "augmentation must be one of"):
            GmvaeGumbelConfig(seed=1, aug="w2", augmentation="blur")


class BackboneConfigTest(unittest.TestCase):
    def test_backbone_is_mlp_or_conv_and_old_configs_read_mlp(self):
        j = GmvaeGumbelConfig.mnist(2).to_json()
        self.assertEqual(j["backbone"], "mlp")
        del j["backbone"]
        self.assertEqual(GmvaeGumbelConfig.from_json(j).backbone, "mlp")
        with self.assertRaisesRegex(ValueError, "backbone must be one of \\[mlp, conv\\]"):
            GmvaeGumbelConfig(seed=1, backbone="resnet")
        with self.assertRaisesRegex(ValueError, "multiples of 4, not 30x28"):
            GmvaeGumbelConfig(seed=1, input_shape=(30, 28, 1), backbone="conv")


class AdamStepTest(unittest.TestCase):
    def test_a_few_steps_lower_the_loss_and_move_the_statistics(self):
        model = GmvaeGumbel(_common.small_config(seed=5))
        p = model.params
        adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names, 1e-8)
        x = np.random.default_rng(1).uniform(0, 1, (8, 4, 4, 1)).astype(np.float32)
        losses = []
        for t in range(1, 31):
            with tf.GradientTape() as tape:
                out = model.training(x, 1.0, [0, t])
            adam.apply(tape, out["loss"], out["updates"], 1e-2, t)
            losses.append(float(out["loss"]))
        self.assertTrue(np.isfinite(losses).all())
        self.assertLess(np.mean(losses[-5:]), np.mean(losses[:5]))
        self.assertTrue(p.all["px_1_bn_moving_mean"].numpy().any())
        self.assertNotIn("_adam_", " ".join(p.all))
        self.assertIn("qc_logits_kernel_adam_m", adam.slots.all)


if __name__ == "__main__":
    unittest.main()
