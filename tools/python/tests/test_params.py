"""Initial weights are seeded by the model seed and the variable's name, not creation order."""

import unittest

import _common  # noqa: F401
import numpy as np
import tensorflow as tf

from deepclust_ref import params as P


def created_in_order(*names):
    """Initial values of "a" [3, 4] and "b" [4, 2] (Glorot), created in the order given."""
    p = P.Params(9)
    for n in names:
        p.get(n, (3, 4) if n == "a" else (4, 2), P.GLOROT_UNIFORM, True)
    return {n: v.numpy() for n, v in p.all.items()}


class NameKeyTest(unittest.TestCase):
    def test_name_key_is_the_fnv1a_64_hash_as_a_signed_int64(self):
        # The published FNV-1a 64-bit test vectors (Fowler, Noll, Vo), as Java's signed longs.
        def signed(h):
            return h - (1 << 64) if h >= 1 << 63 else h
        self.assertEqual(signed(0xCBF29CE484222325), P.name_key(""))
        self.assertEqual(signed(0xAF63DC4C8601EC8C), P.name_key("a"))
        self.assertEqual(signed(0x85944171F73967E8), P.name_key("foobar"))

    def test_the_order_of_creation_changes_no_initial_weight(self):
        ab, ba = created_in_order("a", "b"), created_in_order("b", "a")
        np.testing.assert_array_equal(ab["a"], ba["a"])
        np.testing.assert_array_equal(ab["b"], ba["b"])

    def test_a_weight_is_the_stateless_draw_of_the_seed_and_its_name_key(self):
        u = tf.random.stateless_uniform([3, 4], seed=[9, P.name_key("a")]).numpy()
        limit = np.float32(np.sqrt(6.0 / 7))
        np.testing.assert_allclose(created_in_order("b", "a")["a"], (u * 2 - 1) * limit,
                                   rtol=0, atol=1e-6)

    def test_conv_kernels_alone_or_stacked_count_their_receptive_field(self):
        """[k1, k2, a, b] and K of them [K, k1, k2, a, b]: fan_in = k1 k2 a, fan_out = k1 k2 b."""
        p = P.Params(4)
        for shape in ((4, 4, 8, 16), (3, 4, 4, 8, 16)):
            name = "k%d" % len(shape)
            got = p.get(name, shape, P.GLOROT_UNIFORM, True).numpy()
            u = tf.random.stateless_uniform(shape, seed=[4, P.name_key(name)]).numpy()
            limit = np.float32(np.sqrt(6.0 / (16 * 8 + 16 * 16)))
            np.testing.assert_allclose(got, (u * 2 - 1) * limit, rtol=0, atol=1e-6)


if __name__ == "__main__":
    unittest.main()
