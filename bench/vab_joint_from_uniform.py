"""Proxy (issue 18): does the paper's joint training improve on a uniform-prior VAB run's clusters
when it starts from that run (encoder, decoder and the Bernoulli mixture EM fitted to its codes)?
The Python twin (cross-checked against Java) restores a Java run's last checkpoint, turns
uniform_prior off and trains the joint objective (Eq. 10) for EPOCHS epochs with a fresh Adam (its
warm-up again) at the config's schedule from the run's last epoch (the rate it had reached), the
temperature continuing from the run's last epoch. Test ACC/NMI and PSNR after every epoch; epoch
0 is the uniform run's own clusters (the EM mixture). Writes OUT_JSON.
Usage: vab_joint_from_uniform.py OUT_JSON RUN_DIR EPOCHS
"""
import dataclasses
import json
import os
import sys
import time

import numpy as np

from deepclust_ref import checkpoint
from deepclust_ref import train as T
from deepclust_ref import vab as V

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_io import print_row, write_result  # noqa: E402
from vab_psnr import last_checkpoint  # noqa: E402


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    out, run_dir, epochs = argv[0], argv[1], int(argv[2])
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        uniform = V.VabConfig.from_json(json.load(f)["config"])
    start = uniform.epochs
    # The config's warm-up (its first 600 steps) again: Adam starts afresh.
    config = dataclasses.replace(uniform, uniform_prior=False, epochs=start + epochs)
    training = T.VabTraining(config)
    prefix, _ = last_checkpoint(run_dir)
    checkpoint.restore_params(prefix, training.model.params)
    (x_train, _), (x_test, y_test) = T.load_mnist()
    step = training.phases()[0].step
    rows = []

    def evaluate(epoch, loss, seconds):
        acc, nmi, ari = T.clustering_metrics(y_test, training.assign(x_test))
        row = {"epoch": epoch, "loss": loss, "test_acc": acc, "test_nmi": nmi, "test_ari": ari,
               "test_psnr": training.extra_metrics(x_test)["psnr"], "seconds": seconds}
        rows.append(row)
        print_row(row)

    evaluate(0, None, 0.0)
    t = 0
    for e in range(epochs):
        epoch = start + e
        t0 = time.time()
        losses = []
        for idx in T.batches(len(x_train), config.batch_size, config.seed + 1000, 0, epoch):
            t += 1
            losses.append(float(step(x_train[idx], idx, epoch, t)[0]))
        evaluate(e + 1, float(np.mean(losses)), time.time() - t0)
    write_result(out, "vab-joint-from-uniform",
                 f"bench/vab-joint-from-uniform {os.path.basename(run_dir)} {epochs}",
                 {"run": run_dir, "start_epoch": start, "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
