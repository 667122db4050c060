"""The worked examples of docs/contract.md (docs/examples/export_*.py): each exports a SavedModel
that meets the contract as a `generic` model. The Java side loads the same exports in
inference/.../ExampleExportersTest."""

import importlib.util
import json
import os
import tempfile
import unittest

import _common  # noqa: F401

from deepclust_ref import check_export
from deepclust_ref import contract as C

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "examples")


def _exporter(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ExamplesTest(unittest.TestCase):
    def _check(self, name):
        with tempfile.TemporaryDirectory() as tmp:
            path = _exporter(name).export(os.path.join(tmp, "export"))
            problems, diffs = check_export.check(path)
            self.assertEqual(problems, [])
            self.assertEqual(diffs, {})  # a generic model has no reference to compare with
            with open(os.path.join(path, C.ASSET_DIR, C.ASSET_FILE)) as f:
                info = json.load(f)
            self.assertEqual(info[C.JSON_MODEL], C.MODEL_GENERIC)
            self.assertEqual(sorted(info), sorted(C.JSON_KEYS))

    def test_the_tf_module_example_exports_a_generic_contract_model(self):
        self._check("export_tf_module")

    def test_the_keras_example_exports_a_generic_contract_model(self):
        self._check("export_keras")


if __name__ == "__main__":
    unittest.main()
