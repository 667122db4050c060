"""bench/perf: Java (session and eager mode) against the Python reference, side by side.

For each model: one Java session-mode worker, one Java eager-mode worker and one Python worker
(training/.../perf/PerfWorker.java, tools/python/deepclust_ref/perf_worker.py) hold the same model
(the config Java's worker prints, the paper's MNIST settings and batch) and the same batch (the
first B MNIST training images). They take turns: after a warm-up, ROUNDS rounds in which each
worker runs its block of steps, the order rotating each round, so that a noisy machine affects all
three alike. Reported: the median of each worker's timed steps and the ratios Java/Python.

Then the session worker exports its SavedModel, and a Java inference worker (the inference module,
ClusteringModel.assign) and a Python one (tf.saved_model.load, serving_default, outputs fetched to
numpy) take turns the same way at batch 1, 64 and 1024: images per second from the median call,
and p50/p99 latency at batch 1.

The machine's limit: fp32 matmul GFLOP/s of TensorFlow (2048 x 2048, both runtimes, the better
median); each model's analytic FLOPs per training step (flops.py: matmuls and convolutions of the
traced step, forward and backward) over the session step's median time, as a fraction of it.
Memory: each worker's peak RSS (VmHWM) after its steps / calls.

Usage: bench/perf [--models a,b] [--steps 50] [--rounds 5] [--threads N] [--xla] [--tag T]
                  [--out bench/results]
       bench/perf --table [--tag T]     (the tables of the results already written)
Writes perf-<model>.json per model and perf-summary.json (the table, machine, commit, command);
with --xla (XLA auto-clustering in every worker, Java and Python alike) perf-xla-*, with --tag T
perf-T-*.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, "tools", "python", ".venv", "bin", "python")
MODELS = ("gmvae_gumbel", "vade", "kdvae", "vc", "vab")
INFER_BATCHES = (1, 64, 1024)
MATMUL_SIZE = 2048
XLA = False  # --xla: every worker with XLA auto-clustering


class Worker:
    """A worker process: one command line in, one answer line out."""

    def __init__(self, name, argv, cwd, log_dir, env=None):
        self.name = name
        self.log = open(os.path.join(log_dir, name + ".log"), "w")
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1, env=env)
        line = self._read()
        if not line.startswith("ready "):
            raise RuntimeError(f"{name} did not start: {line!r} (see {self.log.name})")
        self.ready = json.loads(line[len("ready "):])

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log.name}")
        return line.strip()

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self._read()
        if line.startswith("error "):
            raise RuntimeError(f"{self.name}: {command}: {line[6:]}")
        return line

    def times(self, command):
        """Seconds of each timed repetition."""
        return [int(v) / 1e9 for v in self.ask(command).split()[1:]]

    def rss_mb(self):
        peak, current = (int(v) for v in self.ask("rss").split()[1:])
        return {"peak_mb": round(peak / 1024, 1), "current_mb": round(current / 1024, 1)}

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.log.close()


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **extra)
    # XLA auto-clustering on a CPU needs this flag (a session that does not ask is unaffected).
    env["TF_XLA_FLAGS"] = (env.get("TF_XLA_FLAGS", "") + " --tf_xla_cpu_global_jit").strip()
    return env


def java(name, args, log_dir):
    env = _env()
    # Java's session default is train's (--xla auto: on for kdvae); --xla turns it on everywhere.
    args = [*args, "--xla", "on" if XLA else "auto"]
    return Worker(name, [os.path.join(ROOT, "deepclust"), "perf-worker", *args], ROOT, log_dir,
                  env)


def python(name, args, log_dir):
    env = _env(PYTHONPATH=os.path.join(ROOT, "tools", "python"))
    args = [*args, "--xla"] if XLA else args
    return Worker(name, [PYTHON, "-m", "deepclust_ref.perf_worker", *args],
                  os.path.join(ROOT, "tools", "python"), log_dir, env)


def alternate(workers, command, rounds, warmup_command):
    """Each worker's timed repetitions, the workers taking turns (order rotating each round)."""
    for w in workers:
        w.times(warmup_command)
    got = {w.name: [] for w in workers}
    for r in range(rounds):
        order = workers[r % len(workers):] + workers[:r % len(workers)]
        for w in order:
            got[w.name].extend(w.times(command))
    return got


def percentile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")),
                       "unknown")
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "")
    except OSError:
        pass
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in flags]
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(next(l for l in f if l.startswith("MemTotal")).split()[1]) // 1024
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "isa": isa,
            "host": platform.node(), "os": platform.platform()}


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure_matmul(threads, log_dir, rounds):
    args = ["--threads", str(threads)]
    j = java("java-matmul", ["--model", "gmvae_gumbel", *args], log_dir)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(j.ready["config"], f)
        p = python("python-matmul", ["--model", "gmvae_gumbel", "--config", f.name, *args],
                   log_dir)
        try:
            got = alternate([j, p], f"matmul {MATMUL_SIZE} 3", rounds, f"matmul {MATMUL_SIZE} 2")
        finally:
            p.close()
            os.unlink(f.name)
    finally:
        j.close()
    flops = 2 * MATMUL_SIZE ** 3
    out = {k: flops / statistics.median(v) / 1e9 for k, v in got.items()}
    return {"size": MATMUL_SIZE, "java_gflops": round(out["java-matmul"], 1),
            "python_gflops": round(out["python-matmul"], 1),
            "gflops": round(max(out.values()), 1)}


def measure_model(model, a, log_dir, peak_gflops):
    targs = ["--threads", str(a.threads)]
    print(f"== {model}: starting workers", flush=True)
    session = java("java-session", ["--model", model, "--mode", "session", *targs], log_dir)
    workers = [session]
    config_file = os.path.join(log_dir, model + ".config.json")
    with open(config_file, "w") as f:
        json.dump(session.ready["config"], f)
    export = os.path.join(log_dir, model + "-export")
    try:
        workers.append(java("java-eager", ["--model", model, "--mode", "eager", *targs], log_dir))
        workers.append(python("python", ["--model", model, "--config", config_file, *targs],
                              log_dir))
        flops = json.loads(workers[2].ask("flops")[len("flops "):])
        block = max(1, -(-a.steps // a.rounds))
        warm = a.warmup if model != "vc" else max(2, a.warmup // 5)
        print(f"   {model}: {a.rounds} rounds of {block} steps per worker "
              f"(batch {session.ready['batch']}), {warm} warm-up", flush=True)
        got = alternate(workers, f"train {block}", a.rounds, f"train {warm}")
        memory = {w.name: w.rss_mb() for w in workers}
        session.ask("export " + export)
    finally:
        for w in workers:
            w.close()
    med = {k: statistics.median(v) for k, v in got.items()}
    gflops = flops["flops"] / med["java-session"] / 1e9
    train = {
        "batch": session.ready["batch"], "phase": session.ready["phase"],
        "steps_timed": {k: len(v) for k, v in got.items()},
        "median_step_ms": {k: round(v * 1e3, 3) for k, v in med.items()},
        "p90_step_ms": {k: round(percentile(v, 90) * 1e3, 3) for k, v in got.items()},
        "ratio_session_over_python": round(med["java-session"] / med["python"], 3),
        "ratio_eager_over_python": round(med["java-eager"] / med["python"], 3),
        "ratio_eager_over_session": round(med["java-eager"] / med["java-session"], 3),
        "java_xla": session.ready.get("xla", False), "python_xla": XLA,
        "flops_per_step": flops["flops"], "flops_by_op": flops["by_type"],
        "achieved_gflops_session": round(gflops, 2),
        "achieved_gflops_python": round(flops["flops"] / med["python"] / 1e9, 2),
        "fraction_of_matmul_peak_session": round(gflops / peak_gflops, 4),
        "peak_rss_mb": {k: v["peak_mb"] for k, v in memory.items()},
    }
    print(f"   {model}: step ms session {train['median_step_ms']['java-session']}, eager "
          f"{train['median_step_ms']['java-eager']}, python {train['median_step_ms']['python']}"
          f" -> session/python {train['ratio_session_over_python']}, eager/session "
          f"{train['ratio_eager_over_session']}", flush=True)

    jargs = ["--savedmodel", export, "--max-batch", str(max(INFER_BATCHES)), *targs]
    ji = java("java-infer", jargs, log_dir)
    pi = None
    try:
        pi = python("python-infer", jargs, log_dir)
        infer = {}
        for b in INFER_BATCHES:
            # About 2 s of calls per block (at least 3), from a warm-up call's time.
            t0 = min(ji.times(f"infer {b} 2")[-1], pi.times(f"infer {b} 2")[-1])
            calls = int(max(3, min(200, 2.0 / max(t0, 1e-6))))
            got = alternate([ji, pi], f"infer {b} {calls}", a.rounds, f"infer {b} 1")
            row = {}
            for k, v in got.items():
                who = "java" if k.startswith("java") else "python"
                m = statistics.median(v)
                row[who + "_images_per_s"] = round(b / m, 1)
                if b == 1:
                    row[who + "_p50_ms"] = round(m * 1e3, 3)
                    row[who + "_p99_ms"] = round(percentile(v, 99) * 1e3, 3)
                row[who + "_calls"] = len(v)
            row["ratio_java_over_python"] = round(row["java_images_per_s"]
                                                  / row["python_images_per_s"], 3)
            infer[str(b)] = row
        memory_infer = {"java": ji.rss_mb()["peak_mb"], "python": pi.rss_mb()["peak_mb"]}
    finally:
        ji.close()
        if pi is not None:
            pi.close()
    print(f"   {model}: inference images/s java/python at 64 "
          f"{infer['64']['ratio_java_over_python']}, at 1024 "
          f"{infer['1024']['ratio_java_over_python']}", flush=True)
    return {"model": model, "train": train, "inference": infer,
            "inference_peak_rss_mb": memory_infer}


def table(results, matmul, info):
    """The README's two tables (training, inference) and the line saying where they were measured."""
    m = info["machine"]
    lines = [f"Measured {info['date']} on {m['cpu']} ({m['cores']} cores, "
             f"{', '.join(m.get('isa', [])) or 'no AVX2'}), TensorFlow 2.18.0 (TF-Java 1.1.0) and "
             f"2.18.1 (Python), {info['threads']} intra- and inter-op threads"
             f"{', XLA auto-clustering' if info.get('xla') else ''}, commit {info['commit']}, "
             f"`{info['command']}`. Matmul peak: {matmul['gflops']} GFLOP/s (fp32 "
             f"{MATMUL_SIZE}×{MATMUL_SIZE}; Java {matmul['java_gflops']}, Python "
             f"{matmul['python_gflops']}).", "",
             "| model | batch | step ms: Java session | Java eager | Python `tf.function` |"
             " session / Python | eager / Python | eager / session | GFLOP per step"
             " | Java session GFLOP/s (of peak) | peak RSS MB: session / eager / Python |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        t, rss = r["train"], r["train"]["peak_rss_mb"]
        ms = t["median_step_ms"]
        lines.append(
            f"| {r['model']}{' (Java: XLA)' if t.get('java_xla') and not info.get('xla') else ''}"
            f" | {t['batch']} | {ms['java-session']:.2f} | {ms['java-eager']:.2f} |"
            f" {ms['python']:.2f} | **{t['ratio_session_over_python']:.2f}** |"
            f" {t['ratio_eager_over_python']:.2f} | **{t['ratio_eager_over_session']:.2f}** |"
            f" {t['flops_per_step'] / 1e9:.2f} |"
            f" {t['achieved_gflops_session']:.1f} ({100 * t['fraction_of_matmul_peak_session']:.0f}"
            f"%) | {rss['java-session']:.0f} / {rss['java-eager']:.0f} / {rss['python']:.0f} |")
    lines += ["", "| model | images/s at batch 1: Java / Python | batch 64 | batch 1024 |"
              " latency at batch 1, p50 / p99 ms: Java | Python | peak RSS MB: Java / Python |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        i = r["inference"]

        def cell(b):
            return (f"{i[b]['java_images_per_s']:.0f} / {i[b]['python_images_per_s']:.0f} "
                    f"(**{i[b]['ratio_java_over_python']:.2f}**)")

        lines.append(
            f"| {r['model']} | {cell('1')} | {cell('64')} | {cell('1024')} |"
            f" {i['1']['java_p50_ms']:.2f} / {i['1']['java_p99_ms']:.2f} |"
            f" {i['1']['python_p50_ms']:.2f} / {i['1']['python_p99_ms']:.2f} |"
            f" {r['inference_peak_rss_mb']['java']:.0f} / "
            f"{r['inference_peak_rss_mb']['python']:.0f} |")
    return "\n".join(lines)


def saved_table(out, tag):
    """The tables of the results written earlier (perf-[TAG-]<model>.json), in MODELS order."""
    prefix = f"perf-{tag}-" if tag else "perf-"
    results = []
    for m in MODELS:
        path = os.path.join(out, f"{prefix}{m}.json")
        if os.path.exists(path):
            with open(path) as f:
                results.append(json.load(f))
    if not results:
        sys.exit(f"no {prefix}<model>.json in {out}")
    first = results[0]
    return table(results, first["matmul"], first)


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench/perf", description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--steps", type=int, default=50, help="timed steps per worker (default 50)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=10, help="warm-up steps (vc: a fifth)")
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="intra- and inter-op threads of every worker (default: the cores)")
    p.add_argument("--xla", action="store_true",
                   help="XLA auto-clustering in every worker (results named perf-xla-*)")
    p.add_argument("--tag", help="results named perf-TAG-* (default: none; xla with --xla)")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    p.add_argument("--table", action="store_true",
                   help="only print the tables of the results already in --out (of --tag)")
    a = p.parse_args(argv)
    if a.table:
        print(saved_table(a.out, a.tag or ("xla" if a.xla else None)))
        return
    global XLA
    XLA = a.xla
    tag = a.tag or ("xla" if XLA else None)
    prefix = f"perf-{tag}-" if tag else "perf-"
    models = [m for m in a.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            p.error(f"unknown model '{m}': one of {', '.join(MODELS)}")
    log_dir = tempfile.mkdtemp(prefix="deepclust-perf-")
    info = {"benchmark": "perf", "command": "bench/perf " + " ".join(argv or sys.argv[1:]),
            "commit": commit(), "date": time.strftime("%Y-%m-%d"), "machine": machine(),
            "threads": a.threads, "steps": a.steps, "rounds": a.rounds, "xla": XLA}
    start = time.time()
    try:
        print("== matmul peak", flush=True)
        mm = measure_matmul(a.threads, log_dir, a.rounds)
        print(f"   fp32 matmul {MATMUL_SIZE}: Java {mm['java_gflops']} GFLOP/s, Python "
              f"{mm['python_gflops']} GFLOP/s", flush=True)
        results = []
        for m in models:
            r = measure_model(m, a, log_dir, mm["gflops"])
            results.append(r)
            os.makedirs(a.out, exist_ok=True)
            with open(os.path.join(a.out, f"{prefix}{m}.json"), "w") as f:
                json.dump(dict(info, matmul=mm, **r), f, indent=2)
                f.write("\n")
    except Exception:
        print(f"worker logs kept in {log_dir}", file=sys.stderr)
        raise
    info["seconds"] = round(time.time() - start)
    text = table(results, mm, info)
    with open(os.path.join(a.out, f"{prefix}summary.json"), "w") as f:
        json.dump(dict(info, matmul=mm, table=text,
                       models=[r["model"] for r in results]), f, indent=2)
        f.write("\n")
    print()
    print(text)
    shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
