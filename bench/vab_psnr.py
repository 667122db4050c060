"""Diagnostic (issue 18): VAB's PSNR under the readings of "PSNR" that the paper and its public
code use, on trained runs (inference only). The paper (§3.1) names PSNR without a formula; the
public code (dem123456789/Deep-Clustering-of-Compressed-Variational-Embeddings, utils.PSNR and
its training loops) computes 10 log10(1 / MSE) of each training batch of 128 from the decoder at
the *relaxed* Gumbel sample of the current temperature and averages it over batches. Ours (the
README's, the consumer's view) decodes the hard bits b = [l > 0] and averages each image's PSNR.

For each RUN_DIR (a Java run: config.json and its last checkpoint, read into the Python twin,
which is cross-checked against Java) this writes, on the test split:
  hard_per_image    ours: mean over images of PSNR(x_i, decoder(b_i)) (= the run's test_psnr)
  hard_pooled       10 log10(1 / MSE over all test pixels), decoder at the bits
  relaxed_batches   the public code's: batches of 128, decoder at the relaxed sample at the run's
                    last temperature, PSNR of each batch's MSE, averaged (noise seeded, fixed)
  relaxed_tau05     the same at tau = 0.5 (the public code's floor, reached by its epoch ~15)
  mean_code         decoder at the code probabilities mu = sigmoid(l) (no noise, not binary)
The relaxed and mean-code figures decode real-valued codes: they are not what d bits can carry.
And what the hard codes carry (whether a run collapsed; issue 18's d = 8):
  distinct_codes    distinct codes b among the 10,000 test images (1 = collapsed)
  code_entropy_bits entropy of the codes' empirical distribution, bits (at most d, log2 10000)
  constant_bits     bits equal for every test image (carry nothing)
Usage: vab_psnr.py OUT_JSON RUN_DIR [RUN_DIR ...]
"""
import glob
import json
import os
import sys

import numpy as np
import tensorflow as tf

from deepclust_ref import checkpoint
from deepclust_ref import dist
from deepclust_ref import train as T
from deepclust_ref import vab as V

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import print_row, write_result  # noqa: E402

BATCH = 128


def last_checkpoint(run_dir):
    steps = sorted(glob.glob(os.path.join(run_dir, "checkpoint-*")),
                   key=lambda p: int(p.rsplit("-", 1)[1]))
    if not steps:
        raise FileNotFoundError(f"{run_dir}: no checkpoint-* directory")
    return os.path.join(steps[-1], "ckpt"), int(steps[-1].rsplit("-", 1)[1])


def pooled(x, x_hat):
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    return float(10 * np.log10(1 / np.mean((x - np.asarray(x_hat, np.float64).reshape(x.shape))
                                           ** 2)))


def relaxed_batches(model, x, temperature):
    """The public code's figure: mean over batches of 10 log10(1 / batch MSE)."""
    values, sizes = [], []
    for t, start in enumerate(range(0, len(x), BATCH), start=1):
        xs = x[start:start + BATCH]
        logits = model.q_z_given_x(model.config.flatten(xs))
        y = dist.binary_gumbel_softmax_sample(logits, np.float32(temperature),
                                              model.noise(len(xs), [99, t]))
        x_hat = model._mean(model.p_x_given_z(y)).numpy()
        values.append(pooled(xs, x_hat))
        sizes.append(len(xs))
    return float(np.average(values, weights=sizes))


def measure(run_dir, x_test):
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        config = V.VabConfig.from_json(json.load(f)["config"])
    prefix, step = last_checkpoint(run_dir)
    model = V.Vab(config)
    checkpoint.restore_params(prefix, model.params)
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
    epoch = int(last["epoch"])
    tau = config.temperature(epoch - 1)
    hard, mean_code, codes = [], [], []
    for start in range(0, len(x_test), 1000):
        flat = model.config.flatten(x_test[start:start + 1000])
        logits = model.q_z_given_x(flat)
        bits = tf.cast(model._bits(logits), tf.float32)
        codes.append(bits.numpy().astype(np.uint8))
        hard.append(model._mean(model.p_x_given_z(bits)).numpy())
        mean_code.append(model._mean(model.p_x_given_z(tf.math.sigmoid(logits))).numpy())
    hard = np.concatenate(hard)
    mean_code = np.concatenate(mean_code)
    codes = np.concatenate(codes)
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    return {
        "run": os.path.basename(os.path.normpath(run_dir)), "bits": config.bits,
        "epoch": epoch, "checkpoint_step": step, "temperature_last": round(float(tau), 4),
        "run_test_psnr": last.get("test_psnr"),
        "hard_per_image": V.psnr(x_test, hard),
        "hard_pooled": pooled(x_test, hard),
        "relaxed_batches": relaxed_batches(model, x_test, tau),
        "relaxed_tau05": relaxed_batches(model, x_test, 0.5),
        "mean_code": V.psnr(x_test, mean_code),
        "distinct_codes": int(len(counts)),
        "code_entropy_bits": float(-(p * np.log2(p)).sum()),
        "constant_bits": int((codes.min(axis=0) == codes.max(axis=0)).sum()),
    }


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out, runs = argv[0], argv[1:]
    (_, _), (x_test, _) = T.load_mnist()
    rows = []
    for run_dir in runs:
        row = measure(run_dir, x_test)
        rows.append(row)
        print_row(row, places=3)
    write_result(out, "vab-psnr", "bench/vab-psnr " + " ".join(runs),
                 {"split": "test", "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
