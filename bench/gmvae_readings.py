"""Proxy (issue 18): readings of the GMVAE-Gumbel paper on the Python twin (the model and step
cross-checked against Java), on MNIST's train split, EPOCHS epochs per variant and seed; after
every epoch the test split's ACC and NMI (argmax q(c|x), moving-average batch norm, as the exported
model) and the mean entropy of q(c|x). Labels only score. A proxy: the paper trains 300 epochs.

Usage: gmvae_readings.py OUT_JSON EPOCHS TRAIN_N SEEDS VARIANT [VARIANT ...]
  SEEDS "1 2"; VARIANT: base (the paper as first read: grey images, x^ linear, w_G 5) or
  switches joined by "+":
    binarize  dynamically binarised images (the config's binarize)
    featbn    x^ followed by batch norm + ReLU (feature_bn_relu); binarize+featbn is the default
    hard      straight-through Gumbel category into the decoder (straight_through)
    mean_bce  the reconstruction averaged over the pixels, as Torch's BCECriterion
    jointbn   the decoder's input linear(z) + linear(c) followed by batch norm + ReLU
              (joint_bn_relu): §3 reads the decoder as "df - 256 - 512 - D", the df layer one
              of "all the layers" (off, the sum enters the first hidden layer as it is)
    torchinit Torch's nn.Linear initialisation (the paper's code was Torch): every kernel
              [n_in, n_out] and bias ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) in place of Glorot-uniform
              kernels and zero biases (batch-norm parameters and statistics stay)
  THREADS (environment): TensorFlow's intra-op threads.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import phases as P
from deepclust_ref import train as T
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.gmvae_gumbel import GmvaeGumbel, GmvaeGumbelConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import epoch_row, last_epoch_means, proxy_args, write_result  # noqa: E402

SWITCHES = ("binarize", "featbn", "hard", "mean_bce", "jointbn", "torchinit")


def switches(variant):
    return set() if variant == "base" else set(variant.split("+"))


def torch_init(model, seed):
    """Torch's nn.Linear reset on every dense layer: kernel [n_in, n_out] and bias [n_out] ~
    U(-1/sqrt(n_in), 1/sqrt(n_in)), drawn from a numpy stream of the seed."""
    rng = np.random.default_rng([seed, 0x70C4])
    kernels = {n: v for n, v in model.params.all.items() if n.endswith("_kernel")}
    for name, kernel in kernels.items():
        bound = 1.0 / np.sqrt(kernel.shape[0])
        kernel.assign(rng.uniform(-bound, bound, kernel.shape).astype(np.float32))
        bias = model.params.all.get(name[:-len("_kernel")] + "_bias")
        if bias is not None:
            bias.assign(rng.uniform(-bound, bound, bias.shape).astype(np.float32))


def run(variant, seed, epochs, train_n, data):
    on = switches(variant)
    config = GmvaeGumbelConfig(seed=seed, binarize="binarize" in on,
                               feature_bn_relu="featbn" in on, straight_through="hard" in on,
                               joint_bn_relu="jointbn" in on)
    model = GmvaeGumbel(config)
    if "torchinit" in on:
        torch_init(model, seed)
    p = model.params
    adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names, config.adam_epsilon)
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)
    # mean_bce: Torch's BCECriterion averages the reconstruction over the D pixels, so the
    # model's loss loses (1 - 1/D) of its summed reconstruction.
    rec_cut = np.float32(1.0 - 1.0 / config.input_dim if "mean_bce" in on else 0.0)

    @tf.function(input_signature=[x_spec, scalar, tf.TensorSpec([2], tf.int64), scalar, scalar])
    def train_step(xs, temperature, noise_seed, b1p, b2p):
        with tf.GradientTape() as tape:
            out = model.training(xs, temperature, noise_seed)
            loss = out["loss"] - rec_cut * out["reconstruction"]
        adam.apply_with_powers(tape, loss, out["updates"], np.float32(config.learning_rate),
                               b1p, b2p)
        return tf.stack([loss, out["reconstruction"], out["categorical_kl"], out["gaussian_kl"]])

    @tf.function(input_signature=[x_spec])
    def log_probs_of(xs):
        return tf.nn.log_softmax(model._posterior(config.flatten(xs), False, [])[0])

    (x_train, _), (x_test, y_test) = data
    x_train = x_train[:train_n]
    rows, t = [], 0
    for epoch in range(epochs):
        t0, sums = time.time(), np.zeros(4)
        epoch_batches = T.batches(len(x_train), config.batch_size, seed, 0, epoch)
        for idx in epoch_batches:
            t += 1
            b1p, b2p = AdamStep.beta_powers(t)
            sums += train_step(tf.constant(x_train[idx]),
                               tf.constant(np.float32(config.temperature(epoch))),
                               tf.constant([seed, t], tf.int64), tf.constant(b1p),
                               tf.constant(b2p)).numpy()
        terms = dict(zip(("loss", "reconstruction", "categorical_kl", "gaussian_kl"),
                         (sums / len(epoch_batches)).tolist()))
        rows.append(epoch_row(variant, seed, epoch, t, terms, P._batched(log_probs_of, x_test),
                              y_test, t0))
    return rows


def main(argv):
    out, epochs, train_n, seeds, variants = proxy_args(argv, __doc__)
    for v in variants:
        if not switches(v) <= set(SWITCHES):
            sys.exit(f"unknown variant {v!r}: base or switches of {SWITCHES} joined by '+'")
    data = T.load_mnist()
    rows = [r for v in variants for s in seeds for r in run(v, s, epochs, train_n, data)]
    summary = last_epoch_means(rows, variants, epochs,
                               ("test_acc", "test_entropy", "test_nmi", "loss"))
    command = f"bench/gmvae-readings {epochs} {train_n} \"{argv[3]}\" " + " ".join(variants)
    write_result(out, "gmvae-readings", command,
                 {"epochs": epochs, "train_n": train_n, "summary": summary, "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
