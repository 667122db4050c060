"""Export -> tf.saved_model.load: the contract's signatures, keys and asset."""

import os
import tempfile
import unittest

import _common
import numpy as np
import tensorflow as tf

from deepclust_ref import contract as C
from deepclust_ref import export as E
from deepclust_ref.gmvae_gumbel import GmvaeGumbel


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = GmvaeGumbel(_common.small_config())
        _common.randomise_statistics(cls.model, np.random.default_rng(2))
        cls.path = os.path.join(cls.tmp.name, "export")
        E.export(cls.model, cls.path, "mnist", {"acc": 0.5, "nmi": 0.25})
        cls.loaded = tf.saved_model.load(cls.path, tags=[C.TAG])
        cls.x = np.random.default_rng(3).uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_common_signature_is_there(self):
        self.assertEqual(set(self.loaded.signatures), set(C.COMMON_SIGNATURES))

    def test_input_and_output_keys_are_the_contracts(self):
        want = {C.SIG_ASSIGN: ({"x"}, {"probs", "cluster"}), C.SIG_EMBED: ({"x"}, {"z"}),
                C.SIG_RECONSTRUCT: ({"x"}, {"x_hat"}), C.SIG_DECODE: ({"z", "cluster"}, {"x_hat"}),
                C.SIG_PRIOR: ({"cluster"}, {"mean", "stddev"})}
        for name, (inputs, outputs) in want.items():
            sig = self.loaded.signatures[name]
            self.assertEqual(set(sig.structured_input_signature[1]), inputs, name)
            self.assertEqual(set(sig.structured_outputs), outputs, name)

    def test_dtypes_and_shapes_are_the_contracts(self):
        s = self.loaded.signatures
        x_spec = s[C.SIG_ASSIGN].structured_input_signature[1]["x"]
        self.assertEqual((x_spec.dtype, x_spec.shape.as_list()), (tf.float32, [None, 4, 4, 1]))
        out = s[C.SIG_ASSIGN].structured_outputs
        self.assertEqual(out["cluster"].dtype, tf.int64)
        self.assertEqual(out["probs"].shape.as_list(), [None, 3])
        self.assertEqual(s[C.SIG_DECODE].structured_input_signature[1]["cluster"].dtype, tf.int32)
        self.assertEqual(s[C.SIG_PRIOR].structured_input_signature[1]["cluster"].dtype, tf.int32)

    def test_signatures_return_the_modules_own_outputs_exactly(self):
        s = self.loaded.signatures
        own = E.Serving(self.model).signatures()
        x = tf.constant(self.x)
        z = tf.constant(np.random.default_rng(5).normal(size=(4, 5)).astype(np.float32))
        k = tf.constant([0, 2, 1, 2], tf.int32)
        calls = {C.SIG_ASSIGN: {"x": x}, C.SIG_EMBED: {"x": x}, C.SIG_RECONSTRUCT: {"x": x},
                 C.SIG_DECODE: {"z": z, "cluster": k}, C.SIG_PRIOR: {"cluster": k}}
        for name, kwargs in calls.items():
            got, want = s[name](**kwargs), own[name](**kwargs)
            self.assertEqual(set(got), set(want), name)
            for key in want:
                self.assertEqual(got[key].dtype, want[key].dtype, (name, key))
                np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), (name, key))

    def test_signatures_match_the_eager_model_to_float_rounding(self):
        # Graph mode fuses MatMul+BiasAdd (grappler), so eager and graph may differ by an ulp.
        s = self.loaded.signatures
        inf = self.model.inference(self.x)
        out = s[C.SIG_ASSIGN](x=tf.constant(self.x))
        np.testing.assert_allclose(out["probs"].numpy(), inf["probs"].numpy(), rtol=1e-6,
                                   atol=1e-7)
        np.testing.assert_array_equal(out["cluster"].numpy(), inf["cluster"].numpy())
        np.testing.assert_allclose(s[C.SIG_EMBED](x=tf.constant(self.x))["z"].numpy(),
                                   inf["embedding"].numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(
            s[C.SIG_RECONSTRUCT](x=tf.constant(self.x))["x_hat"].numpy(),
            inf["reconstruction"].numpy(), rtol=1e-6, atol=1e-7)
        prior = s[C.SIG_PRIOR](cluster=tf.constant([0, 2, 1, 2], tf.int32))
        np.testing.assert_array_equal(prior["mean"].numpy(), np.zeros((4, 5), np.float32))
        np.testing.assert_array_equal(prior["stddev"].numpy(), np.ones((4, 5), np.float32))

    def test_asset_has_every_key(self):
        info = E.read_asset(self.path)
        self.assertEqual(set(info), set(C.JSON_KEYS) | {"provenance"})
        self.assertEqual(info["provenance"]["tensorflow"], tf.__version__)
        self.assertEqual(info["contract"], 1)
        self.assertEqual(info["model"], "gmvae_gumbel")
        self.assertEqual((info["clusters"], info["latent_dim"], info["input_shape"]),
                         (3, 5, [4, 4, 1]))
        self.assertEqual((info["likelihood"], info["made_by"], info["dataset"]),
                         ("bernoulli", "python", "mnist"))
        self.assertEqual(info["config"]["latentDim"], 5)
        self.assertEqual(info["metrics"], {"acc": 0.5, "nmi": 0.25})

    def test_export_holds_the_model_variables_only(self):
        keys = [k for k, _ in tf.train.list_variables(os.path.join(self.path, "variables",
                                                                   "variables"))
                if k.endswith("/.ATTRIBUTES/VARIABLE_VALUE")]
        names = {k.split("/")[-3] for k in keys}
        self.assertEqual(len(keys), len(self.model.params.all))
        self.assertEqual(names, set(self.model.params.all))

    def test_export_replaces_an_existing_target_and_leaves_no_temporaries(self):
        path = os.path.join(self.tmp.name, "again")
        os.makedirs(os.path.join(path, "stale"))
        E.export(self.model, path, "mnist")
        self.assertFalse(os.path.exists(os.path.join(path, "stale")))
        self.assertTrue(os.path.exists(os.path.join(path, "saved_model.pb")))
        self.assertEqual([n for n in os.listdir(self.tmp.name) if n.startswith(".")], [])


if __name__ == "__main__":
    unittest.main()
