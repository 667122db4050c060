"""The Python side of bench/perf: the twin of Java's PerfWorker (training/.../perf/PerfWorker.java),
one process holding one reference model (or one SavedModel), timing what the orchestrator asks on
stdin, one command per line, one answer line on stdout:

    train N       -> "times NS..."  N steps of the model's main phase (train.py's compiled
                                    tf.function step, as its trainer runs it) on the fixed batch
    infer B N     -> "times NS..."  N calls of the SavedModel's serving_default on B images,
                                    outputs fetched to numpy
    matmul N R    -> "times NS..."  R fp32 N x N by N x N matmuls (a tf.function)
    flops         -> "flops JSON"   analytic FLOPs of one training step (flops.py), by op type
    rss           -> "rss PEAK_KB CURRENT_KB"
    quit

    python -m deepclust_ref.perf_worker --model M --config FILE [--threads T] [--xla]
    python -m deepclust_ref.perf_worker --savedmodel DIR [--max-batch 1024] [--threads T] [--xla]

--config is the config JSON Java's worker printed (the same model, batch and seeds); the batch is
the first B images of MNIST's training set, the inference images the first ones of its test set.
"""

import argparse
import json
import os
import sys
import time

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import contract as C  # noqa: E402
from . import flops as F  # noqa: E402
from . import registry as R  # noqa: E402
from . import train as T  # noqa: E402


def set_threads(threads, inter_threads=None):
    """Intra- and inter-op threads (0: TensorFlow's choice; inter: as intra unless given), as
    Java's SessionSettings; before any op runs."""
    if threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    inter = threads if inter_threads is None else inter_threads
    if inter > 0:
        tf.config.threading.set_inter_op_parallelism_threads(inter)


def rss():
    """(VmHWM, VmRSS) of this process in kB; -1 where /proc is not there."""
    out = [-1, -1]
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    out[0] = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    out[1] = int(line.split()[1])
    except OSError:
        pass
    return out


class TrainWorker:
    def __init__(self, model, config_json):
        self.model = model
        self.spec = R.spec(model)
        self.config = self.spec.config.from_json(config_json)
        self.training = T.build(model, self.config)
        self.phase = self.training.phases()[-1]
        b = self.phase.batch_size
        (x, _), _ = T.load_mnist(train_limit=b, test_limit=1)
        self.x = np.ascontiguousarray(x)
        self.indices = np.arange(b)
        self.t = 0

    def describe(self):
        return {"role": "train", "model": self.model, "phase": self.phase.name,
                "batch": self.phase.batch_size}

    def train(self, n):
        times = []
        for _ in range(n):
            self.t += 1
            start = time.perf_counter_ns()
            terms = self.phase.step(self.x, self.indices, 0, self.t)
            times.append(time.perf_counter_ns() - start)
            if not np.isfinite(terms[0]):
                raise ValueError(f"{self.phase.name} loss became {terms[0]} at step {self.t}")
        return times

    def flops(self):
        step = getattr(self.training, self.spec.main_step)  # the last phase's compiled step
        total, by_type = F.count(F.static_trace(step, self.phase.batch_size))
        return {"flops": total, "by_type": {k: {"ops": v[0], "flops": v[1]}
                                            for k, v in by_type.items()}}


class InferWorker:
    def __init__(self, savedmodel, max_batch):
        self.loaded = tf.saved_model.load(savedmodel)
        self.fn = self.loaded.signatures[C.SIG_ASSIGN]
        _, (x, _) = T.load_mnist(train_limit=1, test_limit=max_batch)
        reps = -(-max_batch // len(x))
        self.images = np.ascontiguousarray(np.concatenate([x] * reps)[:max_batch])
        self.model = json.load(open(os.path.join(savedmodel, C.ASSET_DIR, C.ASSET_FILE)))[
            C.JSON_MODEL]

    def describe(self):
        return {"role": "infer", "model": self.model, "max_batch": len(self.images)}

    def infer(self, b, n):
        if not 1 <= b <= len(self.images):
            raise ValueError(f"batch {b} outside [1, {len(self.images)}]")
        batch = self.images[:b]
        times = []
        for _ in range(n):
            start = time.perf_counter_ns()
            out = self.fn(**{C.IN_X: tf.constant(batch)})
            clusters = out[C.OUT_CLUSTER].numpy()
            out[C.OUT_PROBS].numpy()
            times.append(time.perf_counter_ns() - start)
            if len(clusters) != b:
                raise ValueError(f"{len(clusters)} clusters for {b} images")
        return times


def matmul(size, r):
    values = np.random.default_rng(7).uniform(-1, 1, (size, size)).astype(np.float32)
    a, b = tf.constant(values), tf.constant(values)
    product = tf.function(tf.linalg.matmul)
    times = []
    for _ in range(r):
        start = time.perf_counter_ns()
        product(a, b)  # the result stays a tensor, as Java's stays in the session
        times.append(time.perf_counter_ns() - start)
    return times


def serve(worker, lines, out):
    for line in lines:
        w = line.split()
        if not w:
            continue
        try:
            if w[0] == "train":
                reply = "times " + " ".join(map(str, worker.train(int(w[1]))))
            elif w[0] == "infer":
                reply = "times " + " ".join(map(str, worker.infer(int(w[1]), int(w[2]))))
            elif w[0] == "matmul":
                reply = "times " + " ".join(map(str, matmul(int(w[1]), int(w[2]))))
            elif w[0] == "flops":
                reply = "flops " + json.dumps(worker.flops())
            elif w[0] == "rss":
                reply = "rss %d %d" % tuple(rss())
            elif w[0] == "quit":
                return
            else:
                reply = f"error unknown command '{w[0]}'"
        except Exception as e:  # the orchestrator reports it; the worker keeps serving
            reply = "error " + str(e).replace("\n", " ")
        print(reply, file=out, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="perf_worker", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(R.REGISTRY))
    p.add_argument("--config", help="config JSON file (Java's worker's)")
    p.add_argument("--savedmodel")
    p.add_argument("--max-batch", type=int, default=1024)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--inter-threads", type=int, help="inter-op threads (default: --threads)")
    p.add_argument("--xla", action="store_true",
                   help="XLA auto-clustering (tf.config.optimizer.set_jit), as Java's --xla")
    a = p.parse_args(argv)
    if (a.model is None) == (a.savedmodel is None):
        p.error("give exactly one of --model and --savedmodel")
    if a.model and not a.config:
        p.error("--model needs --config")
    set_threads(a.threads, a.inter_threads)
    if a.xla:
        tf.config.optimizer.set_jit("autoclustering")
    if a.model:
        worker = TrainWorker(a.model, json.load(open(a.config)))
    else:
        worker = InferWorker(a.savedmodel, a.max_batch)
    ready = dict(worker.describe(), threads=a.threads,
                 inter_threads=a.threads if a.inter_threads is None else a.inter_threads)
    print("ready " + json.dumps(ready), flush=True)
    serve(worker, sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
