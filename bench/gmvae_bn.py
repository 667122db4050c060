"""Diagnostic (issue 18): does GMVAE-Gumbel lose accuracy in its batch-norm moving averages?
Trains the Python twin (the same model and step as Java's, cross-checked) at the paper's settings
on MNIST's train split for EPOCHS epochs and, after every epoch, scores the test split's clusters
argmax q(c|x) two ways: with the moving averages (the model's inference, Keras' decay 0.99) and
with batch statistics (the training branch's batch norm over test batches of 300, the paper's
batch size; q(c|x) does not depend on the noise). A large gap says the averages, not the learned
weights, cost the accuracy (the Torch code's decay would be 0.9). Labels only score.
Writes a JSON of both curves.

Usage: gmvae_bn.py OUT_JSON EPOCHS [SEED]
"""
import dataclasses
import json
import sys
import time

import numpy as np
import tensorflow as tf

from deepclust_ref import train as T
from deepclust_ref.gmvae_gumbel import GmvaeGumbelConfig

EVAL_BATCH = 300


def main(argv):
    out, epochs = argv[0], int(argv[1])
    seed = int(argv[2]) if len(argv) > 2 else 1
    # The grey images and a linear x^, as when this was measured (before issue 18's defaults).
    config = dataclasses.replace(GmvaeGumbelConfig.mnist(seed), binarize=False,
                                 feature_bn_relu=False)
    training = T.GmvaeGumbelTraining(config)
    model = training.model
    step = training.phases()[0].step
    (x_train, _), (x_test, y_test) = T.load_mnist()
    x_spec = tf.TensorSpec([None, *config.input_shape], tf.float32)

    @tf.function(input_signature=[x_spec])
    def batch_stat_clusters(xs):
        logits, _, _ = model._posterior(model.config.flatten(xs), True, [])
        return tf.math.argmax(logits, axis=1)

    rows = []
    t = 0
    t0 = time.time()
    for epoch in range(epochs):
        for idx in T.batches(len(x_train), config.batch_size, config.seed, 0, epoch):
            t += 1
            step(x_train[idx], idx, epoch, t)
        moving = training.assign(x_test)
        batch = np.concatenate([batch_stat_clusters(tf.constant(x_test[i:i + EVAL_BATCH])).numpy()
                                for i in range(0, len(x_test), EVAL_BATCH)])
        row = {"epoch": epoch + 1,
               "acc_moving_averages": T.clustering_metrics(y_test, moving)[0],
               "acc_batch_statistics": T.clustering_metrics(y_test, batch)[0],
               "seconds": round(time.time() - t0, 1)}
        rows.append(row)
        print(f"epoch {row['epoch']:3d}  test ACC moving averages {row['acc_moving_averages']:.4f}"
              f"  batch statistics {row['acc_batch_statistics']:.4f}  ({row['seconds']} s)",
              flush=True)
    with open(out, "w") as f:
        json.dump({"benchmark": "gmvae-bn", "seed": seed, "epochs": epochs, "eval_batch": EVAL_BATCH,
                   "curves": rows}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
