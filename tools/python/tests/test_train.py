"""The Python trainer (deepclust_ref.train): each model trains a tiny budget on MNIST, writes one
metrics line per epoch with Java's keys, and exports a loadable contract SavedModel."""

import json
import math
import os
import shutil
import tempfile
import unittest

import _common  # noqa: F401  (path and logging set-up)
import numpy as np
import tensorflow as tf

from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import export as E
from deepclust_ref import train as T
from deepclust_ref.kdvae import KdvaeConfig
from deepclust_ref.vade import GmmStart, Pretraining
from deepclust_ref.vc import TINY as VC_TINY
from deepclust_ref.vc import VcConfig

TRAIN_LIMIT = 600
TEST_LIMIT = 200
HAVE_MNIST = all(
    os.path.isfile(os.path.join(X.data_dir(), "mnist", f)) or
    os.path.isfile(os.path.join(X.data_dir(), "mnist", f + ".gz"))
    for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
              "t10k-labels-idx1-ubyte"))
NEEDS_MNIST = unittest.skipUnless(HAVE_MNIST, "no MNIST under $DEEPCLUST_DATA/mnist "
                                  "(tools/fetch-data mnist)")

_DATA = None


def data():
    global _DATA
    if _DATA is None:
        _DATA = T.load_mnist(TRAIN_LIMIT, TEST_LIMIT)
    return _DATA


def read_lines(run_dir):
    with open(os.path.join(run_dir, T.METRICS), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class _TrainedModel:
    """Mixin: trains once in setUpClass; shared checks of the run directory."""

    MODEL = None
    KWARGS = {}
    PHASES = ()  # expected (phase name, epochs), in order
    PHASE_BATCH = {}  # phase name -> its batch, where it is not the model's
    EVALUATES = ()  # names of phases that write test metrics

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="deepclust-train-")
        cls.begun = []
        cls.extra_setup()
        cls.result = T.train(cls.MODEL, cls.dir, seed=5, data=data(), log=lambda s: None,
                             on_phase_begin=cls.on_phase_begin, **cls.KWARGS)
        cls.lines = read_lines(cls.dir)

    @classmethod
    def extra_setup(cls):
        pass

    @classmethod
    def on_phase_begin(cls, phase, training):
        cls.begun.append(phase.name)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_one_line_per_epoch_with_phases_in_order_and_finite_losses(self):
        expected = [(name, e + 1) for name, n in self.PHASES for e in range(n)]
        self.assertEqual([(l["phase"], l["phase_epoch"]) for l in self.lines], expected)
        self.assertEqual([l["epoch"] for l in self.lines], list(range(1, len(expected) + 1)))
        self.assertEqual(self.begun, [name for name, _ in self.PHASES])
        for l in self.lines:
            for k in ("phase", "epoch", "phase_epoch", "step", "loss", "learning_rate",
                      "train_seconds", "seconds"):
                self.assertIn(k, l)
            self.assertTrue(math.isfinite(l["loss"]), l)
            batch = self.PHASE_BATCH.get(l["phase"], self.KWARGS.get("batch_size", 100))
            self.assertEqual(l["step"], l["phase_epoch"] * (TRAIN_LIMIT // batch))
            evaluated = l["phase"] in self.EVALUATES
            for k in ("test_acc", "test_nmi", "test_ari"):
                self.assertEqual(k in l, evaluated, (k, l))
            if evaluated:
                self.assertTrue(0.0 <= l["test_acc"] <= 1.0)

    def test_config_json(self):
        with open(os.path.join(self.dir, T.CONFIG), encoding="utf-8") as f:
            j = json.load(f)
        self.assertEqual((j["model"], j["dataset"], j["train_size"], j["test_size"]),
                         (self.MODEL, "mnist", TRAIN_LIMIT, TEST_LIMIT))
        self.assertEqual(j["config"], T.config_json(self.result["config"]))

    def test_export_loads_with_every_signature(self):
        path = os.path.join(self.dir, T.EXPORT)
        loaded = tf.saved_model.load(path)
        for sig in C.COMMON_SIGNATURES:
            self.assertIn(sig, loaded.signatures)
        x = tf.constant(data()[1][0][:4])
        out = loaded.signatures[C.SIG_ASSIGN](x=x)
        self.assertEqual(out[C.OUT_PROBS].shape, (4, self.result["config"].clusters))
        info = E.read_asset(path)
        self.assertEqual((info[C.JSON_MODEL], info[C.JSON_MADE_BY]), (self.MODEL, "python"))
        last = self.lines[-1]
        self.assertEqual(info[C.JSON_METRICS], {"acc": last["test_acc"], "nmi": last["test_nmi"],
                                                "ari": last["test_ari"], "split": "test"})


@NEEDS_MNIST
class GmvaeGumbelTrainTest(_TrainedModel, unittest.TestCase):
    MODEL = "gmvae_gumbel"
    KWARGS = dict(epochs=3, batch_size=100, config_overrides=dict(
        hidden=(32, 16), feature_dim=8, latent_dim=4, clusters=4, temperature_init=1.0,
        temperature_min=0.5, temperature_epochs=4))
    PHASES = (("train", 3),)
    EVALUATES = ("train",)

    def test_temperature_follows_the_schedule(self):
        rate = math.log(1.0 / 0.5) / 4
        for l in self.lines:
            e = l["phase_epoch"] - 1
            expected = max(0.5, 1.0 * math.exp(-rate * e))
            self.assertAlmostEqual(l["temperature"], expected, places=6)
        self.assertLess(self.lines[-1]["temperature"], self.lines[0]["temperature"])
        self.assertEqual([l["learning_rate"] for l in self.lines], [1e-3] * 3)


@NEEDS_MNIST
class VadeTrainTest(_TrainedModel, unittest.TestCase):
    MODEL = "vade"
    # DEC-keras's recipe (batch 100 as the joint phase's, so one step count fits every phase), one
    # epoch at a learning rate this small net survives, one refit epoch, and three GMM starts.
    KWARGS = dict(pretrain_epochs=1, epochs=2, config_overrides=dict(
        encoder_hidden=(64, 64, 128), decoder_hidden=(128, 64, 64), latent_dim=4, clusters=5,
        learning_rate_decay_epochs=1,
        pretraining=Pretraining(learning_rate=0.1, batch_size=100, epochs=1, refit_epochs=1),
        gmm_start=GmmStart(3, 2, "fit")))
    PHASES = (("pretrain", 1), ("refit", 1), ("joint", 2))
    EVALUATES = ("joint",)

    @classmethod
    def on_phase_begin(cls, phase, training):
        super().on_phase_begin(phase, training)
        if phase.name == "joint":
            m = training.model
            cls.mu = m.encode_mean(tf.constant(data()[0][0])).numpy().astype(np.float64)
            cls.prior = {n: m.params.all[n].numpy() for n in ("pc_logits", "pz_mean", "pz_logvar")}
            cls.training = training
            cls.start_loss = training.mean_loss(data()[0][0], training.config.seed)

    def test_the_start_keeps_the_restart_of_least_kmeans_error(self):
        c = self.result["config"]
        report = self.training.start_report
        losses = [r["loss"] for r in report["restarts"]]
        self.assertEqual(len(losses), 3)
        # Each restart's k-means error, recomputed from its own k-means on mu~ (scikit-learn).
        sses = []
        for r in report["restarts"]:
            labels, sse, _ = T.gmm_from_kmeans(self.mu, c.clusters, 2, r["seed"])
            means = np.stack([self.mu[labels == i].mean(0) for i in range(c.clusters)])
            direct = np.mean(np.sum((self.mu - means[labels]) ** 2, 1))
            self.assertAlmostEqual(sse, direct, delta=1e-9 * direct)
            self.assertAlmostEqual(r["kmeans_sse"], sse, delta=1e-9 * sse)
            sses.append(sse)
        least = min(sses)
        tied = [i for i, s in enumerate(sses) if s <= least * (1 + 1e-9)]
        self.assertEqual(report["selected"], min(tied, key=lambda i: losses[i]))
        # The prior is that restart's fit: k-means (best of 2) then diagonal EM (scikit-learn).
        seed = report["restarts"][report["selected"]]["seed"]
        self.assertEqual(seed, c.seed + 7919 * report["selected"])
        _, _, gmm = T.gmm_from_kmeans(self.mu, c.clusters, 2, seed)
        pi = tf.nn.softmax(self.prior["pc_logits"]).numpy()
        np.testing.assert_allclose(pi, gmm.weights_, rtol=0, atol=1e-5)
        np.testing.assert_allclose(self.prior["pz_mean"], gmm.means_, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.exp(self.prior["pz_logvar"].astype(np.float64)),
                                   gmm.covariances_, rtol=1e-5, atol=1e-5)
        # Its -ELBO, recomputed from the model at the start, is the one reported.
        chosen = losses[report["selected"]]
        self.assertAlmostEqual(self.start_loss, chosen, delta=1e-4 * abs(chosen))

    def test_learning_rates_follow_the_schedules(self):
        c = self.result["config"]
        self.assertEqual([l["learning_rate"] for l in self.lines],
                         [c.pretraining.learning_rate, T.REFIT_LEARNING_RATE, c.learning_rate,
                          max(c.learning_rate_floor, c.learning_rate * c.learning_rate_decay)])
        self.assertLessEqual({"reconstruction", "latent_kl", "categorical_kl"},
                             set(self.lines[-1]))


@NEEDS_MNIST
class KdvaeTrainTest(_TrainedModel, unittest.TestCase):
    MODEL = "kdvae"
    KWARGS = dict(pretrain_epochs=1, init_vade_epochs=1, pair_pretrain_epochs=1, epochs=1,
                  config_overrides=dict(encoder_hidden=(32, 16), decoder_hidden=(16, 32),
                                        latent_dim=4, clusters=4,
                                        init_vade_pretraining=Pretraining.adam_bce_epochs(1),
                                        init_vade_gmm_start=GmmStart(2, 2)))
    PHASES = (("vade_pretrain", 1), ("vade_joint", 1), ("pair_pretrain", 1), ("joint", 1))
    PHASE_BATCH = {"pair_pretrain": 4 * 100}  # K blocks of the batch size
    EVALUATES = ("vade_joint", "pair_pretrain", "joint")

    def test_initial_clusters_are_k_means_of_the_vade(self):
        t = self.result["training"]
        self.assertEqual(t.initial_clusters.shape, (TRAIN_LIMIT,))
        self.assertEqual(set(t.initial_clusters.tolist()), set(range(4)))
        self.assertEqual(t.init_vade.config.latent_dim, 10)  # VaDE's MNIST settings, as Java


@NEEDS_MNIST
class KdvaeVadeClustersTrainTest(_TrainedModel, unittest.TestCase):
    MODEL = "kdvae"
    KWARGS = dict(KdvaeTrainTest.KWARGS, config_overrides=dict(
        KdvaeTrainTest.KWARGS["config_overrides"], clusters=2, initial_clusters="vade"))
    PHASES = KdvaeTrainTest.PHASES
    PHASE_BATCH = {"pair_pretrain": 2 * 100}
    EVALUATES = KdvaeTrainTest.EVALUATES

    def test_initial_clusters_are_the_vades_own(self):
        t = self.result["training"]
        x = data()[0][0]
        np.testing.assert_array_equal(t.initial_clusters, t.init_vade.assign(x))
        self.assertEqual(set(t.initial_clusters.tolist()), {0, 1})


@NEEDS_MNIST
class VcTrainTest(_TrainedModel, unittest.TestCase):
    MODEL = "vc"
    KWARGS = dict(epochs=2, config_overrides=dict(VC_TINY, aug_weight_schedule=(0.01, 1, 0.5)))
    PHASES = (("train", 2),)
    EVALUATES = ("train",)

    def test_lambdas_follow_the_schedules_and_every_term_is_logged(self):
        self.assertEqual([(l["recons_scale"], l["aug_weight"]) for l in self.lines],
                         [(0.5, 0.01), (0.5, 0.5)])
        for l in self.lines:
            for k in ("reconstruction", "entropy", "gaussian_kl", "aug_l2", "aug_w2"):
                self.assertTrue(math.isfinite(l[k]), (k, l))
            self.assertGreater(l["aug_l2"] + l["aug_w2"], 0.0)

    def test_export_has_prior_mix(self):
        loaded = tf.saved_model.load(os.path.join(self.dir, T.EXPORT))
        self.assertIn(C.SIG_PRIOR_MIX, loaded.signatures)

    def test_augmented_batch_is_a_seeded_small_rotation(self):
        t = self.result["training"]
        x = data()[0][0][:4]
        a, b = t.augment(x, 3), t.augment(x, 3)
        np.testing.assert_array_equal(a, b)
        self.assertFalse(np.array_equal(a, t.augment(x, 4)))
        self.assertLess(np.abs(a - x).mean(), np.abs(np.roll(x, 3, axis=2) - x).mean())


class PiecesTest(unittest.TestCase):
    def test_the_start_is_chosen_by_kmeans_error_then_elbo(self):
        # As VadeStartTest: the lower -ELBO of a worse partition does not win; a partition found
        # twice (error equal to rounding) is decided by the -ELBO.
        self.assertEqual(T.select_start([9.846, 9.879, 9.846], [244.862, 244.674, 244.9]), 0)
        self.assertEqual(T.select_start([9.846, 9.846 * (1 + 1e-12), 10.0],
                                        [244.9, 244.8, 200.0]), 1)

    def test_batches_are_seeded_permutations_dropping_the_last(self):
        a = T.batches(250, 100, 7, 1, 3)
        self.assertEqual([len(b) for b in a], [100, 100])
        self.assertEqual(len(set(np.concatenate(a).tolist())), 200)
        for x, y in zip(a, T.batches(250, 100, 7, 1, 3)):
            np.testing.assert_array_equal(x, y)
        self.assertFalse(np.array_equal(a[0], T.batches(250, 100, 7, 1, 4)[0]))
        self.assertFalse(np.array_equal(a[0], T.batches(250, 100, 7, 2, 3)[0]))

    def test_group_batches_are_blocks_of_each_groups_own_passes(self):
        groups = np.array([0, 1, 0, 2, 0, 2, 1, 0, 2, 0])  # sizes 5, 2, 3
        g = T.GroupBatches(groups, 3, 4, 11)
        steps = [g.batch(t) for t in (1, 2, 3)]
        for rows in steps:
            np.testing.assert_array_equal(groups[rows], np.repeat([0, 1, 2], 4))
        stream0 = np.concatenate([r[:4] for r in steps])
        for p in (stream0[:5], stream0[5:10]):  # each pass over group 0 visits every member
            self.assertEqual(sorted(p.tolist()), [0, 2, 4, 7, 9])
        np.testing.assert_array_equal(T.GroupBatches(groups, 3, 4, 11).batch(3), steps[2])
        with self.assertRaisesRegex(ValueError, "group 3 of 4 has no members"):
            T.GroupBatches(groups, 4, 2, 1)

    def test_metrics_are_permutation_invariant(self):
        labels = np.array([0, 0, 1, 1, 2, 2, 2])
        acc, nmi, ari = T.clustering_metrics(labels, (labels + 1) % 3)
        self.assertEqual((acc, round(nmi, 12), round(ari, 12)), (1.0, 1.0, 1.0))
        acc, _, _ = T.clustering_metrics(labels, np.array([0, 0, 0, 1, 1, 1, 1]))
        self.assertAlmostEqual(acc, 5 / 7)

    def test_kdvae_config_init_vade_keys(self):
        c = KdvaeConfig.mnist(3)
        self.assertEqual((c.init_vade_pretraining, c.init_vade_gmm_start, c.init_vade_epochs),
                         (Pretraining.dec_keras(), GmmStart(), 300))
        j = c.to_json()
        self.assertEqual((j["initVadePretraining"]["epochs"], j["initVadeGmmStart"]["restarts"],
                          j["initVadeEpochs"]), (300, 10, 300))
        self.assertEqual(KdvaeConfig.from_json(c.to_json()), c)
        c2 = KdvaeConfig(seed=3, init_vade_pretraining=Pretraining.adam_bce(),
                         init_vade_gmm_start=GmmStart(2, 3, "fit"), init_vade_epochs=0)
        self.assertEqual(KdvaeConfig.from_json(c2.to_json()), c2)
        v = c2.init_vade()
        self.assertEqual((v.pretraining, v.gmm_start, v.epochs, v.seed, v.batch_size),
                         (Pretraining.adam_bce(), GmmStart(2, 3, "fit"), 1, 3, 100))
        old = c2.to_json()
        del old["initVadePretraining"], old["initVadeGmmStart"]
        old["initVadePretrainEpochs"] = 4
        self.assertEqual(KdvaeConfig.from_json(old).init_vade_pretraining,
                         Pretraining("adam", 1e-3, 0.0, "bce", 100, 4, "glorot_uniform", 0))

    def test_make_config_mirrors_the_java_command_line(self):
        c = T.make_config("kdvae", seed=2, epochs=3, pretrain_epochs=4, init_vade_epochs=5,
                          pair_pretrain_epochs=6)
        self.assertEqual((c.epochs, c.init_vade_pretrain_epochs, c.init_vade_epochs,
                          c.pair_pretrain_epochs, c.seed), (3, 4, 5, 6, 2))
        c = T.make_config("vade", epochs=3, pretrain_epochs=0)
        self.assertEqual((c.epochs, c.pretrain_epochs), (3, 0))
        c = T.make_config("vc", seed=4, epochs=3, batch_size=50)
        self.assertEqual(c, VcConfig(seed=4, epochs=3, batch_size=50))
        with self.assertRaises(ValueError):
            T.make_config("nope")


if __name__ == "__main__":
    unittest.main()
