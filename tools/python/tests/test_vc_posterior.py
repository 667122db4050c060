"""vc_posterior: the implied posterior's arithmetic, and the per-cluster terms against the training
branch's own ELBO terms."""

import dataclasses
import unittest

import _common  # noqa: F401  (import path, TF logging)
import numpy as np
import tensorflow as tf

from deepclust_ref import vc_posterior as P
from deepclust_ref.vc import TINY, Vc, VcConfig


class ArithmeticTest(unittest.TestCase):
    def test_implied_posterior_is_the_softmax_of_minus_the_weighted_terms(self):
        rng = np.random.default_rng(2)
        rec, kl = rng.normal(300, 20, (5, 4)), rng.gamma(2.0, 3.0, (5, 4))
        for lam in (0.0, 0.5, 1.0):
            got = P.implied_log_posterior(rec, kl, lam)
            for i in range(5):
                w = [np.exp(-(lam * rec[i, k] + kl[i, k]) + lam * rec[i].min()) for k in range(4)]
                want = np.log(np.array(w) / sum(w))
                np.testing.assert_allclose(got[i], want, rtol=1e-9, atol=1e-9)

    def test_entropy_is_ln_k_for_uniform_and_zero_for_certain(self):
        k = 10
        self.assertAlmostEqual(P.entropy(np.full((1, k), -np.log(k)))[0], np.log(k), places=12)
        certain = np.log(np.array([[1.0 - 1e-12] + [1e-12 / 3] * 3]))
        self.assertLess(P.entropy(certain)[0], 1e-9)


class TermsTest(unittest.TestCase):
    def test_q_weighted_terms_are_the_training_branchs_elbo_terms(self):
        config = dataclasses.replace(VcConfig.mnist(5), **TINY)
        model = Vc(config)
        rng = np.random.default_rng(3)
        x = tf.constant(rng.random((6, 28, 28, 1)).astype(np.float32))
        log_q, rec, kl = P.per_cluster_terms(model, x, samples=1, seed=9)
        # The training branch draws z with noise seed [9, 1], as samples=1 does.
        out = model.training(x, x, tf.constant([9, 1], tf.int64), 1.0, 0.0)
        q = np.exp(log_q)
        self.assertAlmostEqual(float(np.mean(np.sum(q * rec, 1))), float(out["reconstruction"]),
                               delta=1e-4 * abs(float(out["reconstruction"])))
        self.assertAlmostEqual(float(np.mean(np.sum(q * kl, 1))), float(out["gaussian_kl"]),
                               delta=1e-4 * abs(float(out["gaussian_kl"])) + 1e-6)
        self.assertAlmostEqual(float(np.mean(P.entropy(log_q))), float(out["entropy"]), places=5)


if __name__ == "__main__":
    unittest.main()
