"""Prints the README's results table (Markdown) from bench/results/*.json.

Usage: python3 bench/table.py
"""
import glob
import json
import os

ANCHORS = {"gmvae_gumbel": "85.75 ± 8 (300 epochs)", "vade": "94.46 (all 70k)"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    for path in sorted(glob.glob(os.path.join(here, "results", "*.json"))):
        with open(path) as f:
            r = json.load(f)
        rows.append(r)
    print("| model | dataset (split) | seed | epochs | ACC | NMI | ARI | s/epoch (train) | paper ACC "
          "| result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f = r["final"]
        for split in ("all", "test"):
            if split + "_acc" not in f:
                continue
            print(f"| {r['model']} | {r['dataset']} ({split}) | {r['config']['seed']} "
                  f"| {r['epochs']} | {100 * f[split + '_acc']:.2f} "
                  f"| {100 * f[split + '_nmi']:.2f} | {100 * f[split + '_ari']:.2f} "
                  f"| {r['seconds_per_epoch_train']:.1f} "
                  f"| {ANCHORS.get(r['model'], '') if split == 'all' or r['model'] != 'vade' else ''} "
                  f"| `bench/results/{r['benchmark']}.json` |")


if __name__ == "__main__":
    main()
