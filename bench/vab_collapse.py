"""Diagnostic (issue 18): how VAB's code collapses at small d. Trains the Python twin (the same
model and step as Java's, cross-checked) on MNIST's train split for the first STEPS steps at
each d given, and logs, every EVERY steps, on a fixed probe of 2,000 test images: the loss terms
(batch means), the number of distinct hard codes b = [l > 0] and the share of the commonest one,
the mean |l| and the share of saturated logits (|l| > 5), the mean code entropy H(q(z|x)) per bit,
the prior: the entropy of pi and the share of saturated prior logits (|m| > 5), and per loss
term its gradient with respect to the encoder's logits l, per image: the norm and the push on
|l| (the mean of -grad * sign(l); > 0: gradient descent grows |l|), i.e. which term saturates l.
Labels are not used. Writes a JSON of the trajectories.

Usage: vab_collapse.py OUT_JSON STEPS EVERY RUN [RUN ...]
  RUN: D (the model as it is) or D:OPT[:OPT...], OPT one of kl=BETA (plus BETA times the per-bit
  KL of q(z|x) to Bernoulli(1/2), the public code's uniform-prior term), st=1 (straight-through
  bits), eps=E (Adam's epsilon), warmup=STEPS (learning rate rising linearly over STEPS steps;
  default the config's 600, warmup=0 is the model before the warm-up)
"""
import dataclasses
import os
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import train as T
from deepclust_ref import vab as V

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import write_result  # noqa: E402

PROBE = 2000
TERMS = ("reconstruction", "log_p_z", "log_p_c", "log_q_z", "entropy_c")


def bit_entropy(logits):
    """Mean entropy (nats) of Bernoulli(sigmoid(l)) per bit."""
    mu = 1.0 / (1.0 + np.exp(-logits))
    mu = np.clip(mu, 1e-7, 1 - 1e-7)
    return float(np.mean(-(mu * np.log(mu) + (1 - mu) * np.log(1 - mu))))


def run(d, steps, every, x_train, probe, uniform_kl=0.0, straight_through=False, eps=None,
        warmup=None):
    config = dataclasses.replace(V.VabConfig.mnist(1), bits=d, straight_through=straight_through)
    if warmup is not None:
        config = dataclasses.replace(config, warmup_steps=warmup)
    if eps is not None:
        config = dataclasses.replace(config, adam_epsilon=eps)
    training = T.VabTraining(config)
    model = training.model
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)
    adam = training.adam
    beta = tf.constant(np.float32(uniform_kl))

    @tf.function(input_signature=[x_spec, scalar, tf.TensorSpec([2], tf.int64), scalar, scalar,
                                  scalar])
    def train_step(xs, temperature, noise_seed, lr, b1p, b2p):
        # Eq. 10's loss, plus (variant) beta * sum_j KL(Bernoulli(mu_j) || Bernoulli(1/2)) as the
        # public code's uniform-prior term, from mu = sigmoid(l) in closed form.
        with tf.GradientTape() as tape:
            out = model.training(xs, temperature, noise_seed)
            mu = tf.math.sigmoid(out["logits"])
            log_mu = -tf.math.softplus(-out["logits"])
            log_one_minus = -tf.math.softplus(out["logits"])
            kl = tf.reduce_mean(tf.reduce_sum(mu * log_mu + (1 - mu) * log_one_minus
                                              + np.log(2.0), axis=1))
            loss = out["loss"] + beta * kl
        adam.apply_with_powers(tape, loss, [], lr, b1p, b2p)
        return tf.stack([out[k] for k in training.TERMS])

    def step(x, indices, epoch, t):
        b1p, b2p = adam.beta_powers(t)
        return train_step(tf.constant(x), tf.constant(np.float32(config.temperature(epoch))),
                          tf.constant([config.seed, t], tf.int64),
                          tf.constant(np.float32(config.learning_rate_at_step(epoch, t))),
                          tf.constant(b1p), tf.constant(b2p)).numpy()

    @tf.function(input_signature=[x_spec])
    def logits_of(xs):
        return model.q_z_given_x(model.config.flatten(xs))

    # Each term's sign in Eq. 10's loss: reconstruction - log_p_z - log_p_c + log_q_z - entropy_c.
    signs = {"reconstruction": 1.0, "log_p_z": -1.0, "log_p_c": -1.0, "log_q_z": 1.0,
             "entropy_c": -1.0}

    @tf.function(input_signature=[x_spec, tf.TensorSpec([2], tf.int64)])
    def term_gradients(xs, seed):
        # d(term)/d(l) of the model's own terms: which pushes the encoder's logits, and how hard.
        with tf.GradientTape(persistent=True) as tape:
            out = model.training(xs, tf.constant(config.temperature(0)), seed)
        logits = out["logits"]
        # Per image (x B, undoing the batch mean): the gradient's norm, and its push on |l|, the
        # mean over images and bits of -grad * sign(l) (> 0: gradient descent grows |l|).
        b = tf.cast(tf.shape(logits)[0], tf.float32)
        result = {}
        for k, sign in signs.items():
            g = sign * tape.gradient(out[k], logits) * b
            result[k] = tf.stack([tf.norm(g) / tf.sqrt(b),
                                  tf.reduce_mean(-g * tf.math.sign(logits))])
        return result

    rows = []
    batches = T.batches(len(x_train), config.batch_size, config.seed, 0, 0)
    t0 = time.time()
    for t in range(1, steps + 1):
        idx = batches[(t - 1) % len(batches)]
        values = step(x_train[idx], idx, 0, t)
        if t % every and t > 10:
            continue
        l = logits_of(tf.constant(probe)).numpy()
        codes = np.packbits(l > 0, axis=1)
        _, counts = np.unique(codes, axis=0, return_counts=True)
        prior = model.params.all["pz_logits"].numpy()
        pi = tf.nn.softmax(model.params.all["pc_logits"]).numpy()
        grads = term_gradients(tf.constant(probe[:500]), tf.constant([7, t], tf.int64))
        row = {
            "step": t,
            "terms": dict(zip(training.TERMS, (float(v) for v in values))),
            "distinct_codes": int(len(counts)),
            "commonest_code_share": float(counts.max() / len(probe)),
            "mean_abs_logit": float(np.mean(np.abs(l))),
            "saturated_logits": float(np.mean(np.abs(l) > 5)),
            "code_entropy_per_bit": bit_entropy(l),
            "pi_entropy": float(-np.sum(pi * np.log(pi + 1e-12))),
            "saturated_prior_logits": float(np.mean(np.abs(prior) > 5)),
            "grad_wrt_logits_per_image": {k: {"norm": float(v[0]), "push_on_abs_l": float(v[1])}
                                          for k, v in grads.items()},
        }
        rows.append(row)
        print(f"d={d} kl={uniform_kl:g}{' st' if straight_through else ''} eps="
              f"{config.adam_epsilon:g} wu={config.warmup_steps} step {t:5d}  loss {row['terms']['loss']:8.2f}  codes {row['distinct_codes']:4d}"
              f"  top {row['commonest_code_share']:.2f}  |l| {row['mean_abs_logit']:6.2f}"
              f"  H/bit {row['code_entropy_per_bit']:.3f}  H(pi) {row['pi_entropy']:.2f}"
              f"  prior sat {row['saturated_prior_logits']:.2f}  push on |l| "
              + " ".join(f"{k}={v['push_on_abs_l']:+.3f}"
                         for k, v in row["grad_wrt_logits_per_image"].items()),
              flush=True)
    return {"bits": d, "uniform_kl_weight": uniform_kl, "straight_through": straight_through,
            "adam_epsilon": config.adam_epsilon, "lr_warmup_steps": config.warmup_steps, "seconds": round(time.time() - t0, 1),
            "trajectory": rows}


def main(argv):
    out, steps, every = argv[0], int(argv[1]), int(argv[2])
    # Each run: D[:key=value...]: kl=BETA, st=1, eps=E, warmup=STEPS.
    runs = []
    for r in argv[3:]:
        d, *opts = r.split(":")
        o = dict(kv.split("=") for kv in opts)
        runs.append((int(d), float(o.get("kl", 0)), o.get("st") == "1",
                     float(o["eps"]) if "eps" in o else None,
                     int(o["warmup"]) if "warmup" in o else None))
    (x_train, _), (x_test, _) = T.load_mnist(test_limit=PROBE)
    write_result(out, "vab-collapse", "bench/vab_collapse.py OUT " + " ".join(argv[1:]),
                 {"steps": steps, "probe_images": PROBE,
                  "runs": [run(d, steps, every, x_train, x_test, *r) for d, *r in runs]})


if __name__ == "__main__":
    main(sys.argv[1:])
