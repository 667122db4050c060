"""Summarises a finished training run directory into bench/results/<name>.json (+ .metrics.jsonl).

Usage: python3 bench/summarize.py RUN_DIR RESULT_PREFIX "COMMAND"
The summary names the command, the commit and machine of the run (from config.json), the final
test-split metrics and the seconds per epoch. It uses only the standard library.
"""
import json
import os
import platform
import shutil
import subprocess
import sys


def main(run_dir, prefix, command):
    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    if not lines:
        sys.exit(f"{run_dir}/metrics.jsonl has no epochs")
    all_lines = lines
    train_secs = [l["train_seconds"] for l in lines]
    # Pretraining epochs (no "test_acc") count for time, not for the metrics.
    lines = [l for l in lines if "test_acc" in l]
    if not lines:
        sys.exit(f"{run_dir}/metrics.jsonl has no evaluated epoch (pretraining epochs only)")
    last = lines[-1]
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    summary = {
        "benchmark": os.path.basename(prefix),
        "command": command,
        "commit": config["provenance"]["commit"],
        "tensorflow": config["provenance"]["tensorflow"],
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "host": platform.node(),
                    "device": config["provenance"].get("device", "cpu")},
        "model": config["model"],
        "dataset": config["dataset"],
        "split_evaluated": sorted(k[:-4] for k in last if k.endswith("_acc")),
        "train_size": config["train_size"],
        "test_size": config["test_size"],
        "epochs": last.get("phase_epoch", last["epoch"]),
        "epochs_all_phases": last["epoch"],
        "final": {k: last[k] for k in last
                  if k.endswith(("_acc", "_nmi", "_ari", "_psnr")) or k == "loss"},
        # Best over epochs peeks at test labels; it is shown for comparison with papers that
        # report it, never as the result.
        "best_epoch_by_test_acc": max(lines, key=lambda l: l["test_acc"])["epoch"],
        "best_test_acc": max(l["test_acc"] for l in lines),
        "seconds_per_epoch_train": sum(train_secs) / len(train_secs),
        "seconds_per_epoch_with_eval": sum(l["seconds"] for l in lines) / len(lines),
        "phases": sorted({l.get("phase", "train") for l in lines}),
        "config": config["config"],
    }
    # Machine time per phase (training steps only), the pretraining's included.
    by_phase = {}
    for l in all_lines:
        phase = l.get("phase", "train")
        by_phase[phase] = by_phase.get(phase, 0.0) + l["seconds"]
    summary["seconds_by_phase"] = by_phase
    # A phase's start report (VaDE's GMM restarts: each one's -ELBO, k-means ACC and ACC, and the
    # one kept), as the run wrote it.
    for name in sorted(os.listdir(run_dir)):
        if name.endswith("-start.json"):
            with open(os.path.join(run_dir, name)) as f:
                summary.setdefault("starts", {})[name[:-len("-start.json")]] = json.load(f)
    with open(prefix + ".json", "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    shutil.copyfile(os.path.join(run_dir, "metrics.jsonl"), prefix + ".metrics.jsonl")
    print(f"{summary['benchmark']}: {summary['epochs']} epochs, test ACC "
          f"{last['test_acc']:.4f} NMI {last['test_nmi']:.4f} ARI {last['test_ari']:.4f}, "
          f"{summary['seconds_per_epoch_train']:.1f} s/epoch -> {prefix}.json")


if __name__ == "__main__":
    main(*sys.argv[1:4])
