"""The Python trainer: the Java trainer's phases, losses and schedules (training/.../train/Trainer.java
and the *TrainingGraph classes), on the TF 2.18 reference models.

    python -m deepclust_ref.train --model MODEL --run-dir DIR [--epochs N]
        [--pretrain-epochs N] [--init-vade-epochs N] [--pair-pretrain-epochs N] [--batch-size B]
        [--aug-target-stop-gradient] [--seed S] [--train-limit N] [--test-limit N]
        [--dataset mnist]

MODEL is a name of registry.REGISTRY. Phases (as Java's; the phase index p counts every phase of
the model, from 0):
- gmvae_gumbel: "train": Adam (lr, config eps) with the Gumbel temperature
  tau(e) = max(tau_min, tau_0 exp(-r e)), r = ln(tau_0/tau_min)/temperature_epochs, per epoch e.
- vade: "pretrain" (only when the recipe has epochs; the autoencoder on mu~ by the recipe's
  optimizer, loss and batch, no evaluation), "refit" (only when the recipe has refit epochs: the
  decoder alone, Adam 1e-3 on the BCE), then "joint": at its start R GMM restarts on mu~ of the
  training set (`VadeTraining.fit_prior`), the least k-means error kept (ties: least -ELBO); then Adam over every variable at
  lr(e) = max(floor, lr0 decay^floor(e / decay_epochs)).
- kdvae: "vade_pretrain", "vade_joint" (the initialising VaDE of `KdvaeConfig.init_vade`, evaluated
  by its own assignments), then "pair_pretrain" (at its start k-means on the VaDE's mu~ of the
  training set; each pair a VAE on its cluster's images, a step's batch K blocks of batch_size
  from each cluster (GroupBatches), noise seed [seed + 1, t]), then "joint"
  (Eq. 6, noise seed [seed, t]).
- vc: "train": Adam (lr, config eps) on Eq. 18 with lambda_recons = recons_scale(e) and lambda_aug =
  aug_weight(e) fed per epoch e (the config's schedules); x^ is each batch rotated by its own angles
  (see below).
- vab: "train": Adam (config eps) at lr(e) = max(floor, lr0 decay^floor(e / decay_epochs)) with the
  Gumbel temperature tau(e) = max(tau_min, tau_0 exp(-e ln(tau_0/tau_min)/E_anneal)), both per
  epoch e; each evaluation also scores `psnr` (vab.psnr of the test images and their
  reconstructions from the bits), written as `test_psnr`.

Where this differs from Java (by design):
- Batches: each epoch a permutation from numpy's `default_rng([seed, p, epoch])`, the last
  incomplete batch dropped. Java's Batcher draws a Fisher-Yates permutation from SplittableRandom
  seeded by (seed + p, epoch); numpy cannot reproduce that bit for bit, so the batch order (hence the
  trained weights) differs from a Java run with the same seed. The noise is the same scheme: noise
  seed [s, t], t the optimizer step within the phase, from 1.
- VaDE's mixture: per restart scikit-learn `KMeans(n_init=N)`, then `GaussianMixture(diag)` started
  from its clusters, 200 iterations, tol 1e-6, reg_covar 1e-6 (Java: Hipparchus k-means++ best of
  N, its own diagonal EM from the labels, stop at a mean log-likelihood gain < 1e-6, variance floor
  1e-6). No pretraining cache.
- k-DVAE's initial clusters: scikit-learn `KMeans(n_clusters=K, n_init=5, random_state=seed)`
  (Java: Hipparchus k-means++, best of 5 by squared error).
- No checkpoints and no resume; metrics.jsonl is rewritten from scratch by each run.
- GMVAE-Gumbel's and vab's metrics lines carry an extra key `temperature` (the tau of that epoch);
  vc's carry `recons_scale` and `aug_weight` (the lambda's of that epoch).
- vc's augmentation: the config's `augmentation` "rotation" (MNIST's, the default: a random
  rotation in [-3, 3] degrees, §V-A; `augment.random_rotation`, zero outside the image) or "none"
  (x^ = x); the others (Fashion-MNIST's, the colour datasets') are Java-only, as are those
  datasets. Angles come from numpy's `default_rng([seed, AUG_STREAM, t])` at step t, not from
  Java's SplitMix streams; the warp of an angle is Affine.java's.
"""

import argparse
import dataclasses
import json
import math
import os
import sys
import time

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import augment  # noqa: E402
from . import crosscheck as X  # noqa: E402
from . import export as E  # noqa: E402
from . import gmvae_gumbel  # noqa: E402
from . import kdvae  # noqa: E402
from . import registry as R  # noqa: E402
from . import vab  # noqa: E402
from . import vade  # noqa: E402
from . import vc  # noqa: E402
from .adam_step import AdamStep, MomentumStep  # noqa: E402

DATASETS = ("mnist",)
CONFIG = "config.json"
METRICS = "metrics.jsonl"
EXPORT = "export"
EVAL_BATCH = 1000  # Java's Assignments.EVAL_BATCH
GMM_RIDGE = 1e-6
GMM_MAX_ITERATIONS = 200
GMM_TOLERANCE = 1e-6
REFIT_LEARNING_RATE = 1e-3  # VadeTrainingGraph.REFIT_LEARNING_RATE
KMEANS_RESTARTS = 100  # KdvaeTrainingGraph.KMEANS_RESTARTS (k-DAE's)
AUG_STREAM = 0xA06  # vc: the rotation angles' numpy stream, [seed, AUG_STREAM, step]


# ---- data --------------------------------------------------------------------------------------


def read_idx_labels(path, count=None):
    """The first `count` labels (all when None) of an idx1 file (plain or .gz) as int64."""
    import gzip
    found = next((p for p in (path, path + ".gz") if os.path.isfile(p)), None)
    if found is None:
        raise X.MissingFile(f"no MNIST file {path}[.gz]; run tools/fetch-data mnist "
                            f"(DEEPCLUST_DATA overrides ~/.cache/deepclust)")
    opener = gzip.open if found.endswith(".gz") else open
    with opener(found, "rb") as f:
        header = f.read(8)
        if len(header) < 8 or int.from_bytes(header[:4], "big") != 0x801:
            raise ValueError(f"{found} is not an idx1 ubyte file")
        n = int.from_bytes(header[4:8], "big")
        count = n if count is None else count
        if count > n:
            raise ValueError(f"{found} holds {n} labels, {count} asked")
        raw = f.read(count)
        if len(raw) != count:
            raise ValueError(f"{found} is truncated")
    return np.frombuffer(raw, np.uint8).astype(np.int64)


def _count(path):
    """How many items an idx file (plain or .gz) holds."""
    import gzip
    found = next((p for p in (path, path + ".gz") if os.path.isfile(p)), None)
    if found is None:
        raise X.MissingFile(f"no MNIST file {path}[.gz]; run tools/fetch-data mnist "
                            f"(DEEPCLUST_DATA overrides ~/.cache/deepclust)")
    opener = gzip.open if found.endswith(".gz") else open
    with opener(found, "rb") as f:
        return int.from_bytes(f.read(8)[4:8], "big")


def load_mnist(train_limit=None, test_limit=None, directory=None):
    """((x_train, y_train), (x_test, y_test)): NHWC float32 / 255 and int64 labels, the first
    `train_limit` / `test_limit` of each split when given."""
    d = os.path.join(directory or X.data_dir(), "mnist")
    out = []
    for prefix, limit in (("train", train_limit), ("t10k", test_limit)):
        images = os.path.join(d, f"{prefix}-images-idx3-ubyte")
        n = _count(images)
        n = n if limit is None else min(int(limit), n)
        out.append((X.read_idx_images(images, n),
                    read_idx_labels(os.path.join(d, f"{prefix}-labels-idx1-ubyte"), n)))
    return tuple(out)


# ---- metrics -----------------------------------------------------------------------------------


def clustering_metrics(labels, clusters):
    """(ACC, NMI, ARI): ACC by the Hungarian method (scipy) on the contingency table, NMI with
    the arithmetic mean of the entropies and ARI (scikit-learn), as Java's ClusteringMetrics."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    labels = np.asarray(labels, np.int64)
    clusters = np.asarray(clusters, np.int64)
    m = int(max(labels.max(), clusters.max())) + 1
    table = np.zeros((m, m), np.int64)
    np.add.at(table, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-table)
    acc = float(table[rows, cols].sum()) / len(labels)
    return (acc, float(normalized_mutual_info_score(labels, clusters)),
            float(adjusted_rand_score(labels, clusters)))


# ---- phases ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Phase:
    """One phase, as Java's Phase: `step(x, indices, epoch, t)` returns the terms (the first the
    loss) computed before the update; `begin(x_train, y_train, log)` runs once at its start;
    `assign(x)` gives the hard clusters that its evaluation scores; `extra(epoch)` adds keys to
    the metrics line."""

    name: str
    epochs: int
    batch_size: int
    term_names: tuple
    learning_rate: object
    step: object
    assign: object
    evaluates: bool = True
    begin: object = None
    extra: object = None


def _specs(config):
    return (tf.TensorSpec([None, *config.input_shape], tf.float32), tf.TensorSpec([], tf.float32),
            tf.TensorSpec([2], tf.int64))


def _powers(t):
    b1p, b2p = AdamStep.beta_powers(t)
    return tf.constant(b1p), tf.constant(b2p)


def _f32(v):
    return tf.constant(np.float32(v))


def _seed(s, t):
    return tf.constant([int(s), int(t)], tf.int64)


def _batched(fn, x, batch=EVAL_BATCH):
    """fn over x in order in batches of `batch` (the last one smaller), outputs concatenated."""
    return np.concatenate([fn(tf.constant(x[i:i + batch])).numpy()
                           for i in range(0, len(x), batch)], axis=0)


def _assign_fn(model):
    spec = tf.TensorSpec([None, *model.config.input_shape], tf.float32)

    @tf.function(input_signature=[spec])
    def cluster(xs):
        return E.inference_outputs(model, xs)["cluster"]

    return lambda x: _batched(cluster, x)


class GmvaeGumbelTraining:
    def __init__(self, config):
        self.config = config
        self.model = gmvae_gumbel.GmvaeGumbel(config)
        p = self.model.params
        self.adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names,
                             config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        model, adam = self.model, self.adam
        self.terms = gmvae_gumbel.TERMS

        @tf.function(input_signature=[x_spec, scalar, seed_spec, scalar, scalar, scalar])
        def train_step(xs, temperature, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = model.training(xs, temperature, noise_seed)
            adam.apply_with_powers(tape, out["loss"], out["updates"], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.terms])

        self._train_step = train_step
        self.assign = _assign_fn(model)

    def phases(self):
        c = self.config

        def step(x, indices, epoch, t):
            return self._train_step(tf.constant(x), _f32(c.temperature(epoch)), _seed(c.seed, t),
                                    _f32(c.learning_rate), *_powers(t)).numpy()

        return [Phase("train", c.epochs, c.batch_size, self.terms, lambda e: c.learning_rate,
                      step, self.assign, extra=lambda e: {"temperature": c.temperature(e)})]


class VadeTraining:
    def __init__(self, config, prefix=""):
        self.config = config
        self.prefix = prefix
        self.model = vade.Vade(config)
        m = self.model
        recipe = config.pretraining
        sgd = recipe.optimizer == vade.SGD_MOMENTUM
        self.pretrain_opt = (MomentumStep(m.pretrain_variables, m.pretrain_names, recipe.momentum,
                                          name="pretrain_sgd") if sgd else
                             AdamStep(m.pretrain_variables, m.pretrain_names, config.adam_epsilon,
                                      name="pretrain_adam"))
        refit_vars = [m.params.all[n] for n in m.refit_names]
        self.refit_adam = AdamStep(refit_vars, m.refit_names, config.adam_epsilon,
                                   name="refit_adam")
        self.adam = AdamStep(m.trainable, m.trainable_names, config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        pretrain_opt, refit_adam, adam = self.pretrain_opt, self.refit_adam, self.adam
        self.terms = vade.TERMS

        @tf.function(input_signature=[x_spec, scalar, scalar, scalar])
        def pretrain_step(xs, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.pretraining(xs)
            if sgd:
                pretrain_opt.apply(tape, out["loss"], lr)
            else:
                pretrain_opt.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out["loss"]])

        @tf.function(input_signature=[x_spec, scalar, scalar, scalar])
        def refit_step(xs, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.pretraining(xs)
            refit_adam.apply_with_powers(tape, out[vade.REFIT_LOSS], [], lr, b1p, b2p)
            return tf.stack([out[vade.REFIT_LOSS]])

        @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar])
        def joint_step(xs, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.training(xs, noise_seed)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.terms])

        @tf.function(input_signature=[x_spec])
        def embed(xs):
            return m.encode_mean(xs)

        @tf.function(input_signature=[x_spec, seed_spec])
        def loss(xs, noise_seed):
            return m.training(xs, noise_seed)["loss"]

        self._pretrain_step, self._refit_step = pretrain_step, refit_step
        self._joint_step, self._embed, self._loss = joint_step, embed, loss
        self.assign = _assign_fn(m)
        self.start_report = None  # the restarts of the last joint-phase start

    def embed(self, x):
        """mu~ of every image, [n, Z] float32."""
        return _batched(self._embed, x)

    def mean_loss(self, x, noise_seed):
        """The mean -ELBO over x with noise seed [noise_seed, 0] (Java's meanLoss)."""
        total = 0.0
        for i in range(0, len(x), EVAL_BATCH):
            xs = x[i:i + EVAL_BATCH]
            total += float(self._loss(tf.constant(xs), _seed(noise_seed, 0))) * len(xs)
        return total / len(x)

    def fit_prior(self, x_train, y_train, log):
        """The joint phase's start (Java's VadeStart): R restarts, each k-means (best of N) on mu~
        of the training set, diagonal EM from its clusters, the prior set from the fit; the restart
        of least k-means squared error is kept, ties (the same partition) by the least -ELBO on the
        training set. Labels only score each restart."""
        start = time.time()
        c = self.config
        g = c.gmm_start
        points = self.embed(x_train).astype(np.float64)
        rows, gmms = [], []
        for r in range(g.restarts):
            seed = c.seed + 7919 * r
            kmeans, sse, gmm = gmm_from_kmeans(points, c.clusters, g.kmeans_restarts, seed)
            self._set_prior(gmm)
            loss = self.mean_loss(x_train, c.seed)  # one noise draw for every restart
            acc = clustering_metrics(y_train, self.assign(x_train))[0]
            kmeans_acc = clustering_metrics(y_train, kmeans)[0]
            rows.append({"restart": r, "seed": seed, "kmeans_acc": kmeans_acc, "kmeans_sse": sse,
                         "gmm_log_likelihood": float(gmm.score(points)), "loss": loss,
                         "acc": acc})
            gmms.append(gmm)
            log(f"GMM start {r + 1}/{g.restarts}: k-means (best of {g.kmeans_restarts}) squared "
                f"error {sse:.4f}, ACC {kmeans_acc:.4f}, VaDE -ELBO {loss:.3f}, ACC {acc:.4f}")
        best = select_start([r["kmeans_sse"] for r in rows], [r["loss"] for r in rows])
        self._set_prior(gmms[best])
        log(f"GMM start: kept restart {best + 1} of {g.restarts} by the least k-means squared "
            f"error, then -ELBO ({rows[best]['loss']:.3f}), {time.time() - start:.1f}s")
        self.start_report = {"selected": best, "restarts": rows}

    def _set_prior(self, gmm):
        k = self.config.clusters
        pi = (np.full(k, 1.0 / k) if self.config.gmm_start.weights == vade.UNIFORM
              else np.maximum(gmm.weights_, 1e-12))
        self.model.set_prior(pi, gmm.means_, gmm.covariances_)

    def phases(self):
        c = self.config
        recipe = c.pretraining
        out = []
        if recipe.epochs > 0:
            def pretrain(x, indices, epoch, t):
                return self._pretrain_step(tf.constant(x), _f32(recipe.learning_rate),
                                           *_powers(t)).numpy()

            out.append(Phase(self.prefix + "pretrain", recipe.epochs, recipe.batch_size, ("loss",),
                             lambda e: recipe.learning_rate, pretrain, self.assign,
                             evaluates=False))
        if recipe.refit_epochs > 0:
            def refit(x, indices, epoch, t):
                return self._refit_step(tf.constant(x), _f32(REFIT_LEARNING_RATE),
                                        *_powers(t)).numpy()

            out.append(Phase(self.prefix + "refit", recipe.refit_epochs, recipe.batch_size,
                             ("loss",), lambda e: REFIT_LEARNING_RATE, refit, self.assign,
                             evaluates=False))

        def joint(x, indices, epoch, t):
            return self._joint_step(tf.constant(x), _seed(c.seed, t),
                                    _f32(c.learning_rate_at(epoch)), *_powers(t)).numpy()

        out.append(Phase(self.prefix + "joint", c.epochs, c.batch_size, self.terms,
                         c.learning_rate_at, joint, self.assign, begin=self.fit_prior))
        return out


SSE_TIE = 1e-9  # k-means errors this close (relative) are the same partition (VadeStart.SSE_TIE)


def select_start(sses, losses):
    """The restart of least k-means error; among those within SSE_TIE of it, the least -ELBO
    (VadeStart.select)."""
    least = min(sses)
    tied = [r for r, s in enumerate(sses) if s - least <= SSE_TIE * abs(least)]
    return min(tied, key=lambda r: (losses[r], r))


def gmm_from_kmeans(points, k, kmeans_restarts, seed):
    """scikit-learn's KMeans (best of `kmeans_restarts`), then a diagonal GMM whose EM starts from
    those clusters (Java: DiagonalGmm.fromLabels); returns (k-means labels, its mean squared error,
    fitted GMM)."""
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture
    km = KMeans(n_clusters=k, n_init=kmeans_restarts, random_state=seed).fit(points)
    labels = km.labels_
    resp = np.eye(k)[labels]
    counts = resp.sum(0) + 1e-10
    means = resp.T @ points / counts[:, None]
    var = resp.T @ (points ** 2) / counts[:, None] - means ** 2 + GMM_RIDGE
    gmm = GaussianMixture(n_components=k, covariance_type="diag", weights_init=counts / len(points),
                          means_init=means, precisions_init=1.0 / var, max_iter=GMM_MAX_ITERATIONS,
                          tol=GMM_TOLERANCE, reg_covar=GMM_RIDGE, random_state=seed)
    gmm.fit(points)
    return labels, float(km.inertia_) / len(points), gmm


class GroupBatches:
    """Batches of K equal blocks, one per group: step t's block i is the next `per_group` members
    of group i from its own stream, the members in a permutation drawn afresh each pass (numpy's
    default_rng([seed, i, pass])), so each group trains on its own members whatever the sizes
    (Java: GroupBatcher, its own permutations)."""

    def __init__(self, groups, k, per_group, seed):
        self.members = [np.flatnonzero(groups == i) for i in range(k)]
        for i, m in enumerate(self.members):
            if len(m) == 0:
                raise ValueError(f"group {i} of {k} has no members")
        self.per_group, self.seed = per_group, seed
        self._perms = {}

    def batch(self, t):
        """The rows of step t (from 1): K blocks of per_group indices."""
        out = []
        for i, m in enumerate(self.members):
            start = (t - 1) * self.per_group
            for q in range(start, start + self.per_group):
                passes, offset = divmod(q, len(m))
                out.append(self._permutation(i, passes)[offset])
        return np.asarray(out, np.int64)

    def _permutation(self, i, passes):
        cached = self._perms.get(i)
        if cached is None or cached[0] != passes:
            perm = np.random.default_rng([self.seed, i, passes]).permutation(self.members[i])
            cached = self._perms[i] = (passes, perm)
        return cached[1]


class KdvaeTraining:
    def __init__(self, config):
        self.config = config
        self.init_vade = VadeTraining(config.init_vade(), prefix="vade_")
        self.model = kdvae.Kdvae(config)
        m = self.model
        self.pair_adam = AdamStep(m.trainable, m.trainable_names, config.adam_epsilon,
                                  name="pair_adam")
        self.adam = AdamStep(m.trainable, m.trainable_names, config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        pair_adam, adam = self.pair_adam, self.adam

        @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar])
        def pair_step(xs, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.pair_training(xs, noise_seed)
            pair_adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out["loss"]])

        @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar])
        def joint_step(xs, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.training(xs, noise_seed)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out["loss"]])

        self._pair_step, self._joint_step = pair_step, joint_step
        self.assign = _assign_fn(m)
        self.initial_clusters = None
        self.pair_batches = None
        self.x_train = None

    def fit_initial_clusters(self, x_train, y_train, log):
        """The initial clusters of the training set (once): k-means on the initialising VaDE's
        mu~, or the VaDE's own clusters (config.initial_clusters)."""
        self.x_train = x_train
        if self.initial_clusters is not None:
            return
        start = time.time()
        if self.config.initial_clusters == "kmeans":
            from sklearn.cluster import KMeans
            points = self.init_vade.embed(x_train).astype(np.float64)
            km = KMeans(n_clusters=self.config.clusters, n_init=KMEANS_RESTARTS,
                        random_state=self.config.seed).fit(points)
            self.initial_clusters = km.labels_.astype(np.int32)
            how = "k-means (scikit-learn) on the VaDE latent space"
        else:
            self.initial_clusters = self.init_vade.assign(x_train).astype(np.int32)
            how = "the VaDE's own clusters (argmax q(c|x))"
        self.pair_batches = GroupBatches(self.initial_clusters, self.config.clusters,
                                         self.config.batch_size, self.config.seed + 1)
        acc = clustering_metrics(y_train, self.initial_clusters)[0]
        log(f"initial clusters: {how}, ACC {acc:.4f} on the training set, "
            f"{time.time() - start:.1f}s")

    def phases(self):
        c = self.config
        out = list(self.init_vade.phases())

        def pair(x, indices, epoch, t):
            # The phase's batch is K blocks of batch_size, block i the next samples of pair i's
            # cluster (GroupBatches); the trainer's own batch x is not used.
            xs = self.x_train[self.pair_batches.batch(t)]
            return self._pair_step(tf.constant(xs), _seed(c.seed + 1, t), _f32(c.learning_rate),
                                   *_powers(t)).numpy()

        def joint(x, indices, epoch, t):
            return self._joint_step(tf.constant(x), _seed(c.seed, t), _f32(c.learning_rate),
                                    *_powers(t)).numpy()

        out.append(Phase("pair_pretrain", c.pair_pretrain_epochs, c.batch_size * c.clusters,
                         ("loss",),
                         lambda e: c.learning_rate, pair, self.assign,
                         begin=self.fit_initial_clusters))
        out.append(Phase("joint", c.epochs, c.batch_size, kdvae.TERMS, lambda e: c.learning_rate,
                         joint, self.assign))
        return out


class VcTraining:
    TERMS = vc.TERMS
    AUGMENTATIONS = ("none", "rotation")  # the others are Java-only

    def __init__(self, config):
        if config.augmentation not in self.AUGMENTATIONS:
            raise ValueError(f"the Python trainer augments with {list(self.AUGMENTATIONS)}, not "
                             f"'{config.augmentation}' (Java-only)")
        self.config = config
        self.model = vc.Vc(config)
        m = self.model
        self.adam = AdamStep(m.trainable, m.trainable_names, config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        adam = self.adam

        @tf.function(input_signature=[x_spec, x_spec, seed_spec, scalar, scalar, scalar, scalar,
                                      scalar])
        def train_step(xs, xs_aug, noise_seed, recons_scale, aug_weight, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.training(xs, xs_aug, noise_seed, recons_scale, aug_weight)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.TERMS])

        self._train_step = train_step
        self.assign = _assign_fn(m)

    def augment(self, x, t):
        """x^ of the batch at step t: each image rotated by its own angle in [-3, 3] degrees, or x
        itself for augmentation "none"."""
        if self.config.augmentation == "none":
            return x
        rng = np.random.default_rng([int(self.config.seed) & 0xFFFFFFFFFFFFFFFF, AUG_STREAM,
                                     int(t)])
        return augment.random_rotation(x, rng)

    def phases(self):
        c = self.config

        def step(x, indices, epoch, t):
            return self._train_step(tf.constant(x), tf.constant(self.augment(x, t)),
                                    _seed(c.seed, t), _f32(c.recons_scale(epoch)),
                                    _f32(c.aug_weight(epoch)), _f32(c.learning_rate),
                                    *_powers(t)).numpy()

        return [Phase("train", c.epochs, c.batch_size, self.TERMS, lambda e: c.learning_rate,
                      step, self.assign,
                      extra=lambda e: {"recons_scale": c.recons_scale(e),
                                       "aug_weight": c.aug_weight(e)})]


class VabTraining:
    TERMS = vab.TERMS

    def __init__(self, config):
        if config.uniform_prior:
            raise ValueError("vab with uniform_prior: the mixture is fitted by EM after each "
                             "epoch in Java's trainer (./deepclust train --uniform-prior); the "
                             "twin builds its graph for the cross-check but does not train it")
        self.config = config
        self.model = vab.Vab(config)
        m = self.model
        self.adam = AdamStep(m.trainable, m.trainable_names, config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        adam = self.adam

        @tf.function(input_signature=[x_spec, scalar, seed_spec, scalar, scalar, scalar])
        def train_step(xs, temperature, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.training(xs, temperature, noise_seed)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.TERMS])

        @tf.function(input_signature=[x_spec])
        def reconstruct(xs):
            return m.inference(xs)["x_hat"]

        self._train_step, self._reconstruct = train_step, reconstruct
        self.assign = _assign_fn(m)

    def extra_metrics(self, x):
        """Scores of a split besides ACC/NMI/ARI: the PSNR of the reconstructions from the bits."""
        return {"psnr": vab.psnr(x, _batched(self._reconstruct, x))}

    def phases(self):
        c = self.config

        def step(x, indices, epoch, t):
            return self._train_step(tf.constant(x), _f32(c.temperature(epoch)), _seed(c.seed, t),
                                    _f32(c.learning_rate_at_step(epoch, t)), *_powers(t)).numpy()

        return [Phase("train", c.epochs, c.batch_size, self.TERMS, c.learning_rate_at, step,
                      self.assign, extra=lambda e: {"temperature": c.temperature(e)})]


# ---- configs -----------------------------------------------------------------------------------


def make_config(model, seed=1, epochs=None, pretrain_epochs=None, init_vade_epochs=None,
                pair_pretrain_epochs=None, batch_size=None, config_overrides=None):
    """The model's MNIST config with the command line's settings (as Java's TrainCommand), then
    `config_overrides` (a dict of the Python config's field names) applied last. A count sets the
    config field of its name where the model has one; `pretrain_epochs` sets the epochs of the
    model's pretraining recipe (registry's `pretraining`), where it has one."""
    r = dataclasses.replace
    spec = R.spec(model)
    c = spec.default_config(seed)
    if pretrain_epochs is not None and spec.pretraining:
        c = r(c, **{spec.pretraining: r(getattr(c, spec.pretraining), epochs=pretrain_epochs)})
    counts = {"epochs": epochs, "init_vade_epochs": init_vade_epochs,
              "pair_pretrain_epochs": pair_pretrain_epochs}
    fields = {f.name for f in dataclasses.fields(c)}
    c = r(c, **{k: v for k, v in counts.items() if v is not None and k in fields})
    if batch_size is not None:
        c = r(c, batch_size=batch_size)
    if config_overrides:
        c = r(c, **config_overrides)
    return c


def config_json(config):
    """The config as Java's Gson writes it (every record key)."""
    return config.to_json()


def build(model, config):
    """The training object of `model` (its registry entry's `training` class) for `config`."""
    return globals()[R.spec(model).training](config)


# ---- the loop ----------------------------------------------------------------------------------


def batches(n, batch_size, seed, phase_index, epoch):
    """The index batches of one epoch: numpy default_rng([seed, p, epoch]) permutation, the last
    incomplete batch dropped."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, int(phase_index), int(epoch)])
    order = rng.permutation(n)
    return [order[b * batch_size:(b + 1) * batch_size] for b in range(n // batch_size)]


def _eta(seconds):
    s = int(round(seconds))
    return f"{s // 3600}:{(s // 60) % 60:02d}:{s % 60:02d}"


def _write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def train(model, run_dir, epochs=None, pretrain_epochs=None, seed=1, train_limit=None,
          test_limit=None, dataset="mnist", init_vade_epochs=None, pair_pretrain_epochs=None,
          batch_size=None, config_overrides=None, data=None, log=print, on_phase_begin=None):
    """Trains `model` into `run_dir` (config.json, metrics.jsonl, export/); returns a dict with
    the config, the last test ACC/NMI/ARI, the mean training seconds per epoch, the export path and
    the training object (its `model` is the trained model).

    `data` ((x_train, y_train), (x_test, y_test)) replaces the MNIST files; `on_phase_begin(phase,
    training)` is called right after each phase's start (e.g. after VaDE's GMM fit)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset '{dataset}': one of {list(DATASETS)}")
    config = make_config(model, seed, epochs, pretrain_epochs, init_vade_epochs,
                         pair_pretrain_epochs, batch_size, config_overrides)
    if data is None:
        data = load_mnist(train_limit, test_limit)
    else:
        (xa, ya), (xb, yb) = data
        data = ((xa[:train_limit], ya[:train_limit]), (xb[:test_limit], yb[:test_limit]))
    (x_train, y_train), (x_test, y_test) = data
    for name, x in (("train", x_train), ("test", x_test)):
        if tuple(x.shape[1:]) != tuple(config.input_shape):
            raise ValueError(f"the {name} split has images {x.shape[1:]}, the model expects "
                             f"{config.input_shape}")
    log(f"training {model} on {dataset}: {len(x_train)} train / {len(x_test)} test images, "
        f"seed {config.seed} (python)")
    training = build(model, config)
    phases = training.phases()

    run_dir = os.path.abspath(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    metrics_path = os.path.join(run_dir, METRICS)
    if os.path.exists(metrics_path):
        os.remove(metrics_path)
    _write_json_atomically(os.path.join(run_dir, CONFIG), {
        "model": model, "dataset": dataset, "train_size": int(len(x_train)),
        "test_size": int(len(x_test)), "config": config_json(config), "made_by": "python",
        "provenance": E.provenance()})

    last = (math.nan, math.nan, math.nan)
    total_seconds = 0.0
    epochs_run = 0
    epochs_total = sum(p.epochs for p in phases)
    epochs_before = 0
    for p, phase in enumerate(phases):
        if len(x_train) < phase.batch_size:
            raise ValueError(f"the training set has {len(x_train)} images, fewer than one batch "
                             f"of {phase.batch_size}")
        if phase.begin is not None:
            phase.begin(x_train, y_train, log)
        if on_phase_begin is not None:
            on_phase_begin(phase, training)
        step = 0
        for epoch in range(phase.epochs):
            start = time.time()
            sums = np.zeros(len(phase.term_names), np.float64)
            epoch_batches = batches(len(x_train), phase.batch_size, config.seed, p, epoch)
            for indices in epoch_batches:
                step += 1
                terms = phase.step(x_train[indices], indices, epoch, step)
                if not np.isfinite(terms[0]):
                    raise FloatingPointError(f"the {phase.name} loss became {terms[0]} at epoch "
                                             f"{epoch + 1}, step {step}")
                sums += terms
            means = sums / len(epoch_batches)
            train_seconds = time.time() - start
            scores = None
            extra = {}
            if phase.evaluates:
                scores = clustering_metrics(y_test, phase.assign(x_test))
                last = scores
                if hasattr(training, "extra_metrics"):
                    extra = {"test_" + k: v for k, v in training.extra_metrics(x_test).items()}
            seconds = time.time() - start
            total_seconds += train_seconds
            epochs_run += 1
            line = {"phase": phase.name, "epoch": epochs_before + epoch + 1,
                    "phase_epoch": epoch + 1, "step": step}
            for name, v in zip(phase.term_names, means):
                line[name] = float(v)
            line["learning_rate"] = float(phase.learning_rate(epoch))
            if phase.extra is not None:
                line.update(phase.extra(epoch))
            if scores is not None:
                line.update({"test_acc": scores[0], "test_nmi": scores[1], "test_ari": scores[2]})
            line.update(extra)
            line["train_seconds"] = train_seconds
            line["seconds"] = seconds
            with open(metrics_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
            terms_text = "".join(f" {n} {v:.4g}" for n, v in zip(phase.term_names, means))
            shown = (f"  test ACC {scores[0]:.4f} NMI {scores[1]:.4f} ARI {scores[2]:.4f}"
                     if scores is not None else "")
            shown += "".join(f"  {k} {v:.2f}" for k, v in extra.items())
            left = epochs_total - (epochs_before + epoch + 1)
            log(f"{phase.name} {epoch + 1}/{phase.epochs}{terms_text}{shown}  {seconds:.1f}s  "
                f"ETA {_eta(left * seconds)}")
        epochs_before += phase.epochs
    if math.isnan(last[0]):
        last = clustering_metrics(y_test, training.assign(x_test))
    export_path = E.export(training.model, os.path.join(run_dir, EXPORT), dataset,
                           metrics={"acc": last[0], "nmi": last[1], "ari": last[2],
                                    "split": "test"})
    return {"config": config, "test_acc": last[0], "test_nmi": last[1], "test_ari": last[2],
            "seconds_per_epoch": total_seconds / epochs_run if epochs_run else math.nan,
            "export": export_path, "training": training}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m deepclust_ref.train",
                                 description="Train a model as the Java trainer does.")
    ap.add_argument("--model", required=True, choices=sorted(R.REGISTRY))
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--epochs", type=int, help="epochs of the last (joint/train) phase")
    ap.add_argument("--pretrain-epochs", type=int,
                    help="VaDE (and k-DVAE's initialising VaDE): autoencoder pretraining epochs")
    ap.add_argument("--init-vade-epochs", type=int,
                    help="k-DVAE: joint epochs of the initialising VaDE (default 300)")
    ap.add_argument("--pair-pretrain-epochs", type=int,
                    help="k-DVAE: epochs of each pair's VAE on its initial cluster (default 100)")
    ap.add_argument("--initial-clusters", choices=("kmeans", "vade"),
                    help="k-DVAE: k-means on the VaDE's latent means (default) or its own clusters")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--aug-target-stop-gradient", action="store_true",
                    help="vc: the clean branch is a stop-gradient target of L_aug")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train-limit", type=int, help="train on the first N training images only")
    ap.add_argument("--test-limit", type=int, help="evaluate on the first N test images only")
    ap.add_argument("--dataset", default="mnist", choices=DATASETS)
    a = ap.parse_args(argv)
    overrides = {}
    if a.aug_target_stop_gradient:
        overrides["aug_target_stop_gradient"] = True
    if a.initial_clusters:
        overrides["initial_clusters"] = a.initial_clusters
    try:
        r = train(a.model, a.run_dir, epochs=a.epochs, pretrain_epochs=a.pretrain_epochs,
                  seed=a.seed, train_limit=a.train_limit, test_limit=a.test_limit,
                  dataset=a.dataset, init_vade_epochs=a.init_vade_epochs,
                  pair_pretrain_epochs=a.pair_pretrain_epochs, batch_size=a.batch_size,
                  config_overrides=overrides or None,
                  log=lambda s: print(s, flush=True))
    except X.MissingFile as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"done: test ACC {r['test_acc']:.4f} NMI {r['test_nmi']:.4f} ARI {r['test_ari']:.4f}, "
          f"{r['seconds_per_epoch']:.1f}s per epoch; export {r['export']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
