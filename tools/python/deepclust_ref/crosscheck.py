"""The Java <-> Python cross-check (docs/crosscheck.md): the reference directory, the verify step.

    python -m deepclust_ref.crosscheck make --model MODEL --out DIR
        [--batch-size 32] [--steps 20] [--seed 7] [--temperature 0.8] [--adam-epsilon EPS]
    python -m deepclust_ref.crosscheck verify --ref DIR
    python -m deepclust_ref.crosscheck summary < ROWS

`make` (MODEL a name of registry.REGISTRY) writes DIR/manifest.json, the name-keyed checkpoint
DIR/ref (inputs, initial weights, forward outputs and gradients at the initial weights, weights and
inference outputs after T Adam steps) and DIR/python_export (the trained weights as a contract
SavedModel). Every computation runs in a tf.function with the Java placeholders' shapes (dynamic
batch) and the Java graph's ops, so both go through grappler alike (the forward values agree with
Java's bit for bit).

`verify` (after `./deepclust crosscheck --ref DIR`) loads DIR/java_export with tf.saved_model.load
and compares its outputs on in__x with the ones Java wrote to DIR/java_outputs, checks its asset,
and checks DIR/python_export reloaded gives trained_out__*. It prints one markdown row per quantity:

    | model | check | quantity | max abs diff | max rel diff | pass|fail |

and exits 0 when every row passes, 1 when one fails, 2 when a file is missing.
"""

import argparse
import collections
import dataclasses
import gzip
import json
import os
import shutil
import sys
import time
import uuid

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import checkpoint  # noqa: E402
from . import contract as C  # noqa: E402
from . import dist  # noqa: E402
from . import export as E  # noqa: E402
from . import gmvae_gumbel  # noqa: E402
from . import kdvae  # noqa: E402
from . import registry as R  # noqa: E402
from . import vab  # noqa: E402
from . import vade  # noqa: E402
from . import vc  # noqa: E402
from .adam_step import AdamStep  # noqa: E402
from .step_states import STEPS_DIR, StepStates, tensor_specs, training_state  # noqa: E402,F401

MANIFEST = "manifest.json"
REF = "ref"
PYTHON_EXPORT = "python_export"
JAVA_EXPORT = "java_export"
JAVA_OUTPUTS = "java_outputs"
JAVA_OUTPUTS_JSON = "java_outputs.json"

# Inference outputs: reference name -> (signature, output key).
OUTPUTS = collections.OrderedDict([
    ("probs", (C.SIG_ASSIGN, C.OUT_PROBS)),
    ("cluster", (C.SIG_ASSIGN, C.OUT_CLUSTER)),
    ("z", (C.SIG_EMBED, C.OUT_Z)),
    ("x_hat", (C.SIG_RECONSTRUCT, C.OUT_X_HAT)),
])

# Thresholds on the max rel diff (docs/crosscheck.md).
FORWARD_TOL = 1e-5
GRADIENT_TOL = 1e-4
TRAINING_TOL = 1e-4
SAVEDMODEL_TOL = 1e-6

# Adam's epsilon for the cross-check. With the paper's 1e-8, Adam's first steps move each weight by
# about lr * sign(g), so gradient entries at rounding-noise level (where two correct graphs differ in
# the last bits) flip direction and 20 steps disagree by up to 2e-2 relative (measured); with 1e-4
# the same run agrees to ~5e-6. The check is about the two implementations, so it uses 1e-4 on both
# sides (the issue asks for the same epsilon, beta and learning rate on each side).
CROSSCHECK_ADAM_EPSILON = 1e-4

CHECK_JAVA_TO_PYTHON = "savedmodel java→python"
CHECK_PYTHON_TO_PYTHON = "savedmodel python→python"

HEADER = ("| model | check | quantity | max abs diff | max rel diff | of gate | result |\n"
          "|---|---|---|---|---|---|---|")


class MissingFile(Exception):
    """A file the step needs is not there (exit status 2)."""


# ---- data --------------------------------------------------------------------------------------


def data_dir():
    return os.environ.get("DEEPCLUST_DATA") or os.path.join(os.path.expanduser("~"), ".cache",
                                                            "deepclust")


def open_idx(path):
    """The idx file at `path` or `path`.gz, whichever exists, and the function that opens it."""
    found = next((p for p in (path, path + ".gz") if os.path.isfile(p)), None)
    if found is None:
        raise MissingFile(f"no MNIST file {path}[.gz]; run tools/fetch-data mnist "
                          f"(DEEPCLUST_DATA overrides ~/.cache/deepclust)")
    return found, gzip.open if found.endswith(".gz") else open


def read_idx_images(path, count):
    """The first `count` images (all when None) of an idx3 file (plain or .gz) as float32 NHWC,
    bytes / 255."""
    found, opener = open_idx(path)
    with opener(found, "rb") as f:
        header = f.read(16)
        if len(header) < 16 or int.from_bytes(header[:4], "big") != 0x803:
            raise ValueError(f"{found} is not an idx3 ubyte file")
        n, rows, cols = (int.from_bytes(header[i:i + 4], "big") for i in (4, 8, 12))
        if count is None:
            count = n
        if count > n:
            raise ValueError(f"{found} holds {n} images, {count} asked")
        size = count * rows * cols
        raw = f.read(size)
        if len(raw) != size:
            raise ValueError(f"{found} is truncated: expected {size} bytes, found {len(raw)}")
    pixels = np.frombuffer(raw, np.uint8).astype(np.float32) / np.float32(255)
    return pixels.reshape(count, rows, cols, 1)


def mnist(batch_size, steps, directory=None):
    """(in__x, in__x_train): the first B test images and the first T*B training images."""
    d = os.path.join(directory or data_dir(), "mnist")
    x = read_idx_images(os.path.join(d, "t10k-images-idx3-ubyte"), batch_size)
    x_train = read_idx_images(os.path.join(d, "train-images-idx3-ubyte"), batch_size * steps)
    return x, x_train


def synthetic(batch_size, steps, seed, shape=(28, 28, 1)):
    """(in__x, in__x_train) of seeded random images in [0, 1] with a few bright strokes, for
    fixtures that must not carry dataset images."""
    rng = np.random.default_rng(seed)
    n = batch_size * (steps + 1)
    imgs = (rng.random((n, *shape)) * 0.2).astype(np.float32)
    for i in range(n):
        r, c = rng.integers(4, shape[0] - 4, size=2)
        imgs[i, r - 3:r + 3, c - 1:c + 1, :] = 1.0
    return imgs[:batch_size], imgs[batch_size:]


# ---- make --------------------------------------------------------------------------------------


def _inference_fn(model):
    spec = tf.TensorSpec([None, *model.config.input_shape], tf.float32)

    def inference(x):
        return E.inference_outputs(model, x)

    return tf.function(inference, input_signature=[spec])


def reference_gmvae_gumbel(config, x, x_train, steps, temperature, init_from=None,
                           step_states=None):
    """Every tensor of the reference checkpoint, by name, in the manifest's order. The initial
    weights are the seed's, or read by name from the checkpoint `init_from` when given. Each
    training step's state before it and its gradients go to `step_states` (a `StepStates`) when
    given."""
    b = x.shape[0]
    if x_train.shape[0] != steps * b:
        raise ValueError(f"x_train has {x_train.shape[0]} rows, need steps * B = {steps * b}")
    model = gmvae_gumbel.GmvaeGumbel(config)
    p = model.params
    if init_from:
        checkpoint.restore_params(init_from, p)
    trainables = p.trainable_variables_in_order()
    s = config.seed
    tau = np.float32(temperature)
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)
    seed_spec = tf.TensorSpec([2], tf.int64)
    outputs = gmvae_gumbel.TRAINING_OUTPUTS + augmentation_terms(config)
    # With the augmentation loss: x^ = augment_fixed_far of each batch and lambda_aug = 1.
    x_aug, x_train_aug = augment_fixed_far(x), augment_fixed_far(x_train)
    aug_weight = tf.constant(np.float32(AUG_CROSSCHECK_WEIGHT))

    @tf.function(input_signature=[x_spec, scalar, seed_spec, x_spec])
    def forward(xs, temp, noise_seed, xs_aug):
        with tf.GradientTape() as tape:
            out = model.training(xs, temp, noise_seed, xs_aug, aug_weight)
        grads = tape.gradient(out["loss"], trainables)
        return {k: out[k] for k in outputs}, grads

    inference = _inference_fn(model)
    adam = AdamStep(trainables, p.trainable_names, config.adam_epsilon)

    @tf.function(input_signature=[x_spec, scalar, seed_spec, scalar, scalar, scalar, x_spec])
    def train_step(xs, temp, noise_seed, lr, b1p, b2p, xs_aug):
        with tf.GradientTape() as tape:
            out = model.training(xs, temp, noise_seed, xs_aug, aug_weight)
        grads = adam.apply_with_powers(tape, out["loss"], out["updates"], lr, b1p, b2p)
        return out["loss"], grads

    tensors = collections.OrderedDict()
    tensors["in__x"] = x
    if config.augmented:
        tensors["in__x_aug"] = x_aug
    tensors["in__x_train"] = x_train
    if config.augmented:
        tensors["in__x_train_aug"] = x_train_aug
    for n, v in p.read().items():
        tensors["init__" + n] = v
    out, grads = forward(tf.constant(x), tf.constant(tau), tf.constant([s, 1], tf.int64),
                         tf.constant(x_aug))
    for k in outputs:
        tensors["out__" + k] = out[k].numpy()
    for k, v in inference(tf.constant(x)).items():
        tensors["out__" + k] = v.numpy()
    for n, g in zip(p.trainable_names, grads):
        tensors["grad__" + n] = g.numpy()
    lr = np.float32(config.learning_rate)
    losses = []
    for t in range(1, steps + 1):
        b1p, b2p = AdamStep.beta_powers(t)
        before = training_state(p, adam)
        xs = x_train[(t - 1) * b:t * b]
        loss, grads = train_step(tf.constant(xs), tf.constant(tau),
                                 tf.constant([s, t], tf.int64), tf.constant(lr),
                                 tf.constant(b1p), tf.constant(b2p),
                                 tf.constant(x_train_aug[(t - 1) * b:t * b]))
        if step_states is not None:
            step_states.write(t, before, dict(zip(p.trainable_names, grads)))
        losses.append(float(loss))
    if step_states is not None:
        step_states.write(steps + 1, training_state(p, adam))
    if not np.isfinite(losses).all():
        raise FloatingPointError(f"training loss not finite: {losses}")
    for n, v in p.read().items():
        tensors["trained__" + n] = v
    for k, v in inference(tf.constant(x)).items():
        tensors["trained_out__" + k] = v.numpy()
    return model, tensors, losses


def seeded_prior(config):
    """A non-trivial GMM prior for VaDE's cross-check, from config.seed: pi = softmax of N(0, 1)
    logits, mu_c ~ N(0, 1), log sigma^2_c ~ N(0, 0.3^2) (numpy's PCG64; Java loads init__*)."""
    rng = np.random.default_rng([config.seed, 0x7ade])
    k, z = config.clusters, config.latent_dim
    logits = rng.normal(size=k)
    pi = np.exp(logits - logits.max())
    pi = pi / pi.sum()
    mean = rng.normal(size=(k, z)).astype(np.float32)
    var = np.exp(rng.normal(0.0, 0.3, size=(k, z)))
    return pi, mean, var


def _reference(model, outputs, x, x_train, steps, init_from, aug=None, temperature=None,
               step_states=None, extra_outputs=None, aug_tail=None):
    """The reference tensors of a model without batch norm (VaDE, k-DVAE, vc, vab): its training
    branch `model.training(x, noise_seed)` (outputs `outputs`, loss `loss`), gradients of every
    variable in `model.trainable`, T joint-phase Adam steps (lr = config.learning_rate, the
    config's eps) and the inference outputs before and after.

    With `aug` = (x_aug, x_train_aug, recons_scale, aug_weight) (vc) the branch is
    `model.training(x, x_aug, noise_seed, recons_scale, aug_weight)`: step t feeds rows
    [(t-1)B, tB) of both x_train and x_train_aug, and the same two scalars every step. With a
    `temperature` tau (vab) it is `model.training(x, tau, noise_seed)`, tau fed as a float32
    scalar at every step. `extra_outputs(xs, noise_seed)`, a dict, joins the forward outputs (not
    the steps)."""
    config = model.config
    b = x.shape[0]
    if x_train.shape[0] != steps * b:
        raise ValueError(f"x_train has {x_train.shape[0]} rows, need steps * B = {steps * b}")
    p = model.params
    if init_from:
        checkpoint.restore_params(init_from, p)
    trainables = list(model.trainable)
    names = list(model.trainable_names)
    s = config.seed
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)
    seed_spec = tf.TensorSpec([2], tf.int64)
    if aug is not None and temperature is not None:
        raise ValueError("a model takes either augmented inputs or a temperature")
    if temperature is not None:
        extra_specs = [scalar]

        def training(xs, noise_seed, temp, *tail):
            return model.training(xs, temp, noise_seed, *tail)
    elif aug is None:
        extra_specs = []

        def training(xs, noise_seed, *tail):
            return model.training(xs, noise_seed, *tail)
    else:
        x_aug, x_train_aug, recons_scale, aug_weight = aug
        if x_aug.shape != x.shape or x_train_aug.shape != x_train.shape:
            raise ValueError("the augmented batches need the shapes of x and x_train")
        extra_specs = [x_spec, scalar, scalar]

        def training(xs, noise_seed, xs_aug, rs, aw):
            return model.training(xs, xs_aug, noise_seed, rs, aw)

    if aug_tail is not None:
        # x^ and lambda_aug follow the model's other training arguments (`tail` above).
        if aug is not None:
            raise ValueError("a model takes vc's augmented inputs or the augmentation loss's")
        extra_specs = extra_specs + [x_spec, scalar]
        x_aug, x_train_aug, aug_weight = aug_tail

    @tf.function(input_signature=[x_spec, seed_spec] + extra_specs)
    def forward(xs, noise_seed, *extra):
        with tf.GradientTape() as tape:
            out = training(xs, noise_seed, *extra)
        grads = tape.gradient(out["loss"], trainables)
        if extra_outputs is not None:
            out = {**out, **extra_outputs(xs, noise_seed)}
        return {k: out[k] for k in outputs}, grads

    inference = _inference_fn(model)
    adam = AdamStep(trainables, names, config.adam_epsilon)

    @tf.function(input_signature=[x_spec, seed_spec, scalar, scalar, scalar] + extra_specs)
    def train_step(xs, noise_seed, lr, b1p, b2p, *extra):
        with tf.GradientTape() as tape:
            out = training(xs, noise_seed, *extra)
        grads = adam.apply_with_powers(tape, out["loss"], [], lr, b1p, b2p)
        return out["loss"], grads

    def extra_feeds(rows):
        """The vc feeds (x_aug rows, lambda_recons, lambda_aug), vab's (tau,), none for the
        others; then x^ rows and lambda_aug with `aug_tail`."""
        tail = ()
        if aug_tail is not None:
            tail = (tf.constant(x_aug if rows is None else x_train_aug[rows]),
                    tf.constant(np.float32(aug_weight)))
        if temperature is not None:
            return (tf.constant(np.float32(temperature)),) + tail
        if aug is None:
            return tail
        images = x_aug if rows is None else x_train_aug[rows]
        return (tf.constant(images), tf.constant(np.float32(recons_scale)),
                tf.constant(np.float32(aug_weight)))

    tensors = collections.OrderedDict()
    tensors["in__x"] = x
    if aug is not None or aug_tail is not None:
        tensors["in__x_aug"] = x_aug
    tensors["in__x_train"] = x_train
    if aug is not None or aug_tail is not None:
        tensors["in__x_train_aug"] = x_train_aug
    for n, v in p.read().items():
        tensors["init__" + n] = v
    out, grads = forward(tf.constant(x), tf.constant([s, 1], tf.int64), *extra_feeds(None))
    for k in outputs:
        tensors["out__" + k] = out[k].numpy()
    for k, v in inference(tf.constant(x)).items():
        tensors["out__" + k] = v.numpy()
    for n, g in zip(names, grads):
        if g is None:
            raise ValueError(f"loss does not depend on {n}")
        tensors["grad__" + n] = g.numpy()
    lr = np.float32(config.learning_rate)
    losses = []
    for t in range(1, steps + 1):
        b1p, b2p = AdamStep.beta_powers(t)
        rows = slice((t - 1) * b, t * b)
        before = training_state(p, adam)
        loss, grads = train_step(tf.constant(x_train[rows]), tf.constant([s, t], tf.int64),
                                 tf.constant(lr), tf.constant(b1p), tf.constant(b2p),
                                 *extra_feeds(rows))
        if step_states is not None:
            step_states.write(t, before, dict(zip(names, grads)))
        losses.append(float(loss))
    if step_states is not None:
        step_states.write(steps + 1, training_state(p, adam))
    if not np.isfinite(losses).all():
        raise FloatingPointError(f"training loss not finite: {losses}")
    for n, v in p.read().items():
        tensors["trained__" + n] = v
    for k, v in inference(tf.constant(x)).items():
        tensors["trained_out__" + k] = v.numpy()
    return model, tensors, losses


def reference_vade(config, x, x_train, steps, temperature, init_from=None, step_states=None):
    """VaDE's reference tensors: the seed's weights with `seeded_prior` as the prior (so init__*
    hold a non-trivial GMM; the registry lists its variables as not from the seed), or
    `init_from`; joint-phase steps on every variable. The temperature is unused."""
    del temperature
    model = vade.Vade(config)
    model.set_prior(*seeded_prior(config))
    return _reference(model, vade.TRAINING_OUTPUTS + augmentation_terms(config), x, x_train,
                      steps, init_from, step_states=step_states,
                      extra_outputs=model.pretraining_losses,
                      aug_tail=augmentation_tail(config, x, x_train))


def reference_kdvae(config, x, x_train, steps, temperature, init_from=None, step_states=None):
    """k-DVAE's reference tensors: the seed's weights (or `init_from`), joint phase (Eq. 6); the
    forward outputs add the pair pretraining loss of x as K blocks (B a multiple of K). The
    temperature is unused."""
    del temperature
    if x.shape[0] % config.clusters:
        raise ValueError(f"k-DVAE's cross-check feeds x to the pair loss as K blocks: the batch "
                         f"size must be a multiple of K = {config.clusters}, not {x.shape[0]}")
    model = kdvae.Kdvae(config)
    return _reference(model, kdvae.TRAINING_OUTPUTS + augmentation_terms(config), x, x_train,
                      steps, init_from, step_states=step_states, extra_outputs=model.pair_losses,
                      aug_tail=augmentation_tail(config, x, x_train))


def augment_fixed(images):
    """vc's augmented copy in the cross-check: a one-pixel shift right with wrap-around,
    np.roll(x, 1, axis=2) (docs/crosscheck.md); fixed, so that both sides feed the same x^."""
    return np.roll(images, 1, axis=2)


# lambda_aug of vc's cross-check: 1, so L_aug counts as much as in the paper's last epochs.
VC_CROSSCHECK_AUG_WEIGHT = 1.0
# ... and of every other model with the augmentation loss.
AUG_CROSSCHECK_WEIGHT = 1.0


def aug_manifest_extras(config):
    """The manifest key the Java side reads with the augmentation loss: aug_weight."""
    return {"aug_weight": AUG_CROSSCHECK_WEIGHT} if getattr(config, "augmented", False) else {}


def vc_scalars(config):
    """(lambda_recons, lambda_aug) of vc's cross-check: the config's first reconsScale value, and
    VC_CROSSCHECK_AUG_WEIGHT."""
    return config.recons_scale(0), VC_CROSSCHECK_AUG_WEIGHT


def vc_manifest_extras(config):
    """The manifest keys vc's Java side reads besides the common ones: `vc_scalars`."""
    return dict(zip(("recons_scale", "aug_weight"), vc_scalars(config)))


def reference_vc(config, x, x_train, steps, temperature, init_from=None, step_states=None):
    """Variational Clustering's reference tensors: the seed's weights (or `init_from`), x^ =
    `augment_fixed` of x and x_train, lambda's of `vc_scalars`. The temperature is unused."""
    del temperature
    recons_scale, aug_weight = vc_scalars(config)
    aug = (augment_fixed(x), augment_fixed(x_train), recons_scale, aug_weight)
    return _reference(vc.Vc(config), vc.TRAINING_OUTPUTS, x, x_train, steps, init_from, aug=aug,
                      step_states=step_states)


def reference_vab(config, x, x_train, steps, temperature, init_from=None, step_states=None):
    """VAB's reference tensors: the seed's weights (or `init_from`); the Gumbel temperature tau
    (the manifest's "temperature") fed at the forward, gradient and every training step; with the
    augmentation loss x^ = `augment_fixed` and lambda_aug = 1."""
    return _reference(vab.Vab(config), vab.TRAINING_OUTPUTS + augmentation_terms(config), x,
                      x_train, steps, init_from, temperature=temperature, step_states=step_states,
                      aug_tail=augmentation_tail(config, x, x_train))


def augmentation_terms(config):
    """The augmentation loss's terms where the config has it (dist.AUG_TERMS), else ()."""
    return dist.AUG_TERMS if getattr(config, "augmented", False) else ()


def augmentation_tail(config, x, x_train):
    """`_reference`'s aug_tail for a config with the augmentation loss, else None: x^ =
    `augment_fixed` of x and x_train, lambda_aug = AUG_CROSSCHECK_WEIGHT."""
    if not getattr(config, "augmented", False):
        return None
    return augment_fixed_far(x), augment_fixed_far(x_train), AUG_CROSSCHECK_WEIGHT


def augment_fixed_far(images):
    """The augmentation loss's x^ in the cross-check (models other than vc): the negative, 1 - x.
    Fixed, so both sides feed the same x^, and far from x, so that q(c|x) - q(c|x^) is no
    cancellation (a one-pixel shift left VaDE's tiny aug_l2 at 0.4 of the forward gate, a
    left-right flip at 0.2)."""
    return np.ascontiguousarray(1.0 - images).astype(np.float32)


def manifest_text(manifest):
    """The manifest as JSON: two-space indents, one line per tensor spec."""

    def is_specs(v):
        return isinstance(v, dict) and v and all(
            isinstance(e, dict) and set(e) == {"dtype", "shape"} for e in v.values())

    def text(v, indent):
        pad = " " * indent
        if is_specs(v):
            lines = [f"{pad}  {json.dumps(n)}: {json.dumps(spec)}" for n, spec in v.items()]
            return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
        if isinstance(v, dict):
            lines = [f"{pad}  {json.dumps(k)}: {text(e, indent + 2)}" for k, e in v.items()]
            return "{\n" + ",\n".join(lines) + f"\n{pad}}}" if v else "{}"
        return json.dumps(v)

    return text(manifest, 0) + "\n"


def _replace_dir(tmp, target):
    old = None
    if os.path.lexists(target):
        old = os.path.join(os.path.dirname(target),
                           f".{os.path.basename(target)}.old-{uuid.uuid4().hex}")
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def make(out, model=gmvae_gumbel.MODEL, batch_size=32, steps=20, seed=7, temperature=0.8,
         adam_epsilon=CROSSCHECK_ADAM_EPSILON, data=None, log=None, tiny=False, init_from=None,
         synthetic_data=False, settings=None):
    """Writes the reference directory `out` (docs/crosscheck.md); returns the manifest. The config
    is the model's MNIST config with `seed` and `batch_size` (and `adam_epsilon` when given), then
    `settings` ({config.json key: value}, e.g. a readings switch) applied; the model's reference,
    tiny config and manifest keys are its registry entry's."""
    spec = R.spec(model)
    if batch_size < 2 or steps < 1:
        raise ValueError("need batch_size >= 2 and steps >= 1")
    log = log or (lambda *_: None)
    started = time.time()
    target = os.path.abspath(out)
    if os.path.isdir(target) and os.listdir(target) \
            and not os.path.isfile(os.path.join(target, MANIFEST)):
        raise ValueError(f"refusing to replace {target}: not empty and no {MANIFEST}")
    if os.path.exists(target) and not os.path.isdir(target):
        raise ValueError(f"refusing to replace {target}: not a directory")
    config = dataclasses.replace(spec.default_config(seed), batch_size=batch_size)
    if adam_epsilon is not None:
        config = dataclasses.replace(config, adam_epsilon=float(adam_epsilon))
    if tiny:
        config = dataclasses.replace(config, **spec.tiny)
    if settings:
        unknown = sorted(set(settings) - set(config.to_json()))
        if unknown:
            raise ValueError(f"unknown {model} config keys {unknown}; have "
                             f"{sorted(config.to_json())}")
        config = type(config).from_json({**config.to_json(), **settings})
    if synthetic_data:
        x, x_train = synthetic(batch_size, steps, seed, config.input_shape)
    else:
        x, x_train = mnist(batch_size, steps, data)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex}")
    try:
        os.makedirs(tmp)
        step_states = StepStates(os.path.join(tmp, STEPS_DIR))
        reference = globals()[spec.reference]
        net, tensors, losses = reference(config, x, x_train, steps, temperature,
                                         init_from=init_from, step_states=step_states)
        manifest = {
            "model": model,
            "config": config.to_json(),
            "batch_size": batch_size,
            "steps": steps,
            "temperature": float(temperature),
            "learning_rate": config.learning_rate,
            "noise_seed": config.seed,
            # Variables whose init__ value the reference set itself (not the seed's draw), e.g.
            # VaDE's prior, or all of them with --init-from: Java loads them but does not compare
            # its own.
            "init_not_from_seed": (sorted(net.params.all) if init_from
                                   else list(spec.init_not_from_seed)),
        }
        if spec.manifest_extras:
            manifest.update(globals()[spec.manifest_extras](config))
        manifest["per_step"] = step_states.manifest(steps, config.adam_epsilon)
        manifest["tensors"] = tensor_specs(tensors)
        checkpoint.save(os.path.join(tmp, REF), tensors)
        E.export(net, os.path.join(tmp, PYTHON_EXPORT), "mnist")
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as f:
            f.write(manifest_text(manifest))
        _replace_dir(tmp, target)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"crosscheck make: {model} B={batch_size} T={steps} seed={seed} tau={temperature} "
        f"adam_epsilon={config.adam_epsilon:g}: "
        f"{len(tensors)} tensors, loss {losses[0]:.3f} -> {losses[-1]:.3f}, "
        f"{time.time() - started:.1f}s -> {target}")
    return manifest


# ---- verify ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One table row (Java's Comparison prints the same columns). `of_gate` is the fraction of the
    row's gate used (rel / threshold; 0 or inf for counts); a row passes iff it is at most 1."""
    model: str
    check: str
    quantity: str
    abs_diff: float
    rel_diff: float
    passed: bool
    count: bool = False  # abs_diff is a number of mismatching entries (formatted as Java: %.2e)
    of_gate: float = float("nan")

    def format(self):
        return (f"| {self.model} | {self.check} | {self.quantity} | {self.abs_diff:.2e} | "
                f"{self.rel_diff:.2e} | {self.of_gate:.2e} | "
                f"{'pass' if self.passed else 'fail'} |")


def compare(model, check, quantity, got, want, threshold):
    """One row: `got` against the Python value `want`. Floats: max abs diff and max abs diff /
    max |want|, pass iff rel <= threshold. Integers (clusters): the number and fraction of
    mismatching entries, pass iff none. A shape or dtype mismatch or a non-finite value fails."""
    inf = float("inf")
    if got is None or want is None:
        return Row(model, check, quantity, inf, inf, False, of_gate=inf)
    got, want = np.asarray(got), np.asarray(want)
    integer = np.issubdtype(want.dtype, np.integer)
    if got.shape != want.shape or np.issubdtype(got.dtype, np.integer) != integer:
        return Row(model, check, quantity, inf, inf, False, integer, of_gate=inf)
    if integer:
        wrong = int(np.count_nonzero(got != want))
        return Row(model, check, quantity, wrong, wrong / max(want.size, 1), wrong == 0, True,
                   of_gate=0.0 if wrong == 0 else inf)
    a, b = got.astype(np.float64), want.astype(np.float64)
    if a.size == 0:
        return Row(model, check, quantity, 0.0, 0.0, True, of_gate=0.0)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        nan = float("nan")
        return Row(model, check, quantity, nan, nan, False, of_gate=nan)
    abs_diff = float(np.max(np.abs(a - b)))
    scale = float(np.max(np.abs(b)))
    rel = abs_diff / scale if scale > 0 else (0.0 if abs_diff == 0 else inf)
    of_gate = rel / threshold if threshold > 0 else (0.0 if rel == 0 else inf)
    return Row(model, check, quantity, abs_diff, rel, of_gate <= 1, of_gate=of_gate)


def compare_outputs(model, check, got, want, threshold=SAVEDMODEL_TOL):
    """Rows for every inference output (probs, cluster, z, x_hat); a missing one fails."""
    return [compare(model, check, q, got.get(q), want.get(q), threshold) for q in OUTPUTS]


def asset_row(model, check, export_dir, made_by):
    """Row `asset`: abs = the number of problems with the export's deepclust.json (every contract
    key, the contract version, the model, made_by), rel = problems / checks."""
    problems = []
    try:
        info = E.read_asset(export_dir)
    except (OSError, ValueError) as e:
        info = {}
        problems.append(f"cannot read {os.path.join(export_dir, C.ASSET_DIR, C.ASSET_FILE)}: {e}")
    missing = [k for k in C.JSON_KEYS if k not in info]
    problems += [f"deepclust.json lacks {k}" for k in missing]
    expect = {C.JSON_CONTRACT: C.VERSION, C.JSON_MODEL: model, C.JSON_MADE_BY: made_by}
    for k, v in expect.items():
        if k in info and info[k] != v:
            problems.append(f"deepclust.json {k} is {info[k]!r}, want {v!r}")
    for p in problems:
        print(f"crosscheck verify: {export_dir}: {p}", file=sys.stderr)
    checks = len(C.JSON_KEYS) + len(expect)
    n = len(problems)
    return Row(model, check, "asset", n, n / checks, n == 0, True,
               of_gate=0.0 if n == 0 else float("inf"))


def run_export(export_dir, x):
    """{probs, cluster, z, x_hat} of a contract SavedModel on x, via tf.saved_model.load; a missing
    signature or output is left out (its row fails)."""
    loaded = tf.saved_model.load(export_dir, tags=[C.TAG])
    xs = tf.constant(x)
    results = {}
    out = {}
    for q, (sig, key) in OUTPUTS.items():
        if sig not in loaded.signatures:
            print(f"crosscheck verify: {export_dir} has no signature {sig}", file=sys.stderr)
            continue
        if sig not in results:
            results[sig] = loaded.signatures[sig](**{C.IN_X: xs})
        if key in results[sig]:
            out[q] = results[sig][key].numpy()
        else:
            print(f"crosscheck verify: {export_dir} {sig} has no output {key}", file=sys.stderr)
    return out


def _require(path, what):
    if not os.path.exists(path):
        raise MissingFile(f"missing {what}: {path}")
    return path


def _read_json(path, what):
    _require(path, what)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def verify_rows(ref):
    """Every row of the verify step for the reference directory `ref`."""
    manifest = _read_json(os.path.join(ref, MANIFEST), "the reference manifest")
    model = manifest["model"]
    _require(os.path.join(ref, REF + ".index"), "the reference checkpoint")
    java_export = os.path.join(ref, JAVA_EXPORT)
    _require(os.path.join(java_export, "saved_model.pb"),
             "Java's SavedModel (run ./deepclust crosscheck --ref DIR first)")
    java_json = _read_json(os.path.join(ref, JAVA_OUTPUTS_JSON), "Java's outputs manifest")
    _require(os.path.join(ref, JAVA_OUTPUTS + ".index"), "Java's outputs checkpoint")
    python_export = os.path.join(ref, PYTHON_EXPORT)
    _require(os.path.join(python_export, "saved_model.pb"), "the Python SavedModel")

    names = ["in__x"] + ["trained_out__" + q for q in OUTPUTS]
    refs = checkpoint.restore(os.path.join(ref, REF), names)
    x = refs["in__x"]
    java_names = {"java_out__" + q for q in OUTPUTS} & set(java_json.get("tensors", {}))
    java_out = checkpoint.restore(os.path.join(ref, JAVA_OUTPUTS), sorted(java_names)) \
        if java_names else {}
    for n in sorted({"java_out__" + q for q in OUTPUTS} - java_names):
        print(f"crosscheck verify: {JAVA_OUTPUTS_JSON} lists no {n}", file=sys.stderr)

    rows = compare_outputs(model, CHECK_JAVA_TO_PYTHON,
                           {q: java_out.get("java_out__" + q) for q in OUTPUTS},
                           run_export(java_export, x))
    rows.append(asset_row(model, CHECK_JAVA_TO_PYTHON, java_export, "java"))
    rows += compare_outputs(model, CHECK_PYTHON_TO_PYTHON, run_export(python_export, x),
                            {q: refs["trained_out__" + q] for q in OUTPUTS})
    return rows


def verify(ref, out=None):
    """Prints the rows; returns the exit status (0 all pass, 1 a row fails, 2 a file is missing)."""
    out = out or sys.stdout
    try:
        rows = verify_rows(ref)
    except MissingFile as e:
        print(f"crosscheck verify: {e}", file=sys.stderr)
        return 2
    for r in rows:
        print(r.format(), file=out)
    out.flush()
    return 0 if all(r.passed for r in rows) else 1


# ---- summary -----------------------------------------------------------------------------------

# The summary's columns: name -> the checks (the row's check before " (T steps)") it takes the
# worst of.
SUMMARY_COLUMNS = collections.OrderedDict([
    ("init", ("init",)),
    ("forward", ("forward",)),
    ("gradients", ("gradient",)),
    ("per-step gradients", ("per-step gradient",)),
    ("per-step training", ("per-step training",)),
    ("free-run drift", ("free-run drift",)),
    ("SavedModels both ways", (CHECK_JAVA_TO_PYTHON, "savedmodel python→java",
                               CHECK_PYTHON_TO_PYTHON)),
])


def parse_rows(lines):
    """The table rows among `lines`: (model, check, quantity, abs, rel, of_gate, result)."""
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip().split("|")[1:-1]]
        if len(cells) != 7 or cells[0] == "model" or cells[0].startswith("---"):
            continue
        nums = [float("nan") if c == "-" else float(c) for c in cells[3:6]]
        rows.append((cells[0], cells[1], cells[2], *nums, cells[6]))
    return rows


def summary(lines):
    """One line per model (in first-seen order, e.g. `vc:tiny` apart from `vc` by its label): per
    column the worst max rel diff over its rows, with the worst fraction of the gate used in
    brackets (none for the printed drift), T, and whether every row passed."""
    by_model = collections.OrderedDict()
    for model, check, _, _, rel, gate, result in parse_rows(lines):
        base, _, rest = check.partition(" (")
        cols = by_model.setdefault(model, {"steps": set(), "failed": 0, "rows": 0})
        if rest.endswith(" steps)"):
            cols["steps"].add(rest[:-len(" steps)")])
        cols["rows"] += 1
        cols["failed"] += result == "fail"
        for name, checks in SUMMARY_COLUMNS.items():
            if base in checks:
                worst = cols.setdefault(name, [0.0, 0.0, result == "info"])
                worst[0] = max(worst[0], rel) if rel == rel else float("nan")
                worst[1] = max(worst[1], gate) if gate == gate else worst[1]
    head = ["model", "T"] + list(SUMMARY_COLUMNS) + ["rows", "result"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model, cols in by_model.items():
        cells = [model, "/".join(sorted(cols["steps"], key=int)) or "-"]
        for name in SUMMARY_COLUMNS:
            if name not in cols:
                cells.append("-")
                continue
            rel, gate, info = cols[name]
            cells.append(f"{rel:.1e}" if info else f"{rel:.1e} ({gate:.2f})")
        cells += [str(cols["rows"]), "fail" if cols["failed"] else "pass"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# ---- command line ------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m deepclust_ref.crosscheck",
                                 description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="write the reference directory")
    mk.add_argument("--model", default=gmvae_gumbel.MODEL, choices=sorted(R.REGISTRY))
    mk.add_argument("--out", required=True)
    mk.add_argument("--batch-size", type=int, default=32)
    mk.add_argument("--steps", type=int, default=20)
    mk.add_argument("--seed", type=int, default=7)
    mk.add_argument("--temperature", type=float, default=0.8)
    mk.add_argument("--adam-epsilon", type=float, default=CROSSCHECK_ADAM_EPSILON,
                    help="Adam's epsilon on both sides (default %(default)g; see "
                         "CROSSCHECK_ADAM_EPSILON)")
    mk.add_argument("--tiny", action="store_true",
                    help="a small config (golden fixtures) instead of the paper's MNIST sizes")
    mk.add_argument("--synthetic", action="store_true",
                    help="seeded random images instead of MNIST (for committed fixtures)")
    mk.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                    help="initial weights from this name-keyed checkpoint (e.g. your own, or a "
                         "Java run's RUN_DIR/checkpoint/ckpt) instead of the seed's")
    mk.add_argument("--set", action="append", default=[], metavar="KEY=JSON", dest="settings",
                    help="a config setting by its config.json key, the value as JSON (e.g. "
                         "binarize=true); repeatable")
    vf = sub.add_parser("verify", help="compare Java's export and outputs with Python's")
    vf.add_argument("--ref", required=True)
    sm = sub.add_parser("summary", help="one line per model from table rows on stdin: the worst "
                                        "max rel diff (and fraction of the gate) per check")
    del sm
    args = ap.parse_args(argv)
    if args.command == "make":
        try:
            settings = {}
            for item in args.settings:
                key, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"--set {item}: need KEY=JSON")
                try:
                    settings[key] = json.loads(value)
                except json.JSONDecodeError as e:
                    raise ValueError(f"--set {item}: the value is not JSON ({e})") from e
            make(args.out, args.model, args.batch_size, args.steps, args.seed, args.temperature,
                 args.adam_epsilon, log=lambda m: print(m, file=sys.stderr), tiny=args.tiny,
                 init_from=args.init_from, synthetic_data=args.synthetic, settings=settings)
        except MissingFile as e:
            print(f"crosscheck make: {e}", file=sys.stderr)
            return 2
        except ValueError as e:
            print(f"crosscheck make: {e}", file=sys.stderr)
            return 1
        return 0
    if args.command == "summary":
        print(summary(sys.stdin.read().splitlines()))
        return 0
    return verify(args.ref)


if __name__ == "__main__":
    sys.exit(main())
