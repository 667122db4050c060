"""bench/vade-start-rules: label-free rules for VaDE's start, scored on cached autoencoders."""
import glob
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

CACHE = os.environ.get("DEEPCLUST_CACHE", os.path.expanduser("~/.cache/deepclust"))
DATA = os.environ.get("DEEPCLUST_DATA", os.path.expanduser("~/.cache/deepclust"))


def idx(path):
    b = open(path, "rb").read()
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(b[3])]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)


def mnist_all():
    parts = ("train", "t10k")
    x = np.concatenate([idx(f"{DATA}/mnist/{p}-images-idx3-ubyte") for p in parts])
    y = np.concatenate([idx(f"{DATA}/mnist/{p}-labels-idx1-ubyte") for p in parts])
    return x.reshape(-1, 784).astype(np.float32) / 255, y


def acc(y, c):
    m = np.zeros((c.max() + 1, y.max() + 1))
    np.add.at(m, (c, y), 1)
    r, k = linear_sum_assignment(-m)
    return float(m[r, k].sum() / len(y))


def embed(entry, x):
    """mu~ of the cached encoder (docs/models.md: ReLU hidden layers, linear mean head)."""
    man = json.load(open(f"{entry}/manifest.json"))

    def w(n):
        return np.fromfile(f"{entry}/{n}.f32", "<f4").reshape(man["weights"][n]["shape"])
    h = x
    for i in range(1, len(man["parts"]["recipe"]["encoder_hidden"]) + 1):
        h = np.maximum(h @ w(f"qz_{i}_kernel") + w(f"qz_{i}_bias"), 0)
    return (h @ w("qz_mean_kernel") + w("qz_mean_bias")).astype(np.float64), man["parts"]


def main(runs, out, command):
    x, y = mnist_all()
    results = []
    for entry in sorted(glob.glob(f"{CACHE}/pretrained/vade-*")):
        z, parts = embed(entry, x)
        rows = []
        for s in range(runs):
            km = KMeans(10, n_init=1, random_state=s).fit(z)
            g = GaussianMixture(10, covariance_type="diag", means_init=km.cluster_centers_,
                                max_iter=200, reg_covar=1e-6, random_state=s).fit(z)
            rows.append({"seed": s, "kmeans_sse": km.inertia_ / len(z),
                         "kmeans_acc": acc(y, km.labels_), "gmm_log_likelihood": g.score(z),
                         "gmm_acc": acc(y, g.predict(z))})
        by_sse = min(rows, key=lambda r: r["kmeans_sse"])
        by_ll = max(rows, key=lambda r: r["gmm_log_likelihood"])
        p = parts["recipe"]["pretraining"]
        name = f"{p['optimizer']}-{p['loss']}-e{p['epochs']}-seed{parts['seed']}"
        results.append({"autoencoder": name, "cache_entry": os.path.basename(entry),
                        "least_kmeans_sse": by_sse, "best_gmm_log_likelihood": by_ll,
                        "best_gmm_acc": max(r["gmm_acc"] for r in rows), "runs": rows})
        print(f"{name}: GMM ACC of the run kept by the least k-means error "
              f"{100 * by_sse['gmm_acc']:.2f}, by the GMM log-likelihood "
              f"{100 * by_ll['gmm_acc']:.2f}, best of {runs} runs "
              f"{100 * results[-1]['best_gmm_acc']:.2f}", flush=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    with open(out, "w") as f:
        json.dump({"benchmark": "vade-start-rules", "command": command, "commit": commit,
                   "date": time.strftime("%Y-%m-%d"),
                   "machine": {"cpu": cpu, "cores": os.cpu_count(), "host": platform.node()},
                   "runs_per_autoencoder": runs, "results": results}, f, indent=1)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
