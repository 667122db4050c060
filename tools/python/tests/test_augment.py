"""vc's rotation augmentation (deepclust_ref.augment): the warp of Affine.java about the centre with
bilinear interpolation and zero outside, against exact rotations and constant images."""

import unittest

import _common  # noqa: F401  (import path)
import numpy as np

from deepclust_ref import augment


class RotateTest(unittest.TestCase):
    def setUp(self):
        self.x = np.random.default_rng(0).uniform(0, 1, (3, 7, 7, 2)).astype(np.float32)

    def test_zero_degrees_is_the_identity(self):
        np.testing.assert_array_equal(augment.rotate(self.x, [0, 0, 0]), self.x)

    def test_quarter_turns_are_exact_counter_clockwise_rotations(self):
        got = augment.rotate(self.x, [90, 180, -90])
        np.testing.assert_allclose(got[0], np.rot90(self.x[0]), atol=1e-6)
        np.testing.assert_allclose(got[1], np.rot90(self.x[1], 2), atol=1e-6)
        np.testing.assert_allclose(got[2], np.rot90(self.x[2], -1), atol=1e-6)

    def test_constant_image_stays_constant_inside_and_is_zero_filled_outside(self):
        ones = np.ones((1, 9, 9, 1), np.float32)
        got = augment.rotate(ones, [45.0])[0, ..., 0]
        np.testing.assert_allclose(got[2:7, 2:7], 1.0, atol=1e-6)
        self.assertLess(got[0, 0], 0.01)  # the corner's source lies outside the image

    def test_random_rotation_is_seeded_and_small(self):
        a = augment.random_rotation(self.x, np.random.default_rng(5))
        b = augment.random_rotation(self.x, np.random.default_rng(5))
        np.testing.assert_array_equal(a, b)
        self.assertEqual(a.dtype, np.float32)
        self.assertFalse(np.array_equal(a, self.x))
        # At most 3 degrees: the centre pixel (the rotation's fixed point) does not move.
        np.testing.assert_allclose(a[:, 3, 3], self.x[:, 3, 3], atol=1e-6)


if __name__ == "__main__":
    unittest.main()
