"""knn: the k-NN error against a brute-force count, the tie rule, and the idx1 label reader."""

import os
import tempfile
import unittest

import _common  # noqa: F401  (import path, TF logging)
import numpy as np

from deepclust_ref import diagnostics, knn


def brute_force_error(train_x, train_y, test_x, test_y, k):
    """One test point at a time: sort every distance, vote, ties to the smallest label."""
    wrong = 0
    for x, y in zip(test_x, test_y):
        d = [float(np.sum((t - x) ** 2)) for t in train_x]
        order = sorted(range(len(d)), key=lambda i: (d[i], i))[:k]
        counts = {}
        for i in order:
            counts[int(train_y[i])] = counts.get(int(train_y[i]), 0) + 1
        best = max(counts.values())
        wrong += min(c for c, n in counts.items() if n == best) != int(y)
    return 100.0 * wrong / len(test_x)


class KnnErrorsTest(unittest.TestCase):
    def test_matches_a_brute_force_count_for_every_k(self):
        rng = np.random.default_rng(4)
        centres = rng.normal(size=(4, 6)) * 2
        train_y = rng.integers(0, 4, 300)
        test_y = rng.integers(0, 4, 120)
        train_x = centres[train_y] + rng.normal(size=(300, 6))
        test_x = centres[test_y] + rng.normal(size=(120, 6))
        got = knn.knn_errors(train_x, train_y, test_x, test_y, (1, 3, 5, 10), chunk=7)
        for k in (1, 3, 5, 10):
            self.assertAlmostEqual(got[k], brute_force_error(train_x, train_y, test_x, test_y, k),
                                   places=9, msg=k)
        self.assertGreater(got[1], 0.0)  # the clusters overlap: not a trivial 0

    def test_a_tie_goes_to_the_smallest_label(self):
        train_x = np.array([[0.0], [1.0], [-1.0], [2.0]])
        train_y = np.array([3, 1, 2, 1])
        # k = 2 at x = 0.4: neighbours 0 (label 3) and 1 (label 1) tie 1-1 -> label 1.
        self.assertEqual(knn.knn_errors(train_x, train_y, [[0.4]], np.array([1]), (2,)),
                         {2: 0.0})
        self.assertEqual(knn.knn_errors(train_x, train_y, [[0.4]], np.array([3]), (2,)),
                         {2: 100.0})

    def test_k_larger_than_the_training_set_is_refused(self):
        with self.assertRaises(ValueError):
            knn.knn_errors(np.zeros((2, 1)), np.zeros(2, np.int64), np.zeros((1, 1)),
                           np.zeros(1, np.int64), (3,))


class RunDirTest(unittest.TestCase):
    def test_the_newest_checkpoint_is_the_largest_step(self):
        with tempfile.TemporaryDirectory() as d:
            for n in ("checkpoint-900", "checkpoint-1200", "checkpoint-x", "export"):
                os.makedirs(os.path.join(d, n))
            self.assertEqual(diagnostics.newest_checkpoint(d),
                             (os.path.join(d, "checkpoint-1200"), 1200))
            with self.assertRaises(FileNotFoundError):
                diagnostics.newest_checkpoint(os.path.join(d, "export"))

    def test_a_run_of_another_model_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "config.json"), "w", encoding="utf-8") as f:
                f.write('{"model": "vade", "config": {}}')
            with self.assertRaisesRegex(ValueError, "vade run"):
                knn.diagnose(d)


if __name__ == "__main__":
    unittest.main()
