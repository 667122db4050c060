"""Export of a model (GMVAE-Gumbel, VaDE, k-DVAE, Variational Clustering, VAB) to the SavedModel
contract (mirrors savedmodels/.../*Export.java and ExportDirectory.java).

The SavedModel holds the inference branch only: the model's variables (no optimizer slots), the five
common signatures (and `prior_mix` for a model that has one: vc; `compress` and `classify_bits` for
one that has them: vab, whose `prior` gives `mean` only), and assets/deepclust.json. It is
written under a temporary name beside the target and renamed into place once complete; an existing
target is replaced only then.
"""

import datetime
import json
import os
import platform
import shutil
import subprocess
import uuid

import tensorflow as tf

from . import contract as C


def optional_signatures(model):
    """The optional signatures `model` (a twin or its class) exports: `prior_mix` where it has
    one, `compress` and `classify_bits` where it has `compress`."""
    return (((C.SIG_PRIOR_MIX,) if hasattr(model, "prior_mix") else ())
            + (C.VAB_SIGNATURES if hasattr(model, "compress") else ()))


def inference_outputs(model, x):
    """The model's inference branch under the contract's names {probs, cluster, z, x_hat}
    (GMVAE-Gumbel names the last two `embedding` and `reconstruction`)."""
    out = model.inference(x)
    return {C.OUT_PROBS: out["probs"], C.OUT_CLUSTER: out["cluster"],
            C.OUT_Z: out["z"] if "z" in out else out["embedding"],
            C.OUT_X_HAT: out["x_hat"] if "x_hat" in out else out["reconstruction"]}


class Serving(tf.Module):
    """The exported object: the model's variables and one tf.function per signature."""

    def __init__(self, model):
        super().__init__(name="deepclust_serving")
        self.model = model
        c = model.config
        x_spec = tf.TensorSpec([None, *c.input_shape], tf.float32, name=C.IN_X)
        z_spec = tf.TensorSpec([None, c.latent_dim], tf.float32, name=C.IN_Z)
        cluster_spec = tf.TensorSpec([None], tf.int32, name=C.IN_CLUSTER)

        def assign(x):
            out = inference_outputs(model, x)
            return {C.OUT_PROBS: out[C.OUT_PROBS], C.OUT_CLUSTER: out[C.OUT_CLUSTER]}

        def embed(x):
            return {C.OUT_Z: inference_outputs(model, x)[C.OUT_Z]}

        def reconstruct(x):
            return {C.OUT_X_HAT: inference_outputs(model, x)[C.OUT_X_HAT]}

        def decode(z, cluster):
            return {C.OUT_X_HAT: model.decode(z, cluster)}

        def prior(cluster):
            if not getattr(model, "prior_has_stddev", True):
                return {C.OUT_MEAN: model.prior(cluster)}
            mean, stddev = model.prior(cluster)
            return {C.OUT_MEAN: mean, C.OUT_STDDEV: stddev}

        self.assign = tf.function(assign, input_signature=[x_spec])
        self.embed = tf.function(embed, input_signature=[x_spec])
        self.reconstruct = tf.function(reconstruct, input_signature=[x_spec])
        self.decode = tf.function(decode, input_signature=[z_spec, cluster_spec])
        self.prior = tf.function(prior, input_signature=[cluster_spec])
        optional = optional_signatures(model)
        self.has_prior_mix = C.SIG_PRIOR_MIX in optional
        if self.has_prior_mix:
            weights_spec = tf.TensorSpec([None, c.clusters], tf.float32, name=C.IN_WEIGHTS)

            def prior_mix(weights):
                mean, stddev = model.prior_mix(weights)
                return {C.OUT_MEAN: mean, C.OUT_STDDEV: stddev}

            self.prior_mix = tf.function(prior_mix, input_signature=[weights_spec])
        self.has_bits = C.SIG_COMPRESS in optional
        if self.has_bits:
            bits_spec = tf.TensorSpec([None, c.latent_dim], tf.uint8, name=C.IN_BITS)

            def compress(x):
                return {C.OUT_BITS: model.compress(x)}

            def classify_bits(bits):
                out = model.classify_bits(bits)
                return {C.OUT_PROBS: out["probs"], C.OUT_CLUSTER: out["cluster"]}

            self.compress = tf.function(compress, input_signature=[x_spec])
            self.classify_bits = tf.function(classify_bits, input_signature=[bits_spec])

    def signatures(self):
        out = {C.SIG_ASSIGN: self.assign, C.SIG_EMBED: self.embed,
               C.SIG_RECONSTRUCT: self.reconstruct, C.SIG_DECODE: self.decode,
               C.SIG_PRIOR: self.prior}
        if self.has_prior_mix:
            out[C.SIG_PRIOR_MIX] = self.prior_mix
        if self.has_bits:
            out[C.SIG_COMPRESS] = self.compress
            out[C.SIG_CLASSIFY_BITS] = self.classify_bits
        return out


def asset(model, dataset, metrics=None, extra=None):
    """The deepclust.json content for `model`."""
    c = model.config
    info = {"provenance": provenance()}
    info.update(extra or {})
    info.update({
        C.JSON_CONTRACT: C.VERSION,
        C.JSON_MODEL: model.model_name,
        C.JSON_CLUSTERS: c.clusters,
        C.JSON_LATENT_DIM: c.latent_dim,
        C.JSON_INPUT_SHAPE: list(c.input_shape),
        C.JSON_LIKELIHOOD: getattr(c, "likelihood", "bernoulli"),
        C.JSON_MADE_BY: "python",
        C.JSON_DATASET: dataset,
        C.JSON_CONFIG: c.to_json(),
        C.JSON_METRICS: dict(metrics or {}),
    })
    return info


def export(model, path, dataset, metrics=None, extra=None):
    """Writes `model` as a contract SavedModel at `path`; returns the absolute path."""
    target = os.path.abspath(path)
    parent, base = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{base}.tmp-{uuid.uuid4().hex}")
    old = os.path.join(parent, f".{base}.old-{uuid.uuid4().hex}")
    try:
        serving = Serving(model)
        tf.saved_model.save(serving, tmp, signatures=serving.signatures())
        write_asset(tmp, asset(model, dataset, metrics, extra))
        if os.path.exists(target):
            os.rename(target, old)
        os.rename(tmp, target)
        if os.path.exists(old):
            shutil.rmtree(old)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def provenance():
    """Where an export came from, as Java's export records it (commit, TF version, device, time)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=os.path.dirname(
            os.path.abspath(__file__)), capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "commit": commit or "unknown",
        "tensorflow": tf.__version__,
        "python": platform.python_version(),
        "device": "gpu" if tf.config.list_physical_devices("GPU") else "cpu",
        "cores": os.cpu_count(),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.machine()}",
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }


def write_asset(export_dir, info):
    assets = os.path.join(export_dir, C.ASSET_DIR)
    os.makedirs(assets, exist_ok=True)
    with open(os.path.join(assets, C.ASSET_FILE), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def read_asset(export_dir):
    with open(os.path.join(export_dir, C.ASSET_DIR, C.ASSET_FILE), encoding="utf-8") as f:
        return json.load(f)
