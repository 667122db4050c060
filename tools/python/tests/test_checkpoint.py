"""Checkpoints keyed by flat variable names: the round trip and the keys Java will read."""

import os
import tempfile
import unittest

import _common
import numpy as np
import tensorflow as tf

from deepclust_ref import checkpoint
from deepclust_ref.gmvae_gumbel import GmvaeGumbel


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.prefix = os.path.join(self.tmp.name, "ckpt", "model")
        os.makedirs(os.path.dirname(self.prefix))

    def tearDown(self):
        self.tmp.cleanup()

    def test_keys_are_exactly_the_flat_names_with_their_shapes(self):
        model = GmvaeGumbel(_common.small_config())
        checkpoint.save_params(self.prefix, model.params)
        got = checkpoint.names_and_shapes(self.prefix)
        want = {n: list(v.shape) for n, v in model.params.all.items()}
        self.assertEqual(got, want)

    def test_round_trip_restores_every_value_by_name(self):
        a = GmvaeGumbel(_common.small_config(seed=1))
        _common.randomise_statistics(a, np.random.default_rng(0))
        checkpoint.save_params(self.prefix, a.params)
        b = GmvaeGumbel(_common.small_config(seed=2))
        checkpoint.restore_params(self.prefix, b.params)
        for name, var in a.params.all.items():
            np.testing.assert_array_equal(b.params.all[name].numpy(), var.numpy(), name)
        x = np.random.default_rng(1).uniform(0, 1, (3, 4, 4, 1)).astype(np.float32)
        np.testing.assert_array_equal(a.inference(x)["probs"].numpy(),
                                      b.inference(x)["probs"].numpy())

    def test_restore_of_a_missing_name_fails(self):
        checkpoint.save(self.prefix, {"a_kernel": np.ones((2, 2), np.float32)})
        with self.assertRaises(KeyError):
            checkpoint.restore(self.prefix, ["b_kernel"])

    def test_nested_names_are_refused(self):
        with self.assertRaises(ValueError):
            checkpoint.save(self.prefix, {"a/b": tf.zeros([1])})


if __name__ == "__main__":
    unittest.main()
