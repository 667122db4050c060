"""Proxy (issue 18): readings of VAB's training that the paper leaves open, against the model as
it is, in the Python twin (the model and step cross-checked against Java): Eq. 10 at the config's
schedule (warm-up, lr decay, temperature) on MNIST's train split for EPOCHS epochs per variant and
seed, the test split scored after every epoch (labels only score). Writes OUT_JSON.

The readings come from the authors' public code (dem123456789/Deep-Clustering-of-Compressed-
Variational-Embeddings): its train_model.py clips the gradients' global norm to 0.25 before each
step and gives Adam a weight decay of 5e-4 (Torch's coupled form: g + 5e-4 w, after the clipping,
so the decay is of the clipped gradients' size); its vadebmm model takes E_q(z|x)[log p(z|c)] and
E_q(z|x)[log q(z|x)] in closed form at the code probabilities mu (with q(c|.) at the sample), where
ours (the paper's Eq. 9-10 as written) evaluates both at the relaxed sample y; and it samples hard
codes (straight-through). Both log-densities are linear in the code, so the closed forms are the
model's own functions at mu.

Usage: vab_readings.py OUT_JSON EPOCHS BITS SEEDS VARIANT [VARIANT ...]
  SEEDS "1 2 3"; VARIANT: base (the model as it is), clip (global norm 0.25), wd (5e-4),
  clip+wd (the public code's optimizer), analytic (the closed-form terms), analytic+st (and
  straight-through codes, the public code's estimator)
"""
import dataclasses
import os
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import dist
from deepclust_ref import train as T
from deepclust_ref import vab as V

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import print_row, proxy_args, write_result  # noqa: E402

CLIP_NORM = 0.25
WEIGHT_DECAY = 5e-4
# variant: (clip, weight decay, closed-form terms, straight-through)
VARIANTS = {"base": (False, False, False, False), "clip": (True, False, False, False),
            "wd": (False, True, False, False), "clip+wd": (True, True, False, False),
            "analytic": (False, False, True, False), "analytic+st": (False, False, True, True)}


def run(variant, seed, epochs, bits, data):
    clip, decay, analytic, straight = VARIANTS[variant]
    config = dataclasses.replace(V.VabConfig.mnist(seed), bits=bits, epochs=epochs,
                                 straight_through=straight)
    training = T.VabTraining(config)
    model, adam = training.model, training.adam
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)

    @tf.function(input_signature=[x_spec, scalar, tf.TensorSpec([2], tf.int64), scalar, scalar,
                                  scalar])
    def train_step(xs, temperature, noise_seed, lr, b1p, b2p):
        with tf.GradientTape() as tape:
            out = model.training(xs, temperature, noise_seed)
            loss = out["loss"]
            if analytic:
                # log_p_z and log_q_z at mu = sigmoid(l) instead of at the sample y; q(c|y) and
                # the other terms as they are.
                y, logits = out["y"], out["logits"]
                mu = tf.math.sigmoid(logits)
                q_c = tf.math.exp(model.log_q_c_given_z(y))
                log_p_z = tf.reduce_mean(tf.reduce_sum(q_c * model.log_p_z_given_c(mu), axis=1))
                log_q_z = tf.reduce_mean(dist.bernoulli_log_prob(mu, logits))
                loss = loss + (out["log_p_z"] - log_p_z) + (log_q_z - out["log_q_z"])
        grads = tape.gradient(loss, adam.variables_)
        norm = tf.linalg.global_norm(grads)
        if clip:
            grads, _ = tf.clip_by_global_norm(grads, CLIP_NORM, use_norm=norm)
        if decay:
            grads = [g + WEIGHT_DECAY * v for g, v in zip(grads, adam.variables_)]
        adam.apply_gradients(grads, lr, b1p, b2p)
        return loss, norm

    (x_train, _), (x_test, y_test) = data
    rows, t = [], 0
    for epoch in range(epochs):
        t0, losses, norms = time.time(), [], []
        for idx in T.batches(len(x_train), config.batch_size, config.seed, 0, epoch):
            t += 1
            b1p, b2p = adam.beta_powers(t)
            loss, norm = train_step(
                tf.constant(x_train[idx]), tf.constant(np.float32(config.temperature(epoch))),
                tf.constant([config.seed, t], tf.int64),
                tf.constant(np.float32(config.learning_rate_at_step(epoch, t))),
                tf.constant(b1p), tf.constant(b2p))
            losses.append(float(loss))
            norms.append(float(norm))
        acc, nmi, ari = T.clustering_metrics(y_test, training.assign(x_test))
        row = {"variant": variant, "seed": seed, "epoch": epoch + 1,
               "loss": float(np.mean(losses)), "grad_norm_median": float(np.median(norms)),
               "test_acc": acc, "test_nmi": nmi, "test_ari": ari,
               "test_psnr": training.extra_metrics(x_test)["psnr"],
               "seconds": time.time() - t0}
        rows.append(row)
        print_row(row)
    return rows


def main(argv):
    out, epochs, bits, seeds, variants = proxy_args(argv, __doc__)
    for v in variants:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v!r}; one of {sorted(VARIANTS)}")
    data = T.load_mnist()
    rows = [r for v in variants for s in seeds for r in run(v, s, epochs, bits, data)]
    summary = {}
    for v in variants:
        last = [r["test_acc"] for r in rows if r["variant"] == v and r["epoch"] == epochs]
        psnr = [r["test_psnr"] for r in rows if r["variant"] == v and r["epoch"] == epochs]
        summary[v] = {"test_acc_mean": float(np.mean(last)), "test_acc_sd": float(np.std(last,
                      ddof=1)) if len(last) > 1 else None, "test_acc": last,
                      "test_psnr_mean": float(np.mean(psnr))}
    command = f"bench/vab-readings {epochs} {bits} \"{argv[3]}\" " + " ".join(variants)
    write_result(out, "vab-readings", command,
                 {"clip_norm": CLIP_NORM, "weight_decay": WEIGHT_DECAY, "epochs": epochs,
                  "bits": bits, "summary": summary, "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
