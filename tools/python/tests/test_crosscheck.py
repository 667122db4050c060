"""crosscheck make/verify: the reference directory of docs/crosscheck.md (names, shapes, dtypes,
values against eager runs and finite differences) and verify's rows and exit codes.

Runs `make` on the paper's MNIST model with a tiny budget (B=8, T=2); needs the MNIST idx files
(tools/fetch-data mnist)."""

import contextlib
import dataclasses
import io
import json
import os
import shutil
import tempfile
import unittest

import _common  # the import path, TF logging, assert_trained_close
import numpy as np
import tensorflow as tf

from deepclust_ref import checkpoint
from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import export as E
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.check_export import export_weights
from deepclust_ref.gmvae_gumbel import GmvaeGumbel, GmvaeGumbelConfig

B, T, SEED, TAU = 8, 2, 7, 0.8


def mnist_missing():
    d = os.path.join(X.data_dir(), "mnist")
    return not all(os.path.isfile(os.path.join(d, f)) or os.path.isfile(os.path.join(d, f + ".gz"))
                   for f in ("t10k-images-idx3-ubyte", "train-images-idx3-ubyte"))


def config():
    """What `crosscheck make --model gmvae_gumbel` builds: the MNIST defaults, the test's batch."""
    return dataclasses.replace(GmvaeGumbelConfig.mnist(SEED), batch_size=B,
                               adam_epsilon=X.CROSSCHECK_ADAM_EPSILON)


def fake_java_side(ref, outputs):
    """What `./deepclust crosscheck` leaves behind, faked from the Python side: java_export = a copy
    of python_export marked made_by java, java_outputs = `outputs` ({quantity: array})."""
    java_export = os.path.join(ref, X.JAVA_EXPORT)
    shutil.rmtree(java_export, ignore_errors=True)
    shutil.copytree(os.path.join(ref, X.PYTHON_EXPORT), java_export)
    info = E.read_asset(java_export)
    info[C.JSON_MADE_BY] = "java"
    E.write_asset(java_export, info)
    named = {"java_out__" + q: np.asarray(v) for q, v in outputs.items()}
    checkpoint.save(os.path.join(ref, X.JAVA_OUTPUTS), named)
    with open(os.path.join(ref, X.JAVA_OUTPUTS_JSON), "w", encoding="utf-8") as f:
        json.dump({"tensors": X.tensor_specs(named)}, f)


def run_verify(ref):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = X.main(["verify", "--ref", ref])
    return rc, out.getvalue(), err.getvalue()


@unittest.skipIf(mnist_missing(), "MNIST idx files missing: run tools/fetch-data mnist")
class MakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ref = os.path.join(cls.tmp.name, "ref")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = X.main(["make", "--model", "gmvae_gumbel", "--out", cls.ref, "--batch-size",
                         str(B), "--steps", str(T), "--seed", str(SEED)])
        assert rc == 0, rc
        with open(os.path.join(cls.ref, X.MANIFEST), encoding="utf-8") as f:
            cls.manifest = json.load(f)
        cls.prefix = os.path.join(cls.ref, X.REF)
        cls.values = checkpoint.restore(cls.prefix)
        cls.model = GmvaeGumbel(config())
        cls.model.params.assign({n: cls.values["init__" + n] for n in cls.model.params.all})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def expected_specs(self):
        p = self.model.params
        img = [28, 28, 1]
        f32 = "float32"
        want = {"in__x": (f32, [B, *img]), "in__x_train": (f32, [T * B, *img])}
        for n, v in p.all.items():
            want["init__" + n] = (f32, list(v.shape))
            want["trained__" + n] = (f32, list(v.shape))
        for n in p.trainable_names:
            want["grad__" + n] = (f32, list(p.all[n].shape))
        for k in ("loss", "reconstruction", "categorical_kl", "gaussian_kl"):
            want["out__" + k] = (f32, [])
        want["out__logits"] = (f32, [B, 10])
        for prefix in ("out__", "trained_out__"):
            want[prefix + "probs"] = (f32, [B, 10])
            want[prefix + "cluster"] = ("int64", [B])
            want[prefix + "z"] = (f32, [B, 150])
            want[prefix + "x_hat"] = (f32, [B, *img])
        return want

    def test_every_name_is_there_with_its_shape_and_dtype(self):
        want = self.expected_specs()
        # 42 variables (30 trainable; 45 and 31 with x^ batch norm + ReLU, the default), 5 training
        # outputs, 4 inference outputs twice, 2 inputs.
        n, trainable = (45, 31) if config().feature_bn_relu else (42, 30)
        self.assertEqual(len(want), 2 + 2 * n + trainable + 5 + 2 * 4)
        got = {n: (s["dtype"], s["shape"]) for n, s in self.manifest["tensors"].items()}
        self.assertEqual(got, want)
        dtypes = tf.train.load_checkpoint(self.prefix).get_variable_to_dtype_map()
        shapes = checkpoint.names_and_shapes(self.prefix)
        self.assertEqual({n: (dtypes[n].name, shapes[n]) for n in dtypes}, want)
        for n, v in self.values.items():
            self.assertEqual((v.dtype.name, list(v.shape)), want[n], n)

    def test_manifest_records_the_run(self):
        m = self.manifest
        self.assertEqual(m["model"], "gmvae_gumbel")
        self.assertEqual(m["config"], config().to_json())
        self.assertEqual(m["config"]["batchSize"], B)
        self.assertEqual((m["batch_size"], m["steps"], m["temperature"], m["learning_rate"],
                          m["noise_seed"]), (B, T, TAU, 1e-3, SEED))

    # ---- per-step states ------------------------------------------------------------------------

    def step(self, t):
        return checkpoint.restore(X.StepStates.path(os.path.join(self.ref, X.STEPS_DIR), t))

    def test_per_step_files_hold_every_state_variable_and_gradient(self):
        per_step = self.manifest["per_step"]
        self.assertEqual((per_step["dir"], per_step["files"]), (X.STEPS_DIR, T + 1))
        self.assertEqual(per_step["adam"], {"beta1": float(np.float32(0.9)),
                                            "beta2": float(np.float32(0.999)),
                                            "epsilon": X.CROSSCHECK_ADAM_EPSILON})
        p = self.model.params
        state = set(p.all) | {n + s for n in p.trainable_names for s in ("_adam_m", "_adam_v")}
        self.assertEqual(set(per_step["state"]), {"t"} | {"state__" + n for n in state})
        self.assertEqual(set(per_step["gradients"]), {"grad__" + n for n in p.trainable_names})
        for t in range(1, T + 2):
            values = self.step(t)
            self.assertEqual(int(values["t"]), t)
            want = set(per_step["state"]) | (set(per_step["gradients"]) if t <= T else set())
            self.assertEqual(set(values), want, t)

    def test_the_states_run_from_the_initial_weights_to_the_trained_ones(self):
        first, last = self.step(1), self.step(T + 1)
        for n in self.model.params.all:
            np.testing.assert_array_equal(first["state__" + n], self.values["init__" + n], n)
            np.testing.assert_array_equal(last["state__" + n], self.values["trained__" + n], n)
        for n in self.model.params.trainable_names:
            self.assertFalse(first["state__" + n + "_adam_m"].any(), n)
            self.assertFalse(first["state__" + n + "_adam_v"].any(), n)
        # Step 1's gradients are the gradient rows' (same weights; the training batch differs).
        self.assertFalse(np.array_equal(first["grad__px_logits_bias"],
                                        self.values["grad__px_logits_bias"]))

    def test_each_state_is_adams_step_of_the_one_before(self):
        # Adam's update (docs/crosscheck.md) in float64 from the recorded state and gradient.
        b1, b2, eps = np.float64(np.float32(0.9)), np.float64(np.float32(0.999)), 1e-4
        for t in range(1, T + 1):
            before, after = self.step(t), self.step(t + 1)
            b1p = np.float64(np.float32(float(np.float32(0.9)) ** t))
            b2p = np.float64(np.float32(float(np.float32(0.999)) ** t))
            alpha = 1e-3 * np.sqrt(1 - b2p) / (1 - b1p)
            for n in self.model.params.trainable_names:
                w, m, v = (before["state__" + n + k].astype(np.float64)
                           for k in ("", "_adam_m", "_adam_v"))
                g = before["grad__" + n].astype(np.float64)
                m1 = b1 * m + (1 - b1) * g
                v1 = b2 * v + (1 - b2) * g * g
                w1 = w - alpha * m1 / (np.sqrt(v1) + eps)
                for k, want in (("", w1), ("_adam_m", m1), ("_adam_v", v1)):
                    got = after["state__" + n + k]
                    scale = np.max(np.abs(want)) + 1e-30
                    self.assertLess(np.max(np.abs(got - want)) / scale, 1e-6, (t, n + k))
            # Batch norm's moving mean moves 1% toward the batch each step.
            self.assertFalse(np.array_equal(after["state__features_1_bn_moving_mean"],
                                            before["state__features_1_bn_moving_mean"]))

    def test_inputs_are_the_first_mnist_images(self):
        d = os.path.join(X.data_dir(), "mnist")
        np.testing.assert_array_equal(
            self.values["in__x"], X.read_idx_images(os.path.join(d, "t10k-images-idx3-ubyte"), B))
        x_train = self.values["in__x_train"]
        np.testing.assert_array_equal(
            x_train, X.read_idx_images(os.path.join(d, "train-images-idx3-ubyte"), T * B))
        self.assertEqual((x_train.min(), x_train.max()), (0.0, 1.0))
        np.testing.assert_array_equal(x_train * np.float32(255), np.round(x_train * 255))

    def test_initial_weights_are_the_seeded_models(self):
        fresh = GmvaeGumbel(config()).params.read()
        for n, v in fresh.items():
            np.testing.assert_array_equal(self.values["init__" + n], v, n)

    def test_forward_outputs_match_an_eager_run(self):
        out = self.model.training(self.values["in__x"], TAU, tf.constant([SEED, 1], tf.int64))
        for k in ("loss", "reconstruction", "categorical_kl", "gaussian_kl", "logits"):
            want = out[k].numpy()
            got = self.values["out__" + k]
            self.assertLessEqual(np.max(np.abs(got - want)), 1e-5 * np.max(np.abs(want)) + 1e-7, k)
        self.assertAlmostEqual(float(self.values["out__loss"]),
                               float(self.values["out__reconstruction"]
                                     + self.values["out__categorical_kl"]
                                     + 5 * self.values["out__gaussian_kl"]), delta=1e-3)
        inf = self.model.inference(self.values["in__x"])
        np.testing.assert_array_equal(self.values["out__cluster"], inf["cluster"].numpy())
        for k, key in (("probs", "probs"), ("z", "embedding"), ("x_hat", "reconstruction")):
            np.testing.assert_allclose(self.values["out__" + k], inf[key].numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=k)

    def loss_at(self, name, value):
        v = self.model.params.all[name]
        saved = v.numpy()
        v.assign(value)
        try:
            return float(self.model.training(self.values["in__x"], TAU,
                                             tf.constant([SEED, 1], tf.int64))["loss"])
        finally:
            v.assign(saved)

    def test_gradients_match_central_differences(self):
        # float32 only: the loss is ~1e3 with ulp ~1e-4, so a step of h along a unit direction
        # leaves ~6e-5 / h of rounding in the quotient; the loss is near-linear in these biases
        # (the quotient moves by < 1e-3 from h = 2e-2 to 4e-2), so h = 4e-2 keeps both errors
        # ~1e-3. Directions: a random one and the gradient's own (whose derivative is |g|).
        rng = np.random.default_rng(0)
        for name in ("px_logits_bias", "qc_logits_bias"):
            w = self.values["init__" + name]
            g = self.values["grad__" + name].astype(np.float64)
            for d in (rng.normal(size=w.shape), g):
                d = d / np.linalg.norm(d)
                h = 4e-2
                plus = self.loss_at(name, (w + h * d).astype(np.float32))
                minus = self.loss_at(name, (w - h * d).astype(np.float32))
                fd = (plus - minus) / (2 * h)
                self.assertAlmostEqual(fd, float(g @ d), delta=5e-3 + 1e-3 * np.linalg.norm(g),
                                       msg=f"{name}: |grad| {np.linalg.norm(g):.3g}")
        self.assertGreater(np.linalg.norm(self.values["grad__px_logits_bias"]), 1.0)

    def test_no_variable_has_a_rounding_noise_gradient(self):
        # A bias whose every path to the loss passes through batch norm has a zero gradient (up to
        # rounding): the model has none (linear(z) and linear(c) carry no bias).
        grads = {n[len("grad__"):]: np.max(np.abs(v)) for n, v in self.values.items()
                 if n.startswith("grad__")}
        scale = max(grads.values())
        for n, g in grads.items():
            self.assertGreater(g, 1e-5 * scale, n)

    def test_trained_weights_differ_from_initial_and_match_eager_adam_steps(self):
        for n in self.model.params.all:
            self.assertFalse(np.array_equal(self.values["trained__" + n],
                                            self.values["init__" + n]), n)
        # The same T steps eagerly (AdamStep.apply, statistics assigned with the step).
        model = GmvaeGumbel(config())
        p = model.params
        adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names,
                        X.CROSSCHECK_ADAM_EPSILON)
        x_train = self.values["in__x_train"]
        for t in range(1, T + 1):
            with tf.GradientTape() as tape:
                out = model.training(x_train[(t - 1) * B:t * B], TAU,
                                     tf.constant([SEED, t], tf.int64))
            adam.apply(tape, out["loss"], out["updates"], 1e-3, t)
        # Eager and tf.function differ by float rounding (grappler fuses ops): the docs' training
        # threshold.
        for n, v in p.read().items():
            want = self.values["trained__" + n]
            _common.assert_trained_close(self, v, want, 1e-3, T, n)
        # Moving statistics: T updates of 1% toward the batch, from 0 and 1.
        mean = self.values["trained__features_1_bn_moving_mean"]
        self.assertTrue(mean.any())
        self.assertLess(np.max(np.abs(mean)), 1.0)

    def test_trained_outputs_are_the_trained_weights_inference(self):
        model = GmvaeGumbel(config())
        model.params.assign({n: self.values["trained__" + n] for n in model.params.all})
        inf = model.inference(self.values["in__x"])
        np.testing.assert_array_equal(self.values["trained_out__cluster"], inf["cluster"].numpy())
        np.testing.assert_allclose(self.values["trained_out__probs"], inf["probs"].numpy(),
                                   rtol=1e-5, atol=1e-6)

    def test_python_export_holds_the_trained_weights(self):
        path = os.path.join(self.ref, X.PYTHON_EXPORT)
        info = E.read_asset(path)
        self.assertEqual((info["made_by"], info["model"], info["config"]),
                         ("python", "gmvae_gumbel", config().to_json()))
        weights = export_weights(path)
        for n in self.model.params.all:
            np.testing.assert_array_equal(weights[n], self.values["trained__" + n], n)

    def test_make_leaves_no_temporaries(self):
        self.assertEqual([n for n in os.listdir(self.tmp.name) if n.startswith(".")], [])

    def test_make_refuses_to_replace_a_directory_that_is_no_reference(self):
        other = os.path.join(self.tmp.name, "other")
        os.makedirs(other)
        open(os.path.join(other, "keep.txt"), "w").close()
        with contextlib.redirect_stderr(io.StringIO()) as err:
            rc = X.main(["make", "--out", other, "--batch-size", "2", "--steps", "1"])
        self.assertEqual(rc, 1)
        self.assertIn("refusing to replace", err.getvalue())
        self.assertEqual(os.listdir(other), ["keep.txt"])

    def test_set_writes_the_setting_into_the_manifests_config_and_refuses_unknown_keys(self):
        out = os.path.join(self.tmp.name, "switched")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = X.main(["make", "--out", out, "--tiny", "--synthetic", "--batch-size", "2",
                         "--steps", "1", "--set", "binarize=true", "--set", "gaussianWeight=2"])
        self.assertEqual(rc, 0)
        with open(os.path.join(out, X.MANIFEST), encoding="utf-8") as f:
            written = json.load(f)["config"]
        self.assertEqual((written["binarize"], written["gaussianWeight"]), (True, 2))
        with contextlib.redirect_stderr(io.StringIO()) as err:
            rc = X.main(["make", "--out", out + "-bad", "--tiny", "--synthetic", "--batch-size",
                         "2", "--steps", "1", "--set", "binarise=true"])
        self.assertEqual(rc, 1)
        self.assertIn("unknown gmvae_gumbel config keys ['binarise']", err.getvalue())

    # ---- verify ---------------------------------------------------------------------------------

    def trained_outputs(self):
        return {q: self.values["trained_out__" + q].copy() for q in X.OUTPUTS}

    def test_compare_passes_equal_outputs_and_fails_a_perturbed_one(self):
        want = self.trained_outputs()
        rows = X.compare_outputs("gmvae_gumbel", X.CHECK_JAVA_TO_PYTHON, self.trained_outputs(),
                                 want)
        self.assertEqual([(r.quantity, r.passed, r.abs_diff) for r in rows],
                         [(q, True, 0.0) for q in X.OUTPUTS])
        for q in X.OUTPUTS:
            got = self.trained_outputs()
            flat = got[q].reshape(-1)
            flat[3] = flat[3] + 1 if q == "cluster" else flat[3] + np.float32(1e-3)
            rows = {r.quantity: r for r in X.compare_outputs("m", "c", got, want)}
            self.assertFalse(rows[q].passed, q)
            self.assertTrue(all(r.passed for k, r in rows.items() if k != q), q)
            if q == "cluster":
                self.assertEqual((rows[q].abs_diff, rows[q].rel_diff), (1, 1 / B))
                self.assertEqual(rows[q].format().split(" | ")[3:5], ["1.00e+00", "1.25e-01"])
            else:
                self.assertAlmostEqual(rows[q].abs_diff, 1e-3, delta=1e-6)

    def test_compare_fails_shape_dtype_and_missing(self):
        a = np.ones((2, 3), np.float32)
        self.assertFalse(X.compare("m", "c", "q", a[:1], a, 1e-6).passed)
        self.assertFalse(X.compare("m", "c", "q", None, a, 1e-6).passed)
        self.assertFalse(X.compare("m", "c", "q", a.astype(np.int64), a, 1e-6).passed)
        self.assertFalse(X.compare("m", "c", "q", a * np.nan, a, 1e-6).passed)
        r = X.compare("gmvae_gumbel", "savedmodel java→python", "probs", a + np.float32(1e-7) * a,
                      a, 1e-6)
        self.assertTrue(r.passed)
        self.assertRegex(r.format(), r"^\| gmvae_gumbel \| savedmodel java→python \| probs \| "
                                     r"1\.19e-07 \| 1\.19e-07 \| 1\.19e-01 \| pass \|$")

    def test_verify_flags_a_perturbed_java_output_and_exits_1(self):
        ref = os.path.join(self.tmp.name, "verify")
        shutil.copytree(self.ref, ref)
        outputs = self.trained_outputs()
        outputs["z"][2, 5] += np.float32(1e-2)
        fake_java_side(ref, outputs)
        rc, out, err = run_verify(ref)
        self.assertEqual(rc, 1, out + err)
        rows = [line for line in out.splitlines() if line.startswith("| ")]
        self.assertEqual(len(rows), 2 * len(X.OUTPUTS) + 1, out)
        failed = [r.split(" | ")[1:3] for r in rows if r.endswith("| fail |")]
        self.assertEqual(failed, [[X.CHECK_JAVA_TO_PYTHON, "z"]], out)
        self.assertIn(f"| gmvae_gumbel | {X.CHECK_JAVA_TO_PYTHON} | asset | 0.00e+00 | 0.00e+00 "
                      "| 0.00e+00 | pass |", out)
        self.assertIn(f"| gmvae_gumbel | {X.CHECK_PYTHON_TO_PYTHON} | probs |", out)

    def test_verify_without_java_files_exits_2_naming_the_file(self):
        rc, out, err = run_verify(self.ref)
        self.assertEqual(rc, 2)
        self.assertIn(os.path.join(self.ref, X.JAVA_EXPORT, "saved_model.pb"), err)
        self.assertEqual(out, "")


class SummaryTest(unittest.TestCase):
    ROWS = """| model | check | quantity | max abs diff | max rel diff | of gate | result |
|---|---|---|---|---|---|---|
| vab | forward | loss | 0.00e+00 | 0.00e+00 | 0.00e+00 | pass |
| vab | gradient | a | 1.00e-06 | 2.00e-07 | 2.00e-03 | pass |
| vab | gradient | b | 3.00e-06 | 4.00e-07 | 5.00e-03 | pass |
| vab | per-step training (20 steps) | a | 1.00e-05 | 6.00e-06 | 3.00e-01 | pass |
| vab | free-run drift (20 steps) | a | 1.00e-07 | 9.10e-07 | - | info |
| vab | savedmodel python→java | z | 0.00e+00 | 1.20e-07 | 1.20e-01 | pass |
| vc:tiny | per-step gradient (2 steps) | a | 1.00e-05 | 2.00e-05 | 1.50e+00 | fail |
noise that is not a row
"""

    def test_each_column_is_the_worst_of_its_rows_and_a_failing_row_fails_the_model(self):
        lines = X.summary(self.ROWS.splitlines()).splitlines()
        head = [c.strip() for c in lines[0].split("|")[1:-1]]
        self.assertEqual(head, ["model", "T", *X.SUMMARY_COLUMNS, "rows", "result"])
        vab = dict(zip(head, [c.strip() for c in lines[2].split("|")[1:-1]]))
        self.assertEqual(vab["T"], "20")
        self.assertEqual(vab["gradients"], "4.0e-07 (0.01)")
        self.assertEqual(vab["per-step training"], "6.0e-06 (0.30)")
        self.assertEqual(vab["free-run drift"], "9.1e-07")
        self.assertEqual(vab["SavedModels both ways"], "1.2e-07 (0.12)")
        self.assertEqual((vab["init"], vab["rows"], vab["result"]), ("-", "6", "pass"))
        tiny = dict(zip(head, [c.strip() for c in lines[3].split("|")[1:-1]]))
        self.assertEqual((tiny["T"], tiny["per-step gradients"], tiny["result"]),
                         ("2", "2.0e-05 (1.50)", "fail"))

    def test_rows_are_parsed_and_everything_else_is_skipped(self):
        rows = X.parse_rows(self.ROWS.splitlines())
        self.assertEqual(len(rows), 7)
        self.assertEqual(rows[4][5] != rows[4][5], True)  # "-" is NaN
        self.assertEqual(rows[6][:3], ("vc:tiny", "per-step gradient (2 steps)", "a"))


if __name__ == "__main__":
    unittest.main()
