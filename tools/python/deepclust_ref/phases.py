"""The training phases of GMVAE-Gumbel, Variational Clustering and VAB (as Java's
GmvaeGumbelTrainingGraph, VcTrainingGraph and VabTrainingGraph), the `Phase` every model's training
gives the loop (train.py), and the helpers the phases share (vade_training.py has VaDE's and
k-DVAE's)."""

import dataclasses

import numpy as np
import tensorflow as tf

from . import augment
from . import dist
from . import export as E
from . import gmvae_gumbel
from . import vab
from . import vc
from .adam_step import AdamStep

EVAL_BATCH = 1000  # Java's Assignments.EVAL_BATCH
AUG_STREAM = 0xA06  # vc: the rotation angles' numpy stream, [seed, AUG_STREAM, step]


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


def _adam(model, config, name="adam"):
    """Adam over the model's trainable variables with the config's epsilon."""
    return AdamStep(model.trainable, model.trainable_names, config.adam_epsilon, name=name)


def _assign_fn(model):
    spec = tf.TensorSpec([None, *model.config.input_shape], tf.float32)

    @tf.function(input_signature=[spec])
    def cluster(xs):
        return E.inference_outputs(model, xs)["cluster"]

    return lambda x: _batched(cluster, x)


class GmvaeGumbelTraining:
    def __init__(self, config):
        if config.augmented and config.augmentation not in VcTraining.AUGMENTATIONS:
            raise ValueError(f"the Python trainer augments with {list(VcTraining.AUGMENTATIONS)}, "
                             f"not '{config.augmentation}' (Java-only)")
        self.config = config
        self.model = gmvae_gumbel.GmvaeGumbel(config)
        p = self.model.params
        self.adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names,
                             config.adam_epsilon)
        x_spec, scalar, seed_spec = _specs(config)
        model, adam = self.model, self.adam
        self.terms = config.terms

        @tf.function(input_signature=[x_spec, x_spec, scalar, scalar, seed_spec, scalar, scalar,
                                      scalar])
        def train_step(xs, xs_aug, aug_weight, temperature, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = model.training(xs, temperature, noise_seed, xs_aug, aug_weight)
            adam.apply_with_powers(tape, out["loss"], out["updates"], lr, b1p, b2p)
            return tf.stack([out[k] for k in self.terms])

        self._train_step = train_step
        self.assign = _assign_fn(model)

    def phases(self):
        c = self.config

        def step(x, indices, epoch, t):
            x_aug = augmented(c, x, t) if c.augmented else x
            return self._train_step(tf.constant(x), tf.constant(x_aug),
                                    _f32(dist.aug_weight_at(epoch)), _f32(c.temperature(epoch)),
                                    _seed(c.seed, t), _f32(c.learning_rate), *_powers(t)).numpy()

        return [Phase("train", c.epochs, c.batch_size, self.terms, lambda e: c.learning_rate,
                      step, self.assign, extra=lambda e: {"temperature": c.temperature(e)})]


def augmented(config, x, t):
    """x^ of the batch at step t (config.augmentation): each image rotated by its own angle in
    [-3, 3] degrees, or x itself for "none" (the Python trainer's transforms; the others are
    Java's)."""
    if config.augmentation == "none":
        return x
    rng = np.random.default_rng([int(config.seed) & 0xFFFFFFFFFFFFFFFF, AUG_STREAM, int(t)])
    return augment.random_rotation(x, rng)


class VcTraining:
    TERMS = vc.TERMS
    AUGMENTATIONS = ("none", "rotation")  # the others are Java-only

    def __init__(self, config):
        if config.augmentation not in self.AUGMENTATIONS:
            raise ValueError(f"the Python trainer augments with {list(self.AUGMENTATIONS)}, not "
                             f"'{config.augmentation}' (Java-only)")
        self.config, self.model = config, vc.Vc(config)
        m, adam = self.model, _adam(self.model, config)
        self.adam = adam
        x_spec, scalar, seed_spec = _specs(config)

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
        """x^ of the batch at step t (`augmented`)."""
        return augmented(self.config, x, t)

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
    def __init__(self, config):
        if config.uniform_prior:
            raise ValueError("vab with uniform_prior: the mixture is fitted by EM after each "
                             "epoch in Java's trainer (./deepclust train --uniform-prior); the "
                             "twin builds its graph for the cross-check but does not train it")
        self.config, self.model = config, vab.Vab(config)
        self.TERMS = config.terms
        m, adam = self.model, _adam(self.model, config)
        self.adam = adam
        x_spec, scalar, seed_spec = _specs(config)

        @tf.function(input_signature=[x_spec, x_spec, scalar, scalar, seed_spec, scalar, scalar,
                                      scalar])
        def train_step(xs, xs_aug, aug_weight, temperature, noise_seed, lr, b1p, b2p):
            with tf.GradientTape() as tape:
                out = m.training(xs, temperature, noise_seed, xs_aug, aug_weight)
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
            x_aug = augmented(c, x, t) if c.augmented else x
            return self._train_step(tf.constant(x), tf.constant(x_aug),
                                    _f32(dist.aug_weight_at(epoch)), _f32(c.temperature(epoch)),
                                    _seed(c.seed, t), _f32(c.learning_rate_at_step(epoch, t)),
                                    *_powers(t)).numpy()

        return [Phase("train", c.epochs, c.batch_size, self.TERMS, c.learning_rate_at, step,
                      self.assign, extra=lambda e: {"temperature": c.temperature(e)})]


# ---- configs -----------------------------------------------------------------------------------
