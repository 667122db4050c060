"""Prints the README's results table (Markdown) from bench/results/*.json.

Usage: python3 bench/table.py            (print it)
       python3 bench/table.py --readme   (rewrite it in README.md between the results markers)
"""
import glob
import json
import os
import sys

# The numbers each paper reports on MNIST (the README's "Papers" paragraph names the papers;
# the k-means and GMM ranges are the ones those papers quote for raw pixels).
ANCHORS = {
    "gmvae_gumbel": {"test": "85.75 ± 8 (300 epochs)"},
    "vade": {"all": "94.46 (94.06 in VaDE's own table)"},
    "kdvae": {"all": "97.87 ± 0.1"},
    "vc": {"test": "98.2 (MNIST), 71.72 (Fashion-MNIST)"},
    "vab": {"test": "71.69 (best over d); PSNR 20-25 dB acceptable"},
    "kmeans_pixels": {"test": "53.2-55.4", "all": "53.2-55.4"},
    "gmm_pixels": {"test": "42.2-53.7", "all": "42.2-53.7"},
}
ORDER = ["gmvae_gumbel", "vade", "kdvae", "vc", "vab", "kmeans_pixels", "gmm_pixels"]


def rows():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "results", "*.json"))):
        with open(path) as f:
            r = json.load(f)
        if "final" in r:  # skip results of other kinds (throughput, ...)
            yield r


BEGIN = "<!-- results:begin (python3 bench/table.py --readme) -->"
END = "<!-- results:end -->"


def table():
    lines = []
    print = lines.append  # noqa: A001 - collect the rows below instead of printing them
    print("| model | dataset (split) | seed | epochs | ACC | NMI | ARI | s/epoch (train) "
          "| paper ACC | result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    found = sorted(rows(), key=lambda r: (ORDER.index(r["model"]) if r["model"] in ORDER else 99,
                                          r.get("config", {}).get("bits", 0), r["benchmark"]))
    for r in found:
        f = r["final"]
        name = r["model"]
        if name == "vab":
            bits = r["config"]["bits"]
            name = f"vab d={bits} (BPP {bits / 784:.4f}, PSNR {f.get('test_psnr', float('nan')):.1f} dB)"
        seed = r.get("seed", r.get("config", {}).get("seed", ""))
        epochs = r.get("epochs", "—")
        speed = r.get("seconds_per_epoch_train")
        for split in ("all", "test"):
            if split + "_acc" not in f:
                continue
            print(f"| {name} | {r['dataset']} ({split}) | {seed} | {epochs} "
                  f"| {100 * f[split + '_acc']:.2f} | {100 * f[split + '_nmi']:.2f} "
                  f"| {100 * f[split + '_ari']:.2f} | {f'{speed:.1f}' if speed else '—'} "
                  f"| {ANCHORS.get(r['model'], {}).get(split, '')} "
                  f"| `bench/results/{r['benchmark']}.json` |")
    print("")
    print("Mean ± sd over seeds (same model, dataset, split and epochs):")
    print("")
    print("| model | dataset (split) | epochs | seeds | ACC | NMI | ARI | paper ACC |")
    print("|---|---|---|---|---|---|---|---|")
    groups = {}
    for r in found:
        if r["model"] in ("kmeans_pixels", "gmm_pixels"):
            continue
        key_model = r["model"] + (f" d={r['config']['bits']}" if r["model"] == "vab" else "")
        for split in ("all", "test"):
            if split + "_acc" in r["final"]:
                groups.setdefault((key_model, r["dataset"], split, r.get("epochs")), []).append(r)
    for (model, dataset, split, epochs), rs in groups.items():
        if len(rs) < 2:
            continue
        cells = []
        for metric in ("acc", "nmi", "ari"):
            v = [100 * r["final"][f"{split}_{metric}"] for r in rs]
            m = sum(v) / len(v)
            sd = (sum((x - m) ** 2 for x in v) / (len(v) - 1)) ** 0.5
            cells.append(f"{m:.2f} ± {sd:.2f}")
        base = model.split(" ")[0]
        print(f"| {model} | {dataset} ({split}) | {epochs} | {len(rs)} | {' | '.join(cells)} "
              f"| {ANCHORS.get(base, {}).get(split, '')} |")
    return "\n".join(lines)


def main(argv):
    text = table()
    if "--readme" not in argv:
        sys.stdout.write(text + "\n")
        return
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
    with open(readme) as f:
        content = f.read()
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + tail)


if __name__ == "__main__":
    main(sys.argv[1:])
