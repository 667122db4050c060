"""Exports a Keras 3 model of your own to the deepclust SavedModel contract with
keras.export.ExportArchive, each endpoint returning a dict of the contract's output keys.

    python export_keras.py OUT_DIR

The model is a toy (an MLP encoder and decoder, a softmax cluster head on z, per-cluster prior
parameters as embeddings), random and untrained: what matters is the shape of the export, which
docs/contract.md specifies. Endpoint names are the signature keys; the argument names of each
endpoint's function (or the names of its TensorSpecs) are the input keys; the returned dict's keys
are the output keys. The first endpoint must be `serving_default`, or ExportArchive adds an alias of
that name to whichever endpoint came first.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # ExportArchive writes SavedModels from TF

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

H, W, C = 28, 28, 1  # input_shape: images NHWC, float32 in [0, 1]
K = 10  # clusters
Z = 8  # latent_dim

X = tf.TensorSpec([None, H, W, C], tf.float32, name="x")
LATENT = tf.TensorSpec([None, Z], tf.float32, name="z")
CLUSTER = tf.TensorSpec([None], tf.int32, name="cluster")


def build(seed=0):
    """The networks: encoder x → z, cluster head z → logits, decoder [z, one_hot(k)] → x̂, and the
    prior p(z|k) = N(mean_k, exp(log_stddev_k)²) as two embeddings."""
    keras.utils.set_random_seed(seed)
    encoder = keras.Sequential([keras.Input((H, W, C)), keras.layers.Flatten(),
                                keras.layers.Dense(64, activation="relu"),
                                keras.layers.Dense(Z)], name="encoder")
    head = keras.Sequential([keras.Input((Z,)), keras.layers.Dense(K)], name="cluster_head")
    decoder = keras.Sequential([keras.Input((Z + K,)), keras.layers.Dense(64, activation="relu"),
                                keras.layers.Dense(H * W * C, activation="sigmoid"),
                                keras.layers.Reshape((H, W, C))], name="decoder")
    cluster_in = keras.Input((), dtype="int32")
    prior = keras.Model(cluster_in, [keras.layers.Embedding(K, Z, name="prior_mean")(cluster_in),
                                     keras.layers.Embedding(K, Z, name="prior_log_stddev")(
                                         cluster_in)], name="prior")
    return encoder, head, decoder, prior


def export(out_dir, seed=0):
    """Writes the SavedModel and its assets/deepclust.json to out_dir; returns out_dir."""
    encoder, head, decoder, prior = build(seed)

    def x_hat(z, cluster):
        return decoder(tf.concat([z, tf.one_hot(cluster, K)], axis=1))

    def assign(x):
        probs = tf.nn.softmax(head(encoder(x)))
        return {"probs": probs, "cluster": tf.argmax(probs, axis=1, output_type=tf.int64)}

    def embed(x):
        return {"z": encoder(x)}

    def reconstruct(x):
        z = encoder(x)
        return {"x_hat": x_hat(z, tf.argmax(head(z), axis=1, output_type=tf.int32))}

    def decode(z, cluster):
        return {"x_hat": x_hat(z, cluster)}

    def prior_of(cluster):
        mean, log_stddev = prior(cluster)
        return {"mean": mean, "stddev": tf.exp(log_stddev)}

    archive = keras.export.ExportArchive()
    for network in (encoder, head, decoder, prior):
        archive.track(network)
    archive.add_endpoint("serving_default", assign, input_signature=[X])
    archive.add_endpoint("embed", embed, input_signature=[X])
    archive.add_endpoint("reconstruct", reconstruct, input_signature=[X])
    archive.add_endpoint("decode", decode, input_signature=[LATENT, CLUSTER])
    archive.add_endpoint("prior", prior_of, input_signature=[CLUSTER])
    archive.write_out(out_dir, verbose=False)

    description = {"contract": 1, "model": "generic", "clusters": K, "latent_dim": Z,
                   "input_shape": [H, W, C], "likelihood": "bernoulli", "made_by": "python",
                   "dataset": "none", "config": {"seed": seed, "exporter": "keras"},
                   "metrics": {}}
    os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
    with open(os.path.join(out_dir, "assets", "deepclust.json"), "w") as f:
        json.dump(description, f, indent=2)
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(export(sys.argv[1]))
