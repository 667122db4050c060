"""The data and the scores of the Python trainer: MNIST's idx files (as Java's IdxReader, via
crosscheck's reader) and the clustering metrics (as Java's ClusteringMetrics)."""

import os

import numpy as np

from . import crosscheck as X

DATASETS = ("mnist",)


def read_idx_labels(path, count=None):
    """The first `count` labels (all when None) of an idx1 file (plain or .gz) as int64."""
    found, opener = X.open_idx(path)
    with opener(found, "rb") as f:
        header = f.read(8)
        if len(header) < 8 or int.from_bytes(header[:4], "big") != 0x801:
            raise ValueError(f"{found} is not an idx1 ubyte file")
        n = int.from_bytes(header[4:8], "big")
        count = n if count is None else count
        if count > n:
            raise ValueError(f"{found} holds {n} labels, {count} asked")
        raw = f.read(count)
        if len(raw) != count:
            raise ValueError(f"{found} is truncated")
    return np.frombuffer(raw, np.uint8).astype(np.int64)


def _count(path):
    """How many items an idx file (plain or .gz) holds."""
    found, opener = X.open_idx(path)
    with opener(found, "rb") as f:
        return int.from_bytes(f.read(8)[4:8], "big")


def load_mnist(train_limit=None, test_limit=None, directory=None):
    """((x_train, y_train), (x_test, y_test)): NHWC float32 / 255 and int64 labels, the first
    `train_limit` / `test_limit` of each split when given."""
    d = os.path.join(directory or X.data_dir(), "mnist")
    out = []
    for prefix, limit in (("train", train_limit), ("t10k", test_limit)):
        images = os.path.join(d, f"{prefix}-images-idx3-ubyte")
        n = _count(images)
        n = n if limit is None else min(int(limit), n)
        out.append((X.read_idx_images(images, n),
                    read_idx_labels(os.path.join(d, f"{prefix}-labels-idx1-ubyte"), n)))
    return tuple(out)


def clustering_metrics(labels, clusters):
    """(ACC, NMI, ARI): ACC by the Hungarian method (scipy) on the contingency table, NMI with
    the arithmetic mean of the entropies and ARI (scikit-learn), as Java's ClusteringMetrics."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    labels = np.asarray(labels, np.int64)
    clusters = np.asarray(clusters, np.int64)
    m = int(max(labels.max(), clusters.max())) + 1
    table = np.zeros((m, m), np.int64)
    np.add.at(table, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-table)
    acc = float(table[rows, cols].sum()) / len(labels)
    return (acc, float(normalized_mutual_info_score(labels, clusters)),
            float(adjusted_rand_score(labels, clusters)))
