"""Exports a model of your own to the deepclust SavedModel contract with a plain tf.Module.

    python export_tf_module.py OUT_DIR

The model is a toy (a linear encoder, a mixture of unit Gaussians over z, a linear decoder with a
per-cluster bias), random and untrained: what matters is the shape of the export, which
docs/contract.md specifies. Replace the five methods' bodies with your model; keep their names,
argument names, dtypes and output keys. `./deepclust evaluate --model-dir OUT_DIR`, `predict` and
`generate`, and the Java `inference` module (`ClusteringModel.load`), then load it.
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

H, W, C = 28, 28, 1  # input_shape: images NHWC, float32 in [0, 1]
K = 10  # clusters
Z = 8  # latent_dim
D = H * W * C

X = tf.TensorSpec([None, H, W, C], tf.float32, name="x")
LATENT = tf.TensorSpec([None, Z], tf.float32, name="z")
CLUSTER = tf.TensorSpec([None], tf.int32, name="cluster")


class ToyClusterer(tf.Module):
    """q(z|x) = N(x·E, I); p(z|k) = N(m_k, s_k²); q(k|x) ∝ p(z|k) at z = x·E; x̂ = σ(z·D + b_k)."""

    def __init__(self, seed=0):
        super().__init__(name="toy_clusterer")
        rng = np.random.default_rng(seed)
        f32 = np.float32
        self.encoder = tf.Variable(rng.normal(0, 0.05, (D, Z)).astype(f32), name="encoder")
        self.decoder = tf.Variable(rng.normal(0, 0.5, (Z, D)).astype(f32), name="decoder")
        self.cluster_bias = tf.Variable(rng.normal(0, 0.5, (K, D)).astype(f32), name="cluster_bias")
        self.prior_mean = tf.Variable(rng.normal(0, 1, (K, Z)).astype(f32), name="prior_mean")
        self.prior_log_stddev = tf.Variable(np.zeros((K, Z), f32), name="prior_log_stddev")

    def _z(self, x):
        return tf.reshape(x, [-1, D]) @ self.encoder

    def _log_probs(self, z):
        # log N(z; m_k, s_k²) up to a constant, for every k: [-1, K]
        s = tf.exp(self.prior_log_stddev)
        d = (z[:, None, :] - self.prior_mean[None]) / s[None]
        return -0.5 * tf.reduce_sum(d * d, axis=2) - tf.reduce_sum(self.prior_log_stddev, axis=1)

    def _x_hat(self, z, cluster):
        logits = z @ self.decoder + tf.gather(self.cluster_bias, cluster)
        return tf.reshape(tf.sigmoid(logits), [-1, H, W, C])

    @tf.function(input_signature=[X])
    def assign(self, x):
        probs = tf.nn.softmax(self._log_probs(self._z(x)))
        return {"probs": probs, "cluster": tf.argmax(probs, axis=1, output_type=tf.int64)}

    @tf.function(input_signature=[X])
    def embed(self, x):
        return {"z": self._z(x)}

    @tf.function(input_signature=[X])
    def reconstruct(self, x):
        z = self._z(x)
        cluster = tf.argmax(self._log_probs(z), axis=1, output_type=tf.int32)
        return {"x_hat": self._x_hat(z, cluster)}

    @tf.function(input_signature=[LATENT, CLUSTER])
    def decode(self, z, cluster):
        return {"x_hat": self._x_hat(z, cluster)}

    @tf.function(input_signature=[CLUSTER])
    def prior(self, cluster):
        return {"mean": tf.gather(self.prior_mean, cluster),
                "stddev": tf.gather(tf.exp(self.prior_log_stddev), cluster)}


def export(out_dir, seed=0):
    """Writes the SavedModel and its assets/deepclust.json to out_dir; returns out_dir."""
    m = ToyClusterer(seed)
    tf.saved_model.save(m, out_dir, signatures={
        "serving_default": m.assign, "embed": m.embed, "reconstruct": m.reconstruct,
        "decode": m.decode, "prior": m.prior})
    description = {"contract": 1, "model": "generic", "clusters": K, "latent_dim": Z,
                   "input_shape": [H, W, C], "likelihood": "bernoulli", "made_by": "python",
                   "dataset": "none", "config": {"seed": seed, "exporter": "tf.Module"},
                   "metrics": {}}
    os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
    with open(os.path.join(out_dir, "assets", "deepclust.json"), "w") as f:
        json.dump(description, f, indent=2)
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(export(sys.argv[1]))
