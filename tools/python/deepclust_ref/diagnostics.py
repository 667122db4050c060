"""What the diagnostics on a trained run share (knn, vc_posterior): the run's newest checkpoint
loaded into the Python twin, and a command line that prints (and optionally writes) a JSON result."""

import argparse
import json
import os
import sys

from . import checkpoint


def newest_checkpoint(run_dir):
    """(path, step) of the run's checkpoint-N directory with the largest N."""
    steps = [int(n.split("-")[1]) for n in os.listdir(run_dir)
             if n.startswith("checkpoint-") and n.split("-")[1].isdigit()]
    if not steps:
        raise FileNotFoundError(f"{run_dir} has no checkpoint-N directory")
    return os.path.join(run_dir, f"checkpoint-{max(steps)}"), max(steps)


def load_run(run_dir, model_name, build):
    """(twin, run config.json, checkpoint step): `build(config_json)` makes the twin of the run's
    config, whose variables the newest checkpoint then sets by name."""
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        run = json.load(f)
    if run.get("model") != model_name:
        raise ValueError(f"{run_dir} is a {run.get('model')} run; the diagnostic is for "
                         f"{model_name}")
    model = build(run["config"])
    ckpt, step = newest_checkpoint(run_dir)
    checkpoint.restore_params(os.path.join(ckpt, "ckpt"), model.params)
    return model, run, step


def main(argv, prog, doc, add_arguments, diagnose):
    """`prog --run-dir RUN [--out FILE] ...`: `add_arguments(parser)` adds the rest,
    `diagnose(args)` returns the result; prints it as JSON (and writes it to --out). Exit 1 with
    one line on a missing or wrong file."""
    ap = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--out", default=None, help="write the result as JSON here")
    add_arguments(ap)
    args = ap.parse_args(argv)
    try:
        result = diagnose(args)
    except (OSError, ValueError, KeyError) as e:
        print(f"{prog.split('.')[-1]}: {e}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0
