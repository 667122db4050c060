"""What the twin proxies and diagnostics under bench/ share: their arguments, one JSON line per
row on stdout, and the result JSON (the command, commit and machine with the script's own fields)
written to a temporary path and renamed into place."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import train as T
from deepclust_ref.vc_posterior import entropy


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def proxy_args(argv, usage):
    """OUT_JSON EPOCHS N SEEDS VARIANT [VARIANT ...] (N the proxy's own integer; SEEDS "1 2"):
    (out, epochs, n, seeds, variants), or exits with `usage`. Sets TensorFlow's intra-op threads
    from THREADS (environment), to run beside other benchmarks."""
    if len(argv) < 5:
        sys.exit(usage)
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("THREADS", "0")))
    return argv[0], int(argv[1]), int(argv[2]), [int(s) for s in argv[3].split()], argv[4:]


def print_row(row, places=4):
    """A row as one JSON line, floats rounded to `places`."""
    print(json.dumps({k: round(v, places) if isinstance(v, float) else v
                      for k, v in row.items()}), flush=True)


def write_result(out, benchmark, command, fields):
    """bench/results JSON at `out`: benchmark, command, commit, machine, then `fields`."""
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    result = {"benchmark": benchmark, "command": command, "commit": commit,
              "machine": {"cpu": cpu_name(), "cores": os.cpu_count()}, **fields}
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    os.replace(out + ".tmp", out)


def epoch_row(variant, seed, epoch, step, terms, log_q, labels, started):
    """One epoch's row, printed and returned: the variant, seed, epoch (from 0, shown from 1) and
    step, the training `terms`, the mean entropy of the test split's q(k|x) (log-probabilities
    log_q [N, K]) and the ACC, NMI and ARI of its argmax against `labels` (labels only score),
    and the seconds since `started`."""
    acc, nmi, ari = T.clustering_metrics(labels, log_q.argmax(axis=1))
    row = {"variant": variant, "seed": seed, "epoch": epoch + 1, "step": step, **terms,
           "test_entropy": float(np.mean(entropy(log_q))), "test_acc": acc, "test_nmi": nmi,
           "test_ari": ari, "seconds": time.time() - started}
    print_row(row)
    return row


def last_epoch_means(rows, variants, epochs, keys):
    """Per variant, the mean over seeds of `keys` at the last epoch."""
    return {v: {k: float(np.mean([r[k] for r in rows
                                  if r["variant"] == v and r["epoch"] == epochs]))
                for k in keys} for v in variants}
