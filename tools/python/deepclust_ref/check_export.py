"""Checks a SavedModel (Java- or Python-made) against the contract and, for GMVAE-Gumbel,
Variational Clustering and VAB (the registry's `check_export_reference`), against this reference
run on the export's own weights.

    python -m deepclust_ref.check_export EXPORT_DIR [--batch N]

Java exports are TF1-style graph SavedModels (ref variables named by their flat names), which
tf.saved_model.load wraps as v1 signatures; their variables checkpoint is keyed by the flat names,
so the reference reads the weights straight from EXPORT_DIR/variables/variables.
"""

import argparse
import os
import sys

import numpy as np
import tensorflow as tf

from . import checkpoint
from . import contract as C
from . import registry as R
from .export import inference_outputs, read_asset

_KEYS = {C.SIG_ASSIGN: ({C.IN_X}, {C.OUT_PROBS, C.OUT_CLUSTER}),
         C.SIG_EMBED: ({C.IN_X}, {C.OUT_Z}),
         C.SIG_RECONSTRUCT: ({C.IN_X}, {C.OUT_X_HAT}),
         C.SIG_DECODE: ({C.IN_Z, C.IN_CLUSTER}, {C.OUT_X_HAT}),
         C.SIG_PRIOR: ({C.IN_CLUSTER}, {C.OUT_MEAN, C.OUT_STDDEV})}
# Checked when present; required of a model whose registry entry lists them (`signatures`).
_OPTIONAL_KEYS = {C.SIG_PRIOR_MIX: ({C.IN_WEIGHTS}, {C.OUT_MEAN, C.OUT_STDDEV}),
                  C.SIG_COMPRESS: ({C.IN_X}, {C.OUT_BITS}),
                  C.SIG_CLASSIFY_BITS: ({C.IN_BITS}, {C.OUT_PROBS, C.OUT_CLUSTER})}


def _keys(mean_only, name, keys):
    """The (inputs, outputs) `name` must have; `mean_only`: the model's `prior` (and `prior_mix`)
    give `mean` only (a Bernoulli prior has no stddev)."""
    inputs, outputs = keys
    if mean_only and name in (C.SIG_PRIOR, C.SIG_PRIOR_MIX):
        outputs = outputs - {C.OUT_STDDEV}
    return inputs, outputs


def export_weights(export_dir):
    """{flat name: value} of an export's variables. Java's TF1-style exports key them by the flat
    name; tf.saved_model.save keys them by object path, ending `<name>/.ATTRIBUTES/VARIABLE_VALUE`."""
    prefix = os.path.join(export_dir, "variables", "variables")
    suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
    keys = {}
    for key, _ in tf.train.list_variables(prefix):
        if key.endswith(suffix):
            keys[key[:-len(suffix)].split("/")[-1]] = key
        elif "/" not in key:
            keys[key] = key
    values = checkpoint.restore(prefix, list(keys.values()))
    return {name: values[key] for name, key in keys.items()}


def check(export_dir, batch=8, seed=0):
    """Returns a list of problems (empty when the export passes) and the largest differences from
    the reference, by signature output."""
    problems, diffs = [], {}
    info = read_asset(export_dir)
    missing = [k for k in C.JSON_KEYS if k not in info]
    if missing:
        problems.append(f"deepclust.json lacks {missing}")
    if info.get(C.JSON_MODEL) not in C.MODELS:
        problems.append(f"deepclust.json: model {info.get(C.JSON_MODEL)!r} is not one of "
                        f"{C.MODELS}")
    loaded = tf.saved_model.load(export_dir, tags=[C.TAG])
    spec = R.REGISTRY.get(info.get(C.JSON_MODEL))
    required = spec.signatures if spec else ()
    mean_only = spec is not None and not spec.prior_has_stddev
    for name, keys in list(_KEYS.items()) + list(_OPTIONAL_KEYS.items()):
        inputs, outputs = _keys(mean_only, name, keys)
        if name not in loaded.signatures:
            if name in _KEYS or name in required:
                problems.append(f"no signature {name}")
            continue
        sig = loaded.signatures[name]
        got_in, got_out = set(sig.structured_input_signature[1]), set(sig.structured_outputs)
        if got_in != inputs or got_out != outputs:
            problems.append(f"{name}: inputs {sorted(got_in)} outputs {sorted(got_out)}")
    if problems:
        return problems, diffs

    k, zdim, shape = info[C.JSON_CLUSTERS], info[C.JSON_LATENT_DIM], info[C.JSON_INPUT_SHAPE]
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.uniform(0, 1, (batch, *shape)).astype(np.float32))
    z = tf.constant(rng.normal(size=(batch, zdim)).astype(np.float32))
    clusters = tf.constant(rng.integers(0, k, batch).astype(np.int32))
    s = loaded.signatures
    got = {C.SIG_ASSIGN: s[C.SIG_ASSIGN](x=x), C.SIG_EMBED: s[C.SIG_EMBED](x=x),
           C.SIG_RECONSTRUCT: s[C.SIG_RECONSTRUCT](x=x),
           C.SIG_DECODE: s[C.SIG_DECODE](z=z, cluster=clusters),
           C.SIG_PRIOR: s[C.SIG_PRIOR](cluster=clusters)}
    weights = None
    if C.SIG_PRIOR_MIX in s:
        w = rng.uniform(0, 1, (batch, k))
        weights = tf.constant((w / w.sum(1, keepdims=True)).astype(np.float32))
        got[C.SIG_PRIOR_MIX] = s[C.SIG_PRIOR_MIX](weights=weights)
    bits = None
    if C.SIG_COMPRESS in s:
        got[C.SIG_COMPRESS] = s[C.SIG_COMPRESS](x=x)
        bits = got[C.SIG_COMPRESS][C.OUT_BITS]
    if C.SIG_CLASSIFY_BITS in s and bits is not None:
        got[C.SIG_CLASSIFY_BITS] = s[C.SIG_CLASSIFY_BITS](bits=bits)
    want_shapes = {(C.SIG_ASSIGN, C.OUT_PROBS): ((batch, k), tf.float32),
                   (C.SIG_ASSIGN, C.OUT_CLUSTER): ((batch,), tf.int64),
                   (C.SIG_EMBED, C.OUT_Z): ((batch, zdim), tf.float32),
                   (C.SIG_RECONSTRUCT, C.OUT_X_HAT): ((batch, *shape), tf.float32),
                   (C.SIG_DECODE, C.OUT_X_HAT): ((batch, *shape), tf.float32),
                   (C.SIG_PRIOR, C.OUT_MEAN): ((batch, zdim), tf.float32),
                   (C.SIG_PRIOR, C.OUT_STDDEV): ((batch, zdim), tf.float32)}
    if weights is not None:
        want_shapes[(C.SIG_PRIOR_MIX, C.OUT_MEAN)] = ((batch, zdim), tf.float32)
        want_shapes[(C.SIG_PRIOR_MIX, C.OUT_STDDEV)] = ((batch, zdim), tf.float32)
    if mean_only:
        for sig in (C.SIG_PRIOR, C.SIG_PRIOR_MIX):
            want_shapes.pop((sig, C.OUT_STDDEV), None)
    if bits is not None:
        want_shapes[(C.SIG_COMPRESS, C.OUT_BITS)] = ((batch, zdim), tf.uint8)
        want_shapes[(C.SIG_CLASSIFY_BITS, C.OUT_PROBS)] = ((batch, k), tf.float32)
        want_shapes[(C.SIG_CLASSIFY_BITS, C.OUT_CLUSTER)] = ((batch,), tf.int64)
    for (sig, key), (shp, dtype) in want_shapes.items():
        t = got[sig][key]
        if tuple(t.shape) != shp or t.dtype != dtype:
            problems.append(f"{sig}.{key}: {t.dtype.name}{tuple(t.shape)}, want {dtype.name}{shp}")
    if not np.allclose(got[C.SIG_ASSIGN][C.OUT_PROBS].numpy().sum(1), 1.0, atol=1e-5):
        problems.append("probs rows do not sum to 1")
    if bits is not None:
        problems += _check_bits(got)

    ref = {}
    if spec is not None and spec.check_export_reference:
        model = spec.model(spec.config.from_json(info[C.JSON_CONFIG]))
        model.params.assign(export_weights(export_dir))
        ref = reference(spec, model, x, z, clusters, weights, bits)
    for (sig, key), want in ref.items():
        d = float(np.max(np.abs(got[sig][key].numpy().astype(np.float64)
                                - want.numpy().astype(np.float64))))
        diffs[f"{sig}.{key}"] = d
        if d > 1e-5:
            problems.append(f"{sig}.{key} differs from the reference by {d:.3g}")
    return problems, diffs


def reference(spec, model, x, z, clusters, weights, bits):
    """The twin's value of every signature output, (signature, output) -> tensor, on the inputs
    fed to the export (`bits` the export's own compress output), as export.Serving computes it."""
    inf = inference_outputs(model, x)
    ref = {(C.SIG_ASSIGN, C.OUT_PROBS): inf[C.OUT_PROBS],
           (C.SIG_ASSIGN, C.OUT_CLUSTER): inf[C.OUT_CLUSTER], (C.SIG_EMBED, C.OUT_Z): inf[C.OUT_Z],
           (C.SIG_RECONSTRUCT, C.OUT_X_HAT): inf[C.OUT_X_HAT],
           (C.SIG_DECODE, C.OUT_X_HAT): model.decode(z, clusters)}
    priors = [(C.SIG_PRIOR, model.prior(clusters))]
    if C.SIG_PRIOR_MIX in spec.signatures:
        priors.append((C.SIG_PRIOR_MIX, model.prior_mix(weights)))
    for sig, prior in priors:
        if spec.prior_has_stddev:
            ref[(sig, C.OUT_MEAN)], ref[(sig, C.OUT_STDDEV)] = prior
        else:
            ref[(sig, C.OUT_MEAN)] = prior
    if C.SIG_COMPRESS in spec.signatures:
        from_bits = model.classify_bits(bits)
        ref[(C.SIG_COMPRESS, C.OUT_BITS)] = model.compress(x)
        ref[(C.SIG_CLASSIFY_BITS, C.OUT_PROBS)] = from_bits["probs"]
        ref[(C.SIG_CLASSIFY_BITS, C.OUT_CLUSTER)] = from_bits["cluster"]
    return ref


def _check_bits(got):
    """VAB: the bits are 0 or 1, and the consumer's clusters from them (classify_bits of
    compress) are the image's clusters (serving_default), with the same probabilities."""
    problems = []
    bits = got[C.SIG_COMPRESS][C.OUT_BITS].numpy()
    if not np.isin(bits, (0, 1)).all():
        problems.append("compress.bits holds values other than 0 and 1")
    from_bits, from_x = got[C.SIG_CLASSIFY_BITS], got[C.SIG_ASSIGN]
    wrong = int(np.count_nonzero(from_bits[C.OUT_CLUSTER].numpy()
                                 != from_x[C.OUT_CLUSTER].numpy()))
    if wrong:
        problems.append(f"classify_bits(compress(x)) gives other clusters than serving_default "
                        f"for {wrong} image(s)")
    d = float(np.max(np.abs(from_bits[C.OUT_PROBS].numpy() - from_x[C.OUT_PROBS].numpy())))
    if d > 1e-6:
        problems.append(f"classify_bits(compress(x)).probs differ from serving_default's by {d:.3g}")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export_dir")
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args(argv)
    problems, diffs = check(args.export_dir, args.batch)
    for k, d in diffs.items():
        print(f"max |export - reference| {k}: {d:.3g}")
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
