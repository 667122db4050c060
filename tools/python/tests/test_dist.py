"""Each loss term and sampler against closed forms computed independently in numpy."""

import math
import unittest

import _common  # noqa: F401
import numpy as np
import tensorflow as tf

from deepclust_ref import dist


class BernoulliTest(unittest.TestCase):
    def test_cross_entropy_from_logits_is_minus_log_likelihood(self):
        rng = np.random.default_rng(0)
        logits = rng.normal(0, 3, (4, 7)).astype(np.float32)
        x = rng.uniform(0, 1, (4, 7)).astype(np.float32)
        p = 1 / (1 + np.exp(-logits.astype(np.float64)))
        want = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(1)
        got = dist.bernoulli_cross_entropy(logits, x).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5)

    def test_cross_entropy_is_finite_for_huge_logits(self):
        got = dist.bernoulli_cross_entropy(
            tf.constant([[200.0, -200.0]]), tf.constant([[0.0, 1.0]])).numpy()
        np.testing.assert_allclose(got, [400.0], rtol=1e-6)


class CategoricalTest(unittest.TestCase):
    def test_kl_to_uniform_matches_sum_q_log_qk(self):
        logits = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 3.0]], np.float32)
        q = np.exp(logits - logits.max(1, keepdims=True))
        q /= q.sum(1, keepdims=True)
        want = (q * np.log(q * 3)).sum(1)
        np.testing.assert_allclose(dist.categorical_kl_to_uniform(logits, 3).numpy(), want,
                                   rtol=1e-5, atol=1e-7)

    def test_kl_of_uniform_logits_is_zero(self):
        got = dist.categorical_kl_to_uniform(tf.fill([2, 10], 4.0), 10).numpy()
        np.testing.assert_allclose(got, [0.0, 0.0], atol=1e-6)

    def test_kl_of_a_one_hot_is_log_k(self):
        got = dist.categorical_kl_to_uniform(tf.constant([[500.0, 0.0, 0.0, 0.0]]), 4).numpy()
        np.testing.assert_allclose(got, [math.log(4)], rtol=1e-6)


class DiagonalGaussianTest(unittest.TestCase):
    def test_kl_to_standard_normal_matches_closed_form(self):
        mean = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
        log_var = np.array([[0.2, -0.7], [1.0, 0.0]], np.float32)
        var = np.exp(log_var.astype(np.float64))
        want = 0.5 * (var + mean ** 2 - 1 - log_var).sum(1)
        np.testing.assert_allclose(dist.gaussian_kl_to_standard_normal(mean, log_var).numpy(),
                                   want, rtol=1e-6)

    def test_kl_of_the_standard_normal_is_zero(self):
        got = dist.gaussian_kl_to_standard_normal(tf.zeros([3, 4]), tf.zeros([3, 4])).numpy()
        np.testing.assert_array_equal(got, np.zeros(3))

    def test_sample_is_mean_plus_sigma_eps_and_eps_gets_no_gradient(self):
        mean = tf.constant([[1.0, 2.0]])
        log_var = tf.constant([[0.0, math.log(4.0)]])
        eps = tf.Variable([[0.5, -1.0]])
        with tf.GradientTape() as tape:
            z = dist.gaussian_sample(mean, log_var, eps)
        np.testing.assert_allclose(z.numpy(), [[1.5, 0.0]], rtol=1e-6)
        self.assertIsNone(tape.gradient(z, eps))


class TwoGaussiansTest(unittest.TestCase):
    """KL and W2 between diagonal Gaussians given by means and standard deviations (vc)."""

    def test_kl_of_identical_gaussians_is_zero(self):
        mean = tf.constant([[0.3, -2.0, 1.5]])
        sd = tf.constant([[0.5, 1.0, 2.5]])
        np.testing.assert_allclose(dist.diagonal_gaussian_kl(mean, sd, mean, sd).numpy(), [0.0],
                                   atol=1e-7)

    def test_kl_matches_the_log_variance_closed_form(self):
        rng = np.random.default_rng(1)
        m1, m2 = rng.normal(size=(2, 3, 4))
        s1, s2 = rng.uniform(0.2, 2.0, size=(2, 3, 4))
        # 1/2 sum [log(s2^2 / s1^2) + (s1^2 + (m1 - m2)^2) / s2^2 - 1]
        want = 0.5 * (np.log(s2 ** 2 / s1 ** 2) + (s1 ** 2 + (m1 - m2) ** 2) / s2 ** 2 - 1).sum(-1)
        got = dist.diagonal_gaussian_kl(*(a.astype(np.float32) for a in (m1, s1, m2, s2)))
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)

    def test_kl_broadcasts_a_prior_per_cluster_over_the_batch(self):
        rng = np.random.default_rng(2)
        mean, sd = rng.normal(size=(2, 3, 4)).astype(np.float32), np.ones((2, 3, 4), np.float32)
        pm = rng.normal(size=(3, 4)).astype(np.float32)
        got = dist.diagonal_gaussian_kl(mean, sd, pm[None], np.ones((1, 3, 4), np.float32))
        np.testing.assert_allclose(got.numpy(), 0.5 * ((mean - pm) ** 2).sum(-1), rtol=1e-5)

    def test_w2_of_identical_gaussians_is_zero(self):
        mean = tf.constant([[0.3, -2.0], [1.0, 4.0]])
        sd = tf.constant([[0.5, 1.0], [2.0, 0.1]])
        np.testing.assert_array_equal(dist.wasserstein2_diagonal(mean, sd, mean, sd).numpy(),
                                      [0.0, 0.0])

    def test_w2_of_two_given_gaussians_is_eq17_by_hand(self):
        # N((1, 2), diag(1, 4)) and N((0, 4), diag(9, 1)): |(1, -2)|^2 + |(1 - 3, 2 - 1)|^2 = 5 + 5
        got = dist.wasserstein2_diagonal(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]),
                                         tf.constant([0.0, 4.0]), tf.constant([3.0, 1.0]))
        self.assertEqual(float(got), 10.0)


class AugmentationLossTest(unittest.TestCase):
    def test_per_cluster_terms_are_eq14_and_eq17_in_numpy(self):
        rng = np.random.default_rng(7)
        b, k, z = 3, 4, 2
        probs, probs_aug = (p / p.sum(1, keepdims=True)
                            for p in rng.uniform(0.05, 1, (2, b, k)))
        mean, mean_aug = rng.uniform(-1, 1, (2, b, k, z))
        sd, sd_aug = rng.uniform(0.2, 2, (2, b, k, z))
        want_l2 = ((probs - probs_aug) ** 2).sum(1).mean()
        w2 = ((mean - mean_aug) ** 2 + (sd - sd_aug) ** 2).sum(-1)
        want_w2 = (probs * w2).sum(1).mean()
        f = np.float32
        l2, aug_w2 = dist.augmentation_loss_per_cluster(
            *(t.astype(f) for t in (probs, mean, sd, probs_aug, mean_aug, sd_aug)))
        np.testing.assert_allclose(l2.numpy(), want_l2, rtol=1e-5)
        np.testing.assert_allclose(aug_w2.numpy(), want_w2, rtol=1e-5)
        same = dist.augmentation_loss_per_cluster(*(t.astype(f) for t in (probs, mean, sd) * 2))
        self.assertEqual([float(t) for t in same], [0.0, 0.0])


class ImageLikelihoodTest(unittest.TestCase):
    def test_gaussian_negative_log_likelihood_is_minus_log_density(self):
        rng = np.random.default_rng(3)
        x = rng.uniform(0, 1, (2, 3, 3, 2))
        m = rng.normal(0.5, 0.3, x.shape)
        v = rng.uniform(0.05, 1.0, x.shape)
        density = np.exp(-(x - m) ** 2 / (2 * v)) / np.sqrt(2 * np.pi * v)
        want = -np.log(density).sum(axis=(1, 2, 3))
        got = dist.gaussian_negative_log_likelihood(
            *(a.astype(np.float32) for a in (x, m, v)), axis=[1, 2, 3])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)

    def test_bernoulli_sum_over_image_axes(self):
        rng = np.random.default_rng(4)
        logits = rng.normal(0, 2, (2, 3, 3, 1)).astype(np.float32)
        x = rng.uniform(0, 1, logits.shape).astype(np.float32)
        p = 1 / (1 + np.exp(-logits.astype(np.float64)))
        want = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2, 3))
        got = dist.bernoulli_cross_entropy(logits, x, [1, 2, 3])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)

    def test_bernoulli_and_kl_sum_the_last_axis_of_any_rank(self):
        rng = np.random.default_rng(5)
        logits = rng.normal(0, 2, (3, 2, 5)).astype(np.float32)
        x = rng.uniform(0, 1, logits.shape).astype(np.float32)
        p = 1 / (1 + np.exp(-logits.astype(np.float64)))
        want = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=2)
        np.testing.assert_allclose(dist.bernoulli_cross_entropy(logits, x).numpy(), want,
                                   rtol=1e-5)
        mean, log_var = logits, x - 0.5
        want = 0.5 * (np.exp(log_var.astype(np.float64)) + mean.astype(np.float64) ** 2 - 1
                      - log_var).sum(axis=2)
        np.testing.assert_allclose(dist.gaussian_kl_to_standard_normal(mean, log_var).numpy(),
                                   want, rtol=1e-5)


class GumbelSoftmaxTest(unittest.TestCase):
    def test_noise_is_minus_log_minus_log_u(self):
        u = np.array([[0.1, 0.5, 0.9]], np.float32)
        np.testing.assert_allclose(dist.gumbel_noise(u).numpy(), -np.log(-np.log(u)), rtol=1e-5)

    def test_noise_is_finite_at_zero_and_one(self):
        self.assertTrue(np.isfinite(dist.gumbel_noise(tf.constant([0.0, 1.0])).numpy()).all())

    def test_sample_is_softmax_of_perturbed_logits_over_temperature(self):
        logits = np.array([[1.0, 0.0, -1.0]], np.float32)
        u = np.array([[0.3, 0.6, 0.2]], np.float32)
        a = (logits - np.log(-np.log(u.astype(np.float64)))) / 0.5
        want = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
        got = dist.gumbel_softmax_sample(logits, 0.5, u).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5)

    def test_binary_sample_is_the_two_class_softmax_of_bit_and_not_bit(self):
        logits = np.array([[2.0, -0.5]], np.float32)
        u = np.array([[[0.3, 0.8], [0.6, 0.1]]], np.float32)
        g = -np.log(-np.log(u.astype(np.float64)))
        mu = 1 / (1 + np.exp(-logits.astype(np.float64)))
        one, zero = (np.log(mu) + g[..., 0]) / 0.7, (np.log(1 - mu) + g[..., 1]) / 0.7
        want = np.exp(one) / (np.exp(one) + np.exp(zero))
        got = dist.binary_gumbel_softmax_sample(logits, 0.7, u).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5)

    def test_straight_through_is_hard_forward_and_identity_backward(self):
        y = tf.constant([[0.2, 0.7, 0.1], [0.4, 0.35, 0.25]])
        w = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        with tf.GradientTape() as tape:
            tape.watch(y)
            hot, rounded = dist.straight_through_one_hot(y, 3), dist.straight_through(y)
            total = tf.reduce_sum(w * (hot + rounded))
        np.testing.assert_array_equal(hot.numpy(), [[0, 1, 0], [1, 0, 0]])
        np.testing.assert_array_equal(rounded.numpy(), [[0, 1, 0], [0, 0, 0]])
        np.testing.assert_array_equal(tape.gradient(total, y).numpy(), 2 * w.numpy())


if __name__ == "__main__":
    unittest.main()
