"""The training phases of VaDE and k-DVAE (as Java's VadeTrainingGraph, VadeStart and
KdvaeTrainingGraph): pretraining, the GMM start, the joint phase, and k-DVAE's initial clusters and
pair pretraining."""

import time

import numpy as np
import tensorflow as tf

from . import dist
from . import kdvae
from . import vade
from .adam_step import AdamStep, MomentumStep
from .data import clustering_metrics
from .phases import (EVAL_BATCH, Phase, _adam, _assign_fn, _batched, _f32, _powers, _seed,
                     _specs, augmented)

GMM_RIDGE = 1e-6
GMM_MAX_ITERATIONS = 200
GMM_TOLERANCE = 1e-6
REFIT_LEARNING_RATE = 1e-3  # VadeTrainingGraph.REFIT_LEARNING_RATE
KMEANS_RESTARTS = 100  # KdvaeTrainingGraph.KMEANS_RESTARTS (k-DAE's)


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
        self.adam = _adam(m, config)
        x_spec, scalar, seed_spec = _specs(config)
        pretrain_opt, refit_adam, adam = self.pretrain_opt, self.refit_adam, self.adam
        self.terms = config.terms

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

        @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar, x_spec, scalar])
        def joint_step(xs, noise_seed, lr, b1p, b2p, xs_aug, aug_weight):
            with tf.GradientTape() as tape:
                out = m.training(xs, noise_seed, xs_aug, aug_weight)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.terms])

        @tf.function(input_signature=[x_spec])
        def embed(xs):
            return m.encode_mean(xs)

        @tf.function(input_signature=[x_spec, seed_spec])
        def loss(xs, noise_seed):
            return m.training(xs, noise_seed)["negative_elbo"]

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
            x_aug = augmented(c, x, t) if c.augmented else x
            return self._joint_step(tf.constant(x), _seed(c.seed, t),
                                    _f32(c.learning_rate_at(epoch)), *_powers(t),
                                    tf.constant(x_aug), _f32(dist.aug_weight_at(epoch))).numpy()

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
        self.pair_adam, self.adam = _adam(m, config, "pair_adam"), _adam(m, config)
        x_spec, scalar, seed_spec = _specs(config)

        def loss_step(adam, loss):
            """One Adam step on `loss(xs, noise_seed)`'s "loss"; returns [loss]."""
            @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar])
            def step(xs, noise_seed, lr, b1p, b2p):
                with tf.GradientTape() as tape:
                    out = loss(xs, noise_seed)
                adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
                return tf.stack([out["loss"]])
            return step

        pair_step = loss_step(self.pair_adam, m.pair_training)
        adam, terms = self.adam, config.terms

        @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar, x_spec, scalar])
        def joint_step(xs, noise_seed, lr, b1p, b2p, xs_aug, aug_weight):
            with tf.GradientTape() as tape:
                out = m.training(xs, noise_seed, xs_aug, aug_weight)
            adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
            return tf.stack([out[k] for k in terms])

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
            x_aug = augmented(c, x, t) if c.augmented else x
            return self._joint_step(tf.constant(x), _seed(c.seed, t), _f32(c.learning_rate),
                                    *_powers(t), tf.constant(x_aug),
                                    _f32(dist.aug_weight_at(epoch))).numpy()

        out.append(Phase("pair_pretrain", c.pair_pretrain_epochs, c.batch_size * c.clusters,
                         ("loss",),
                         lambda e: c.learning_rate, pair, self.assign,
                         begin=self.fit_initial_clusters))
        out.append(Phase("joint", c.epochs, c.batch_size, c.terms, lambda e: c.learning_rate,
                         joint, self.assign))
        return out
