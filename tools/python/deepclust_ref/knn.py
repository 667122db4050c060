"""k-nearest-neighbour error of a trained GMVAE-Gumbel's representations (issue 18's diagnostic).

    python -m deepclust_ref.knn --run-dir RUN [--out FILE.json] [--k 3 5 10]

Loads the newest checkpoint of a `./deepclust train --model gmvae_gumbel` run into the Python twin,
computes the representations of the MNIST train (60k) and test (10k) images in inference mode
(batch norm on its moving statistics), fits a k-NN classifier on the train split's labels and
reports its test error in %, the protocol of Table 2 of gmvae-gumbel-softmax.txt ("MNIST test
error-rate (%) for kNN on latent space": 3.46 / 3.30 / 3.44 for k = 3 / 5 / 10). The paper does not
say which layer "latent space" is, so both are measured: the deterministic features x^ = g(x)
(`features`, d_f = 100) and the mean of q(z|x^) (`z_mean`, d_z = 150, the SavedModel's embedding).

Labels are used only here, to score the representation; training never sees them. Neighbours by
Euclidean distance; the vote is uniform, a tie going to the smallest label (scikit-learn's
KNeighborsClassifier does the same).
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import diagnostics  # noqa: E402
from .crosscheck import data_dir, read_idx_images  # noqa: E402
from .diagnostics import load_run  # noqa: E402
from .gmvae_gumbel import MODEL, GmvaeGumbel, GmvaeGumbelConfig  # noqa: E402
from .data import read_idx_labels  # noqa: E402

PAPER_ERROR = {3: 3.46, 5: 3.30, 10: 3.44}


def knn_errors(train_x, train_y, test_x, test_y, ks, chunk=500):
    """{k: test error in %} of k-NN on (train_x, train_y), for every k in ks; one pass over the
    distances (the largest k's neighbours, sorted, serve every smaller k)."""
    train_x = np.asarray(train_x, np.float64)
    test_x = np.asarray(test_x, np.float64)
    kmax = max(ks)
    if kmax > len(train_x):
        raise ValueError(f"k = {kmax} needs at least {kmax} training points")
    classes = int(max(train_y.max(), test_y.max())) + 1
    train_sq = np.sum(train_x ** 2, axis=1)
    wrong = {k: 0 for k in ks}
    for start in range(0, len(test_x), chunk):
        q = test_x[start:start + chunk]
        d = np.sum(q ** 2, axis=1)[:, None] - 2 * q @ train_x.T + train_sq[None, :]
        near = np.argpartition(d, kmax - 1, axis=1)[:, :kmax]
        order = np.argsort(np.take_along_axis(d, near, axis=1), axis=1, kind="stable")
        near = np.take_along_axis(near, order, axis=1)
        labels = train_y[near]
        for k in ks:
            votes = np.zeros((len(q), classes), np.int64)
            np.add.at(votes, (np.arange(len(q))[:, None], labels[:, :k]), 1)
            predicted = np.argmax(votes, axis=1)  # ties: the smallest label
            wrong[k] += int(np.sum(predicted != test_y[start:start + chunk]))
    return {k: 100.0 * wrong[k] / len(test_x) for k in ks}


def representations(model, images, batch=1000):
    """(features x^, mean of q(z|x^)) of images [N, 28, 28, 1] in inference mode."""

    @tf.function(input_signature=[tf.TensorSpec([None, *model.config.input_shape], tf.float32)])
    def both(x):
        flat = model.config.flatten(x)
        features = model._features(flat, False, [])
        z_mean = model.inference(x)["embedding"]
        return features, z_mean

    feats, zs = [], []
    for start in range(0, len(images), batch):
        f, z = both(tf.constant(images[start:start + batch]))
        feats.append(f.numpy())
        zs.append(z.numpy())
    return np.concatenate(feats), np.concatenate(zs)


def diagnose(run_dir, ks=(3, 5, 10), data=None):
    model, _, step = load_run(run_dir, MODEL,
                              lambda c: GmvaeGumbel(GmvaeGumbelConfig.from_json(c)))
    d = os.path.join(data or data_dir(), "mnist")
    split = {}
    for name, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx_images(os.path.join(d, f"{prefix}-images-idx3-ubyte"), None)
        labels = read_idx_labels(os.path.join(d, f"{prefix}-labels-idx1-ubyte"))
        split[name] = (representations(model, images), labels)
    out = {"run_dir": run_dir, "checkpoint_step": step, "k": list(ks),
           "paper_error_percent": {str(k): PAPER_ERROR.get(k) for k in ks}}
    for i, name in enumerate(("features", "z_mean")):
        errors = knn_errors(split["train"][0][i], split["train"][1], split["test"][0][i],
                            split["test"][1], ks)
        out[name + "_error_percent"] = {str(k): round(e, 2) for k, e in errors.items()}
    return out


def main(argv=None):
    def add_arguments(ap):
        ap.add_argument("--k", type=int, nargs="+", default=[3, 5, 10])

    return diagnostics.main(argv, "python -m deepclust_ref.knn", __doc__, add_arguments,
                            lambda args: diagnose(args.run_dir, tuple(args.k)))


if __name__ == "__main__":
    sys.exit(main())
