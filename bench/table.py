"""Prints the README's results table (Markdown) from bench/results/*.json.

Usage: python3 bench/table.py            (print it)
       python3 bench/table.py --readme   (rewrite it in README.md between the results markers)
The backbone x augmentation matrix (bench/matrix's results, matrix-*) is its own table.
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
        # Skip results of other kinds (throughput, ...) and start diagnostics (one joint epoch).
        if "final" in r and not r["benchmark"].startswith(("vade-pretraining", "matrix-")):
            yield r


# Results whose GMM start the current rule (least k-means error) would not keep: the run kept the
# least -ELBO start, which differed (seed 2; README "Seed 2 showed ..."). They stay in the table
# under their own label, out of the current recipe's mean.
OLD_RULE_START = {"vade-mnist-dec-keras-lr2e-4-seed2"}


def vab_variant(r):
    """VAB's training variant: the learning-rate warm-up (runs before it had none) and a
    temperature schedule other than the default's."""
    c = r.get("config", {})
    parts = ["warm-up" if c.get("warmupSteps", 0) else "no warm-up"]
    if c.get("straightThrough"):
        parts.append("straight-through")
    if c.get("uniformPrior"):
        parts.append("uniform prior + EM, the public code's")
    if c.get("encoderHidden", [512, 256]) != [512, 256]:
        parts.append("hidden " + "-".join(str(h) for h in c["encoderHidden"]))
    if c.get("temperatureAnnealEpochs", 100) != 100:
        parts.append(f"tau anneal {c['temperatureAnnealEpochs']} epochs")
    return ", ".join(parts)


def gmvae_variant(r):
    """GMVAE-Gumbel's readings: the images (binarised since issue 18, grey before; a config
    without the key is grey), straight-through, w_G other than 5."""
    c = r.get("config", {})
    parts = ["binarised" if c.get("binarize") else "grey"]
    if c.get("straightThrough"):
        parts.append("straight-through")
    if c.get("featureBnRelu"):
        parts.append("x̂ batch norm + ReLU")
    if c.get("jointBnRelu"):
        parts.append("decoder input batch norm + ReLU")
    if c.get("gaussianWeight", 5) != 5:
        parts.append(f"w_G {c['gaussianWeight']:g}")
    return ", ".join(parts)


def recipe(r):
    """VaDE's (or k-DVAE's initialising VaDE's) pretraining recipe, VAB's and GMVAE-Gumbel's
    variant, "" for other models."""
    c = r.get("config", {})
    if r["model"] == "vab":
        return vab_variant(r)
    if r["model"] == "gmvae_gumbel":
        return gmvae_variant(r)
    if r["benchmark"] in OLD_RULE_START:
        return recipe({**r, "benchmark": ""}) + ", least -ELBO start"
    if r["model"] not in ("vade", "kdvae"):
        return ""
    p = c.get("pretraining") or c.get("initVadePretraining")
    lr = f", lr {c['learningRate']:g}" if "learningRate" in c and r["model"] == "vade" else ""
    if not p:
        return "adam_bce, first start" + lr
    name = "dec_keras" if p["optimizer"] == "sgd_momentum" else p["optimizer"] + "_" + p["loss"]
    if r["model"] == "kdvae":
        lr += ", VaDE's clusters" if c.get("initialClusters") == "vade" else ", k-means start"
    return name + lr


def starts_table():
    """Every VaDE start recorded in bench/results: per restart the k-means ACC of the pretrained
    embedding, the restart kept (its rule in the run's selected_by: the least -ELBO before
    2026-12-05, the least k-means error since) and the VaDE's ACC at the start (labels only
    score)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = ["| result | recipe | pretraining epochs | restarts | k-means ACC (min-max) "
           "| kept by: -ELBO, ACC | best ACC of the restarts |",
           "|---|---|---|---|---|---|---|"]
    for path in sorted(glob.glob(os.path.join(here, "results", "*.json"))):
        with open(path) as f:
            r = json.load(f)
        for phase, st in sorted(r.get("starts", {}).items()):
            rows_ = st["restarts"]
            kept = rows_[st["selected"]]
            km = [100 * x["kmeans_acc"] for x in rows_]
            c = r.get("config", {})
            p = c.get("pretraining") or c.get("initVadePretraining") or {}
            rule = "k-means error" if "kmeans_sse" in kept else "least -ELBO"
            out.append(f"| `{r['benchmark']}` ({phase}) | {recipe(r)} | {p.get('epochs', '')} "
                       f"| {len(rows_)} | {min(km):.2f}-{max(km):.2f} "
                       f"| {rule}: {kept['loss']:.2f}, {100 * kept['acc']:.2f} "
                       f"| {max(100 * x['acc'] for x in rows_):.2f} |")
    return "\n".join(out)


# Groups (model, variant, dataset, split, epochs) with this many seeds or more are shown by their
# mean ± sd only, not seed by seed.
SUMMARISED = 3

BEGIN = "<!-- results:begin (python3 bench/table.py --readme) -->"
END = "<!-- results:end -->"
VAB_BEGIN = "<!-- vab-sweep:begin (python3 bench/table.py --readme) -->"
VAB_END = "<!-- vab-sweep:end -->"


def vab_sweep_table():
    """VAB over the code length d (the current model, results vab-mnist-v2-bits<d>-seed<s>) and
    the variants measured beside it at one d: per row the seeds, ACC mean ± sd, the best seed's ACC
    (chosen by labels: the paper's Table 1 "Best"), the least-loss seed's ACC (chosen by the
    objective) and PSNR; all after the last epoch, test split."""
    groups = {}
    for r in rows():
        if r["model"] != "vab" or not r["benchmark"].startswith(
                ("vab-mnist-v2-bits", "vab-mnist-uniform-", "vab-mnist-st-")):
            continue
        c = r["config"]
        groups.setdefault((c["bits"], vab_variant(r), r.get("epochs")), []).append(r)
    out = ["| d | BPP d / 784 (paper's d / 1024) | variant | epochs | seeds | ACC mean ± sd "
           "| best seed's ACC (by labels) | least-loss seed's ACC | PSNR dB, mean (min-max) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for (bits, variant, epochs), rs in sorted(groups.items(), key=lambda g: (g[0][1] != "warm-up",
                                                                           g[0][0], g[0][1])):
        acc = [100 * r["final"]["test_acc"] for r in rs]
        psnr = [r["final"]["test_psnr"] for r in rs]
        m = sum(acc) / len(acc)
        sd = (f"{(sum((a - m) ** 2 for a in acc) / (len(acc) - 1)) ** 0.5:.2f}" if len(acc) > 1
              else "—")
        least = min(rs, key=lambda r: r["final"]["loss"])
        label = "the model (joint prior, warm-up)" if variant == "warm-up" else variant
        out.append(f"| {bits} | {bits / 784:.4f} ({bits / 1024:.4f}) | {label} | {epochs} "
                   f"| {len(rs)} | {m:.2f} ± {sd} | {max(acc):.2f} "
                   f"| {100 * least['final']['test_acc']:.2f} "
                   f"| {sum(psnr) / len(psnr):.2f} ({min(psnr):.2f}-{max(psnr):.2f}) |")
    return "\n".join(out)


def table():
    lines = []
    print = lines.append  # noqa: A001 - collect the rows below instead of printing them
    print("| model | dataset (split) | seed | epochs | ACC | NMI | ARI | s/epoch (train) "
          "| paper ACC | result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    found = sorted(rows(), key=lambda r: (ORDER.index(r["model"]) if r["model"] in ORDER else 99,
                                          r.get("config", {}).get("bits", 0), r["benchmark"]))
    groups = {}
    for r in found:
        if r["model"] in ("kmeans_pixels", "gmm_pixels"):
            continue
        key_model = r["model"] + (f" d={r['config']['bits']}" if r["model"] == "vab" else "")
        key_model += f" ({recipe(r)})" if recipe(r) else ""
        for split in ("all", "test"):
            if split + "_acc" in r["final"]:
                groups.setdefault((key_model, r["dataset"], split, r.get("epochs")), []).append(r)
    in_summary = {r["benchmark"] for rs in groups.values() if len(rs) >= SUMMARISED for r in rs}
    for r in found:
        if r["benchmark"] in in_summary:
            continue
        f = r["final"]
        name = r["model"] + (f" ({recipe(r)})" if recipe(r) else "")
        if r["model"] == "vab":
            bits = r["config"]["bits"]
            name = (f"vab d={bits} ({vab_variant(r)}; BPP {bits / 784:.4f}, PSNR "
                    f"{f.get('test_psnr', float('nan')):.1f} dB)")
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
    print(f"Mean ± sd over seeds (same model, variant, dataset, split and epochs; groups of"
          f" {SUMMARISED} or more seeds appear only here, each seed's figures in its result file)."
          " The seeds' ACC range shows the best seed, chosen by labels: the kind of number VAB's"
          " Table 1 reports as \"Best\", never the headline. The last column picks a seed by the"
          " training objective, as the papers' restarts do (the least mean training loss of the"
          " last epoch, labels unseen) and gives its ACC:")
    print("")
    print("| model | dataset (split) | epochs | seeds | ACC | seeds' ACC min-max | NMI | ARI "
          "| PSNR (dB) | paper ACC | least-loss seed: ACC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (model, dataset, split, epochs), rs in groups.items():
        if len(rs) < 2:
            continue
        cells = []
        for metric in ("acc", "nmi", "ari"):
            v = [100 * r["final"][f"{split}_{metric}"] for r in rs]
            m = sum(v) / len(v)
            sd = (sum((x - m) ** 2 for x in v) / (len(v) - 1)) ** 0.5
            cells.append(f"{m:.2f} ± {sd:.2f}")
            if metric == "acc":
                cells.append(f"{min(v):.2f}-{max(v):.2f}")
        psnr = [r["final"][f"{split}_psnr"] for r in rs if f"{split}_psnr" in r["final"]]
        psnr_cell = (f"{sum(psnr) / len(psnr):.2f} ({min(psnr):.2f}-{max(psnr):.2f})"
                     if psnr else "")
        base = model.split(" ")[0]
        with_loss = [r for r in rs if "loss" in r["final"]]
        picked = min(with_loss, key=lambda r: r["final"]["loss"]) if with_loss else None
        pick = (f"{picked.get('seed', picked.get('config', {}).get('seed', ''))}: "
                f"{100 * picked['final'][split + '_acc']:.2f}" if picked else "—")
        print(f"| {model} | {dataset} ({split}) | {epochs} | {len(rs)} | {' | '.join(cells)} "
              f"| {psnr_cell} | {ANCHORS.get(base, {}).get(split, '')} | {pick} |")
    print("")
    print("VaDE's starts (the GMM restarts after pretraining; labels only score them):")
    print("")
    print(starts_table())
    return "\n".join(lines)


# Fashion-MNIST's number where a paper reports one (the others report MNIST only); MNIST's where
# ANCHORS holds both.
FASHION_ANCHORS = {"vc": "71.72"}
MNIST_ANCHORS = {"vc": "98.2"}
# bench/matrix's variants per model (its `variants`), and their labels.
MATRIX_VARIANTS = {"vc": ("paper", "mlp-w2")}
MATRIX_LABELS = {"conv-w2": "conv, w2", "mlp-w2": "mlp, w2"}
MATRIX_BEGIN = "<!-- matrix:begin (python3 bench/table.py --readme) -->"
MATRIX_END = "<!-- matrix:end -->"


def matrix_table():
    """bench/matrix's runs: model x (backbone, aug) x dataset, each after its wall-clock budget;
    the last evaluated epoch's test ACC and NMI, and the evaluated epochs the budget held."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = ["| model | backbone, aug | dataset | budget | evaluated epochs (last phase) | test ACC "
           "| test NMI | s/epoch | paper ACC (paper's protocol) |",
           "|---|---|---|---|---|---|---|---|---|"]
    found = []
    for path in sorted(glob.glob(os.path.join(here, "results", "matrix-*.json"))):
        with open(path) as f:
            r = json.load(f)
        _, dataset, rest = r["benchmark"].split("-", 2)
        if dataset == "fashion":
            dataset, rest = "fashion-mnist", rest.split("-", 1)[1]
        model = r["model"]
        variant = rest[len(model) + 1:].rsplit("-b", 1)[0]
        budget = rest.rsplit("-b", 1)[1].split("-", 1)[0]
        found.append((ORDER.index(model) if model in ORDER else 99, dataset, variant != "paper",
                      variant, model, budget, r))
    # A variant whose budget ended before its first evaluated epoch has no result file: a row
    # that says so.
    have = {(t[4], t[1], t[5], t[3]) for t in found}
    for model, dataset, budget in {(t[4], t[1], t[5]) for t in found}:
        for variant in MATRIX_VARIANTS.get(model, ("paper", "conv-w2")):
            if (model, dataset, budget, variant) not in have:
                found.append((ORDER.index(model) if model in ORDER else 99, dataset,
                              variant != "paper", variant, model, budget, None))
    for _, dataset, _, variant, model, budget, r in sorted(found, key=lambda t: t[:4]):
        if r is None:
            out.append(f"| {model} | {MATRIX_LABELS.get(variant, variant)} | {dataset} "
                       f"| {budget} | none: the budget ended before the first evaluated epoch "
                       "| — | — | — | — |")
            continue
        c = r.get("config", {})
        label = (f"{c.get('backbone', 'mlp' if model != 'vc' else 'conv')}, "
                 f"{c.get('aug', 'w2' if model == 'vc' else 'none')}")
        with open(os.path.join(here, "results", r["benchmark"] + ".metrics.jsonl")) as m:
            scored = [json.loads(line) for line in m if '"test_acc"' in line]
        phase = scored[-1].get("phase", "train")
        evaluated = f"{sum(1 for e in scored if e.get('phase', 'train') == phase)} ({phase})"
        f = r["final"]
        paper = " (the paper's)" if variant == "paper" else ""
        anchor = (MNIST_ANCHORS.get(model, ANCHORS.get(model, {}).get(
            "test", ANCHORS.get(model, {}).get("all", "")))
            if dataset == "mnist" else FASHION_ANCHORS.get(model, "—"))
        out.append(f"| {model} | {label}{paper} | {dataset} "
                   f"| {budget} | {evaluated} | {100 * f['test_acc']:.2f} "
                   f"| {100 * f['test_nmi']:.2f} | {r.get('seconds_per_epoch_train', 0):.1f} "
                   f"| {anchor} |")
    return "\n".join(out)


def main(argv):
    text = table()
    if "--readme" not in argv:
        sys.stdout.write(text + "\n\n" + vab_sweep_table() + "\n\n" + matrix_table() + "\n")
        return
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
    with open(readme) as f:
        content = f.read()
    for begin, end, body in ((BEGIN, END, text), (VAB_BEGIN, VAB_END, vab_sweep_table()),
                             (MATRIX_BEGIN, MATRIX_END, matrix_table())):
        head, rest = content.split(begin, 1)
        _, tail = rest.split(end, 1)
        content = head + begin + "\n" + body + "\n" + end + tail
    with open(readme, "w") as f:
        f.write(content)


if __name__ == "__main__":
    main(sys.argv[1:])
