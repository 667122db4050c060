"""Diagnostic (issue 18): readings of the GMVAE-Gumbel paper on a cheap proxy. Trains the Python
twin's model at the paper's settings on MNIST's train split for EPOCHS epochs per variant, with
the loss built here from the twin's own parts, and scores the test split after every epoch
(argmax q(c|x), moving-average batch norm, as the exported model). Variants (one switch each):
  base      the model as it is (Eq. 6: summed BCE + categorical KL + 5 x Gaussian KL)
  mean_bce  the reconstruction averaged over the 784 pixels, as Torch's BCECriterion does
  hard      straight-through Gumbel samples into the decoder (one-hot forward, soft gradient)
  binary    dynamically binarised images (x ~ Bernoulli(pixel), drawn per step)
  binary_features_act  binary, and the feature layer x^ followed by batch norm + ReLU like the
            hidden layers (the paper excepts "embeddings" from them; is x^ one?)
A proxy: the paper trains 300 epochs; this shows which switch moves the early curve. Labels only
score. Usage: gmvae_readings.py OUT_JSON EPOCHS VARIANT [VARIANT ...]
"""
import json
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import dist
from deepclust_ref import train as T
from deepclust_ref.adam_step import AdamStep
from deepclust_ref.gmvae_gumbel import GmvaeGumbel, GmvaeGumbelConfig

VARIANTS = ("base", "mean_bce", "hard", "binary", "binary_features_act")


class FeaturesActGmvae(GmvaeGumbel):
    """The twin with x^ = ReLU(BN(dense(h2))) instead of a linear layer."""

    def _features(self, flat, training, updates):
        c = self.config
        h = c.hidden
        h1 = self._hidden("features_1", flat, c.input_dim, h[0], training, updates)
        h2 = self._hidden("features_2", h1, h[0], h[1], training, updates)
        return self._hidden("features_out", h2, h[1], c.feature_dim, training, updates)


def run(variant, epochs, data):
    (x_train, _), (x_test, y_test) = data
    config = GmvaeGumbelConfig.mnist(1)
    model = (FeaturesActGmvae if variant == "binary_features_act" else GmvaeGumbel)(config)
    p = model.params
    adam = AdamStep(p.trainable_variables_in_order(), p.trainable_names, config.adam_epsilon)
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)
    scalar = tf.TensorSpec([], tf.float32)
    seed_spec = tf.TensorSpec([2], tf.int64)

    @tf.function(input_signature=[x_spec, scalar, seed_spec, scalar, scalar, scalar])
    def train_step(xs, temperature, noise_seed, lr, b1p, b2p):
        updates = []
        flat = model.config.flatten(xs)
        if variant in ("binary", "binary_features_act"):
            u = tf.random.stateless_uniform(tf.shape(flat), seed=noise_seed + [0, 7919])
            flat = tf.cast(u < flat, tf.float32)
        with tf.GradientTape() as tape:
            logits, z_mean, z_log_var = model._posterior(flat, True, updates)
            uniform, epsilon = model.noise(tf.shape(flat)[0], noise_seed)
            y = dist.gumbel_softmax_sample(logits, temperature, uniform)
            if variant == "hard":
                hard = tf.one_hot(tf.math.argmax(y, axis=1), config.clusters, dtype=tf.float32)
                y = y + tf.stop_gradient(hard - y)
            z = dist.gaussian_sample(z_mean, z_log_var, epsilon)
            x_logits = model._p_x_given_zc(z, y, True, updates)
            rec = tf.reduce_mean(dist.bernoulli_cross_entropy_from_logits(x_logits, flat))
            if variant == "mean_bce":
                rec = rec / config.input_dim
            cat_kl = tf.reduce_mean(dist.categorical_kl_to_uniform(logits, config.clusters))
            gauss_kl = tf.reduce_mean(dist.gaussian_kl_to_standard_normal(z_mean, z_log_var))
            loss = rec + cat_kl + np.float32(config.gaussian_weight) * gauss_kl
        adam.apply_with_powers(tape, loss, updates, lr, b1p, b2p)
        return loss

    @tf.function(input_signature=[x_spec])
    def clusters(xs):
        return model.inference(xs)["cluster"]

    rows, t, t0 = [], 0, time.time()
    for epoch in range(epochs):
        for idx in T.batches(len(x_train), config.batch_size, config.seed, 0, epoch):
            t += 1
            b1p, b2p = adam.beta_powers(t)
            loss = train_step(tf.constant(x_train[idx]),
                              tf.constant(np.float32(config.temperature(epoch))),
                              tf.constant([config.seed, t], tf.int64),
                              tf.constant(np.float32(config.learning_rate)), tf.constant(b1p),
                              tf.constant(b2p))
        found = np.concatenate([clusters(tf.constant(x_test[i:i + 1000])).numpy()
                                for i in range(0, len(x_test), 1000)])
        acc, nmi, _ = T.clustering_metrics(y_test, found)
        rows.append({"epoch": epoch + 1, "test_acc": acc, "test_nmi": nmi,
                     "last_loss": float(loss), "seconds": round(time.time() - t0, 1)})
        print(f"{variant:9s} epoch {epoch + 1:3d}  test ACC {acc:.4f}  NMI {nmi:.4f}  "
              f"loss {float(loss):9.3f}", flush=True)
    return {"variant": variant, "curve": rows}


def main(argv):
    out, epochs, variants = argv[0], int(argv[1]), argv[2:]
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v}: one of {', '.join(VARIANTS)}")
    data = T.load_mnist()
    result = {"benchmark": "gmvae-readings", "seed": 1, "epochs": epochs,
              "runs": [run(v, epochs, data) for v in variants]}
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
