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

from . import crosscheck as X  # noqa: E402
from . import export as E  # noqa: E402
from . import phases as P  # noqa: E402
from . import registry as R  # noqa: E402
from . import vade_training as V  # noqa: E402
# The trainer's public names, wherever they are written (callers use train.NAME).
from .data import DATASETS, clustering_metrics, load_mnist, read_idx_labels  # noqa: E402, F401
from .phases import GmvaeGumbelTraining, Phase, VabTraining, VcTraining  # noqa: E402, F401
from .vade_training import (KdvaeTraining, GroupBatches, REFIT_LEARNING_RATE,  # noqa: E402, F401
                            VadeTraining, gmm_from_kmeans, select_start)

CONFIG = "config.json"
METRICS = "metrics.jsonl"
EXPORT = "export"

__all__ = ["CONFIG", "METRICS", "EXPORT", "DATASETS", "Epoch", "Phase", "GmvaeGumbelTraining",
           "VabTraining", "VcTraining", "VadeTraining", "KdvaeTraining", "GroupBatches",
           "REFIT_LEARNING_RATE", "batches", "build", "clustering_metrics", "config_json",
           "console_line", "gmm_from_kmeans", "load_mnist", "loop", "main", "make_config",
           "metrics_line", "read_idx_labels", "select_start", "train"]


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
    name = R.spec(model).training
    for module in (P, V):
        if hasattr(module, name):
            return getattr(module, name)(config)
    raise LookupError(f"no training class {name} for model {model}")


# ---- the loop ----------------------------------------------------------------------------------


def batches(n, batch_size, seed, phase_index, epoch):
    """The index batches of one epoch: numpy default_rng([seed, p, epoch]) permutation, the last
    incomplete batch dropped."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, int(phase_index), int(epoch)])
    order = rng.permutation(n)
    return [order[b * batch_size:(b + 1) * batch_size] for b in range(n // batch_size)]


@dataclasses.dataclass
class Epoch:
    """What the loop hands its listeners after each epoch (as Java's TrainingListener.Epoch)."""

    phase: Phase
    overall_epoch: int  # from 1, over all phases
    epochs_total: int
    phase_epoch: int  # from 1, within the phase
    step: int  # the phase's optimizer steps so far
    terms: dict  # the phase's terms, means over the epoch's batches
    scores: tuple  # test (ACC, NMI, ARI), or None where the phase does not evaluate
    extra: dict  # further test scores ("test_psnr"), may be empty
    train_seconds: float
    seconds: float


def metrics_line(path):
    """A listener appending each epoch's line to metrics.jsonl at `path` (Java's metrics lines)."""
    def on_epoch(e):
        line = {"phase": e.phase.name, "epoch": e.overall_epoch, "phase_epoch": e.phase_epoch,
                "step": e.step}
        line.update(e.terms)
        line["learning_rate"] = float(e.phase.learning_rate(e.phase_epoch - 1))
        if e.phase.extra is not None:
            line.update(e.phase.extra(e.phase_epoch - 1))
        if e.scores is not None:
            line.update({"test_acc": e.scores[0], "test_nmi": e.scores[1],
                         "test_ari": e.scores[2]})
        line.update(e.extra)
        line["train_seconds"] = e.train_seconds
        line["seconds"] = e.seconds
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    return on_epoch


def _eta(seconds):
    s = int(round(seconds))
    return f"{s // 3600}:{(s // 60) % 60:02d}:{s % 60:02d}"


def console_line(log):
    """A listener giving `log` one line per epoch: terms, scores, seconds and the ETA."""
    def on_epoch(e):
        text = "".join(f" {n} {v:.4g}" for n, v in e.terms.items())
        if e.scores is not None:
            text += "  test ACC {:.4f} NMI {:.4f} ARI {:.4f}".format(*e.scores)
        text += "".join(f"  {k} {v:.2f}" for k, v in e.extra.items())
        left = e.epochs_total - e.overall_epoch
        log(f"{e.phase.name} {e.phase_epoch}/{e.phase.epochs}{text}  {e.seconds:.1f}s  "
            f"ETA {_eta(left * e.seconds)}")
    return on_epoch


def _write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _run_epoch(phase, p, epoch, step, x_train, seed):
    """One epoch of `phase` (index p): the terms' means and the phase's step count after it."""
    sums = np.zeros(len(phase.term_names), np.float64)
    epoch_batches = batches(len(x_train), phase.batch_size, seed, p, epoch)
    for indices in epoch_batches:
        step += 1
        terms = phase.step(x_train[indices], indices, epoch, step)
        if not np.isfinite(terms[0]):
            raise FloatingPointError(f"the {phase.name} loss became {terms[0]} at epoch "
                                     f"{epoch + 1}, step {step}")
        sums += terms
    means = sums / len(epoch_batches)
    return {n: float(v) for n, v in zip(phase.term_names, means)}, step


def _evaluate(training, phase, x_test, y_test):
    """The phase's test scores and extra scores, or (None, {}) where it does not evaluate."""
    if not phase.evaluates:
        return None, {}
    scores = clustering_metrics(y_test, phase.assign(x_test))
    extra = {}
    if hasattr(training, "extra_metrics"):
        extra = {"test_" + k: v for k, v in training.extra_metrics(x_test).items()}
    return scores, extra


def loop(training, data, seed, listeners, log=print, on_phase_begin=None):
    """Runs every phase of `training` on `data` ((x, y) train, (x, y) test), handing each epoch to
    `listeners`; returns the last test scores (NaN where no phase evaluated) and the mean training
    seconds per epoch."""
    (x_train, y_train), (x_test, y_test) = data
    phases = training.phases()
    last, total_seconds, overall = (math.nan,) * 3, 0.0, 0
    epochs_total = sum(p.epochs for p in phases)
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
            terms, step = _run_epoch(phase, p, epoch, step, x_train, seed)
            train_seconds = time.time() - start
            scores, extra = _evaluate(training, phase, x_test, y_test)
            last = scores or last
            total_seconds += train_seconds
            overall += 1
            e = Epoch(phase, overall, epochs_total, epoch + 1, step, terms, scores, extra,
                      train_seconds, time.time() - start)
            for listener in listeners:
                listener(e)
    return last, total_seconds / overall if overall else math.nan


def _data(dataset, data, train_limit, test_limit, config):
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset '{dataset}': one of {list(DATASETS)}")
    if data is None:
        data = load_mnist(train_limit, test_limit)
    else:
        (xa, ya), (xb, yb) = data
        data = ((xa[:train_limit], ya[:train_limit]), (xb[:test_limit], yb[:test_limit]))
    for name, (x, _) in zip(("train", "test"), data):
        if tuple(x.shape[1:]) != tuple(config.input_shape):
            raise ValueError(f"the {name} split has images {x.shape[1:]}, the model expects "
                             f"{config.input_shape}")
    return data


def train(model, run_dir, epochs=None, pretrain_epochs=None, seed=1, train_limit=None,
          test_limit=None, dataset="mnist", init_vade_epochs=None, pair_pretrain_epochs=None,
          batch_size=None, config_overrides=None, data=None, log=print, on_phase_begin=None):
    """Trains `model` into `run_dir` (config.json, metrics.jsonl, export/); returns a dict with
    the config, the last test ACC/NMI/ARI, the mean training seconds per epoch, the export path and
    the training object (its `model` is the trained model).

    `data` ((x_train, y_train), (x_test, y_test)) replaces the MNIST files; `on_phase_begin(phase,
    training)` is called right after each phase's start (e.g. after VaDE's GMM fit)."""
    config = make_config(model, seed, epochs, pretrain_epochs, init_vade_epochs,
                         pair_pretrain_epochs, batch_size, config_overrides)
    data = _data(dataset, data, train_limit, test_limit, config)
    (x_train, _), (x_test, y_test) = data
    log(f"training {model} on {dataset}: {len(x_train)} train / {len(x_test)} test images, "
        f"seed {config.seed} (python)")
    training = build(model, config)

    run_dir = os.path.abspath(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    metrics_path = os.path.join(run_dir, METRICS)
    if os.path.exists(metrics_path):
        os.remove(metrics_path)
    _write_json_atomically(os.path.join(run_dir, CONFIG), {
        "model": model, "dataset": dataset, "train_size": int(len(x_train)),
        "test_size": int(len(x_test)), "config": config_json(config), "made_by": "python",
        "provenance": E.provenance()})

    last, seconds_per_epoch = loop(training, data, config.seed,
                                   [metrics_line(metrics_path), console_line(log)], log,
                                   on_phase_begin)
    if math.isnan(last[0]):
        last = clustering_metrics(y_test, training.assign(x_test))
    export_path = E.export(training.model, os.path.join(run_dir, EXPORT), dataset,
                           metrics={"acc": last[0], "nmi": last[1], "ari": last[2],
                                    "split": "test"})
    return {"config": config, "test_acc": last[0], "test_nmi": last[1], "test_ari": last[2],
            "seconds_per_epoch": seconds_per_epoch, "export": export_path, "training": training}


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
