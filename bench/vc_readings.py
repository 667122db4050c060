"""Proxy (issue 19): what keeps Variational Clustering's q(k|x) soft, on the MLP backbone (the same
ELBO and augmentation loss, dense nets in place of the Table II convolutions, ~10x cheaper per
step) against Rui Shu's GMVAE (RuiShu/vae-clustering), the same model family whose seven logged
MNIST runs reach a mean entropy of q(y|x) of 0.34-1.03 nats after 5,000 steps. Its code differs
from ours in three readings that need no new nets: it trains on dynamically binarised images (x
> u, u ~ U(0, 1) per pixel and step), weighs the reconstruction by 1 (ours: the paper's
lambda_recons = 0.5) and gives q(z|x,y) the pixels (our reading 2). Each variant trains the
Python twin (the model and step cross-checked against Java) on MNIST's train split; after every
epoch the test split's ACC and the mean entropy of q(k|x) (labels only score). Writes OUT_JSON.

Usage: vc_readings.py OUT_JSON EPOCHS TRAIN_N SEEDS VARIANT [VARIANT ...]
  SEEDS "1 2"; VARIANT: base (the model as it is, MLP backbone) or switches joined by "+":
  binarize, lambda1, noaug (lambda_aug = 0), pixels (q(z|x,k) on the pixels, reading 2: with
  the MLP backbone Shu's nets, q(y|x) and q(z|x,y) apart), e.g. binarize+lambda1
  THREADS (environment): TensorFlow's intra-op threads.
"""
import dataclasses
import os
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import layers
from deepclust_ref import phases as P
from deepclust_ref import train as T
from deepclust_ref import vc as V

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import epoch_row, last_epoch_means, proxy_args, write_result  # noqa: E402

SWITCHES = ("binarize", "lambda1", "noaug", "pixels")
BINARISE_STREAM = 0x62696E  # the uniforms' own numpy stream, apart from the shuffle's


def switches(variant):
    return set() if variant == "base" else set(variant.split("+"))


def run(variant, seed, epochs, train_n, data):
    on = switches(variant)
    binarise = "binarize" in on
    config = dataclasses.replace(V.VcConfig.mnist(seed), backbone=layers.MLP, epochs=epochs,
                                 recons_scale_schedule=(1.0 if "lambda1" in on else 0.5,),
                                 posterior_from_pixels="pixels" in on)
    if "noaug" in on:
        config = dataclasses.replace(config, aug_weight_schedule=(0.0,))
    training = P.VcTraining(config)
    model = training.model
    spec = tf.TensorSpec([None, *config.input_shape], tf.float32)

    @tf.function(input_signature=[spec])
    def log_probs_of(xs):
        return model.posterior(xs)["log_probs"]

    (x_train, _), (x_test, y_test) = data
    x_train = x_train[:train_n]
    step_fn = training.phases()[0].step
    rows, t = [], 0
    for epoch in range(epochs):
        t0, sums = time.time(), np.zeros(len(training.TERMS))
        epoch_batches = T.batches(len(x_train), config.batch_size, seed, 0, epoch)
        for idx in epoch_batches:
            t += 1
            xs = x_train[idx]
            if binarise:
                # x and its augmented copy by the same uniforms, as GMVAE-Gumbel's --binarize;
                # the step rotates the binarised x (a rotation of {0, 1} pixels stays in [0, 1]).
                u = np.random.default_rng([seed, BINARISE_STREAM, t]).random(xs.shape)
                xs = (u < xs).astype(np.float32)
            sums += step_fn(xs, idx, epoch, t)
        terms = dict(zip(training.TERMS, (sums / len(epoch_batches)).tolist()))
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
    summary = last_epoch_means(rows, variants, epochs, ("test_acc", "test_entropy", "test_nmi"))
    command = f"bench/vc-readings {epochs} {train_n} \"{argv[3]}\" " + " ".join(variants)
    write_result(out, "vc-readings", command,
                 {"epochs": epochs, "train_n": train_n, "summary": summary, "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
