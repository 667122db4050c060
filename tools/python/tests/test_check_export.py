"""check_export on a Python-made export, and on a Java-made one when DEEPCLUST_JAVA_EXPORT names it
(e.g. RUN_DIR/export from `./deepclust train ... --run-dir RUN_DIR`)."""

import json
import os
import tempfile
import unittest

import _common
import numpy as np

from deepclust_ref import check_export
from deepclust_ref import export as E
from deepclust_ref.gmvae_gumbel import GmvaeGumbel


class CheckExportTest(unittest.TestCase):
    def test_a_python_export_passes_and_matches_the_reference(self):
        with tempfile.TemporaryDirectory() as tmp:
            model = GmvaeGumbel(_common.small_config())
            _common.randomise_statistics(model, np.random.default_rng(6))
            path = E.export(model, os.path.join(tmp, "export"), "mnist")
            problems, diffs = check_export.check(path)
            self.assertEqual(problems, [])
            self.assertEqual(len(diffs), 7)
            self.assertLess(max(diffs.values()), 1e-6)

    def test_a_kind_that_is_neither_ours_nor_generic_is_a_problem(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = E.export(GmvaeGumbel(_common.small_config()), os.path.join(tmp, "export"),
                            "mnist")
            asset = os.path.join(path, "assets", "deepclust.json")
            with open(asset) as f:
                info = json.load(f)
            for kind, want in (("dec", ["deepclust.json: model 'dec' is not one of "
                                        "('vade', 'gmvae_gumbel', 'vc', 'kdvae', 'vab', "
                                        "'generic')"]),
                               ("generic", [])):
                info["model"] = kind
                with open(asset, "w") as f:
                    json.dump(info, f)
                problems, _ = check_export.check(path)
                self.assertEqual(problems, want)

    @unittest.skipUnless(os.environ.get("DEEPCLUST_JAVA_EXPORT"), "DEEPCLUST_JAVA_EXPORT not set")
    def test_a_java_export_passes_and_matches_the_reference_on_its_weights(self):
        path = os.environ["DEEPCLUST_JAVA_EXPORT"]
        self.assertEqual(E.read_asset(path)["made_by"], "java")
        problems, diffs = check_export.check(path)
        self.assertEqual(problems, [])
        self.assertEqual(diffs["serving_default.cluster"], 0)


if __name__ == "__main__":
    unittest.main()
