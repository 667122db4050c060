"""VaDE and k-DVAE: export round trip (signatures return the module's tf.function outputs exactly,
the asset; vc's too, with prior_mix) and `crosscheck make --tiny --synthetic` (every name with its
shape and dtype, values against eager runs, verify against a faked Java side)."""

import contextlib
import io
import json
import os
import tempfile
import unittest

import _common  # the import path, TF logging, assert_trained_close
import numpy as np
import tensorflow as tf

import test_crosscheck as TC
import test_kdvae
import test_vade
from deepclust_ref import checkpoint
from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import export as E
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.check_export import export_weights
from deepclust_ref.kdvae import TRAINING_OUTPUTS as KDVAE_OUTPUTS
from deepclust_ref.kdvae import Kdvae
from deepclust_ref.vade import TRAINING_OUTPUTS as VADE_OUTPUTS
from deepclust_ref.vade import Vade
from deepclust_ref.vc import Vc, VcConfig, conv


class _ExportCase:
    name = None
    extra_signatures = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = cls.make_model()
        cls.path = os.path.join(cls.tmp.name, "export")
        E.export(cls.model, cls.path, "mnist", {"acc": 0.5})
        cls.loaded = tf.saved_model.load(cls.path, tags=[C.TAG])
        cls.x = np.random.default_rng(3).uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_signatures_return_the_modules_own_outputs_exactly(self):
        s = self.loaded.signatures
        self.assertEqual(set(s), set(C.COMMON_SIGNATURES) | set(self.extra_signatures))
        own = E.Serving(self.model).signatures()
        x = tf.constant(self.x)
        z = tf.constant(np.random.default_rng(5).normal(size=(4, 4)).astype(np.float32))
        k = tf.constant([0, 2, 1, 2], tf.int32)
        calls = {C.SIG_ASSIGN: {"x": x}, C.SIG_EMBED: {"x": x}, C.SIG_RECONSTRUCT: {"x": x},
                 C.SIG_DECODE: {"z": z, "cluster": k}, C.SIG_PRIOR: {"cluster": k}}
        for name, kwargs in calls.items():
            got, want = s[name](**kwargs), own[name](**kwargs)
            self.assertEqual(set(got), set(want), name)
            for key in want:
                self.assertEqual(got[key].dtype, want[key].dtype, (name, key))
                np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), (name, key))
        out = s[C.SIG_ASSIGN](x=x)
        self.assertEqual(out["cluster"].dtype, tf.int64)
        self.assertEqual(out["probs"].shape.as_list(), [5, 3])
        inf = self.model.inference(self.x)
        np.testing.assert_array_equal(out["cluster"].numpy(), inf["cluster"].numpy())
        np.testing.assert_allclose(s[C.SIG_EMBED](x=x)["z"].numpy(), inf["z"].numpy(),
                                   rtol=1e-6, atol=1e-7)

    def test_asset_and_weights(self):
        info = E.read_asset(self.path)
        self.assertEqual(set(info), set(C.JSON_KEYS) | {"provenance"})
        self.assertEqual((info["model"], info["likelihood"], info["made_by"], info["clusters"],
                          info["latent_dim"], info["input_shape"]),
                         (self.name, "bernoulli", "python", 3, 4, [4, 4, 1]))
        self.assertEqual(info["config"], self.model.config.to_json())
        weights = export_weights(self.path)
        self.assertEqual(set(weights) - {"_CHECKPOINTABLE_OBJECT_GRAPH"},
                         set(self.model.params.all))
        for n, v in self.model.params.read().items():
            np.testing.assert_array_equal(weights[n], v, n)


class VadeExportTest(_ExportCase, unittest.TestCase):
    name = "vade"

    @staticmethod
    def make_model():
        return test_vade.randomised()

    def test_prior_signature_is_the_gmm(self):
        p = self.loaded.signatures[C.SIG_PRIOR](cluster=tf.constant([2, 0], tf.int32))
        w = self.model.params.read()
        np.testing.assert_array_equal(p["mean"].numpy(), w["pz_mean"][[2, 0]])
        np.testing.assert_allclose(p["stddev"].numpy(), np.exp(0.5 * w["pz_logvar"][[2, 0]]),
                                   rtol=1e-6)


class KdvaeExportTest(_ExportCase, unittest.TestCase):
    name = "kdvae"

    @staticmethod
    def make_model():
        return test_kdvae.randomised()


class VcExportTest(_ExportCase, unittest.TestCase):
    name = "vc"
    extra_signatures = (C.SIG_PRIOR_MIX,)

    @staticmethod
    def make_model():
        # 4x4x1 -> 2x2x2 (F = 8) and back: the smallest vc the shared case's shapes allow.
        c = VcConfig(seed=3, input_shape=(4, 4, 1), clusters=3, latent_dim=4,
                     encoder_convs=(conv(2, 1, "valid"),), posterior_hidden=(5,),
                     decoder_dense=(8,), decoder_reshape=(2, 2, 2),
                     decoder_deconvs=(conv(1, 1, "valid"),))
        model = Vc(c)
        rng = np.random.default_rng(0)
        for n, v in model.params.all.items():
            if n.endswith("_bias"):
                v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
        return model

    def test_prior_mix_of_one_hot_rows_is_prior(self):
        s = self.loaded.signatures
        k = np.array([2, 0, 1, 1], np.int32)
        prior = s[C.SIG_PRIOR](cluster=tf.constant(k))
        mix = s[C.SIG_PRIOR_MIX](weights=tf.constant(np.eye(3, dtype=np.float32)[k]))
        for key in (C.OUT_MEAN, C.OUT_STDDEV):
            np.testing.assert_array_equal(mix[key].numpy(), prior[key].numpy(), key)


B, T, SEED = 4, 2, 11


class _MakeCase:
    name = None
    batch = B
    model_class = None
    outputs = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ref = os.path.join(cls.tmp.name, "ref")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = X.main(["make", "--model", cls.name, "--tiny", "--synthetic", "--out", cls.ref,
                         "--batch-size", str(cls.batch), "--steps", str(T), "--seed", str(SEED)])
        assert rc == 0, rc
        with open(os.path.join(cls.ref, X.MANIFEST), encoding="utf-8") as f:
            cls.manifest = json.load(f)
        cls.values = checkpoint.restore(os.path.join(cls.ref, X.REF))
        cls.config = cls.config_class().from_json(cls.manifest["config"])
        cls.model = cls.model_class(cls.config)
        cls.model.params.assign({n: cls.values["init__" + n] for n in cls.model.params.all})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_name_is_there_with_its_shape_and_dtype(self):
        c, p = self.config, self.model.params
        f32 = "float32"
        img = list(c.input_shape)
        b = self.batch
        want = {"in__x": (f32, [b, *img]), "in__x_train": (f32, [T * b, *img])}
        for n, v in p.all.items():
            want["init__" + n] = (f32, list(v.shape))
            want["trained__" + n] = (f32, list(v.shape))
        for n in self.model.trainable_names:
            want["grad__" + n] = (f32, list(p.all[n].shape))
        want.update(self.training_specs())
        for prefix in ("out__", "trained_out__"):
            want[prefix + "probs"] = (f32, [self.batch, c.clusters])
            want[prefix + "cluster"] = ("int64", [self.batch])
            want[prefix + "z"] = (f32, [self.batch, c.latent_dim])
            want[prefix + "x_hat"] = (f32, [self.batch, *img])
        got = {n: (s["dtype"], s["shape"]) for n, s in self.manifest["tensors"].items()}
        self.assertEqual(got, want)
        for n, v in self.values.items():
            self.assertEqual((v.dtype.name, list(v.shape)), want[n], n)
        self.assertEqual(self.manifest["model"], self.name)
        self.assertEqual((c.clusters, c.latent_dim), (3, 4))

    def test_forward_and_gradients_match_an_eager_run(self):
        x = self.values["in__x"]
        with tf.GradientTape() as tape:
            out = self.model.training(x, tf.constant([SEED, 1], tf.int64))
        grads = tape.gradient(out["loss"], self.model.trainable)
        if hasattr(self.model, "pretraining_losses"):  # VaDE's forward rows add these
            out = {**out, **self.model.pretraining_losses(x)}
        if hasattr(self.model, "pair_losses"):  # and k-DVAE's this one
            out = {**out, **self.model.pair_losses(x, tf.constant([SEED, 1], tf.int64))}
        for k in self.outputs:
            want = out[k].numpy()
            got = self.values["out__" + k]
            if want.dtype == np.int64:
                np.testing.assert_array_equal(got, want, k)
            else:
                self.assertLessEqual(np.max(np.abs(got - want)),
                                     1e-5 * np.max(np.abs(want)) + 1e-6, k)
        for n, g in zip(self.model.trainable_names, grads):
            want = g.numpy()
            self.assertLessEqual(np.max(np.abs(self.values["grad__" + n] - want)),
                                 1e-4 * np.max(np.abs(want)) + 1e-7, n)
        inf = E.inference_outputs(self.model, x)
        np.testing.assert_array_equal(self.values["out__cluster"], inf["cluster"].numpy())

    def test_trained_weights_match_eager_adam_steps(self):
        model = self.model_class(self.config)
        model.params.assign({n: self.values["init__" + n] for n in model.params.all})
        adam = AdamStep(model.trainable, model.trainable_names, X.CROSSCHECK_ADAM_EPSILON)
        x_train, b = self.values["in__x_train"], self.batch
        for t in range(1, T + 1):
            with tf.GradientTape() as tape:
                out = model.training(x_train[(t - 1) * b:t * b], tf.constant([SEED, t], tf.int64))
            adam.apply(tape, out["loss"], [], self.config.learning_rate, t)
        for n, v in model.params.read().items():
            want = self.values["trained__" + n]
            self.assertFalse(np.array_equal(want, self.values["init__" + n]), n)
            _common.assert_trained_close(self, v, want, self.config.learning_rate, T, n)

    def test_verify_passes_a_faithful_java_side(self):
        outputs = {q: self.values["trained_out__" + q] for q in X.OUTPUTS}
        TC.fake_java_side(self.ref, outputs)
        rc, out, err = TC.run_verify(self.ref)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(len([r for r in out.splitlines() if r.startswith(f"| {self.name} |")]),
                         2 * len(X.OUTPUTS) + 1, out)


class VadeMakeTest(_MakeCase, unittest.TestCase):
    name = "vade"
    model_class = Vade
    outputs = VADE_OUTPUTS

    @staticmethod
    def config_class():
        from deepclust_ref.vade import VadeConfig
        return VadeConfig

    def training_specs(self):
        specs = {"out__" + k: ("float32", []) for k in VADE_OUTPUTS}
        specs["out__log_gamma"] = ("float32", [B, 3])
        return specs

    def test_init_holds_the_seeded_prior_and_the_seeds_weights(self):
        fresh = Vade(self.config)
        for n, v in fresh.params.read().items():
            if not n.startswith(("pc_", "pz_")):
                np.testing.assert_array_equal(self.values["init__" + n], v, n)
        pi, mean, var = X.seeded_prior(self.config)
        np.testing.assert_allclose(self.values["init__pc_logits"], np.log(pi), rtol=1e-6)
        np.testing.assert_array_equal(self.values["init__pz_mean"], mean)
        np.testing.assert_allclose(self.values["init__pz_logvar"], np.log(var), rtol=1e-6)
        self.assertGreater(np.std(self.values["init__pz_logvar"]), 0.05)
        np.testing.assert_allclose(np.exp(self.values["out__log_gamma"]).sum(1), 1.0, atol=1e-5)


class KdvaeMakeTest(_MakeCase, unittest.TestCase):
    name = "kdvae"
    model_class = Kdvae
    outputs = KDVAE_OUTPUTS
    batch = 6  # a multiple of K = 3: x also feeds the pair loss as K blocks

    @staticmethod
    def config_class():
        from deepclust_ref.kdvae import KdvaeConfig
        return KdvaeConfig

    def training_specs(self):
        return {"out__loss": ("float32", []), "out__score": ("float32", [3, self.batch]),
                "out__assigned": ("int64", [self.batch]), "out__pair_loss": ("float32", [])}

    def test_init_is_the_seeds(self):
        for n, v in Kdvae(self.config).params.read().items():
            np.testing.assert_array_equal(self.values["init__" + n], v, n)
        np.testing.assert_array_equal(self.values["out__assigned"],
                                      self.values["out__score"].argmax(0))


if __name__ == "__main__":
    unittest.main()
