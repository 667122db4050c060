"""Shared set-up: makes deepclust_ref importable and quiets TF's start-up logging."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import numpy as np  # noqa: E402

from deepclust_ref import crosscheck as X  # noqa: E402
from deepclust_ref.gmvae_gumbel import GmvaeGumbel, GmvaeGumbelConfig  # noqa: E402


def assert_trained_close(test, got, want, learning_rate, steps, name):
    """Weights after `steps` eager Adam steps against the graph run's: within the cross-check's
    TRAINING_TOL of the largest weight plus 1e-3 of the farthest Adam moves a weight in those steps
    (learning_rate each). The floor is for entries whose gradient is at rounding level (a bias
    summed over a 4-image batch): Adam turns their last-bit differences into steps of a fraction
    of the learning rate, which a weight that started at 0 cannot absorb relatively (measured:
    2.6e-7 on a VC bias of 1.9e-3 after 2 steps, Intel Xeon with AVX-512 BF16)."""
    tol = X.TRAINING_TOL * np.max(np.abs(want)) + 1e-3 * learning_rate * steps
    test.assertLessEqual(np.max(np.abs(got - want)), tol, name)


def small_config(seed=3, **switches):
    """A small GMVAE-Gumbel, so a test's forward pass costs milliseconds."""
    return GmvaeGumbelConfig(seed=seed, input_shape=(4, 4, 1), clusters=3, hidden=(8, 6),
                             feature_dim=6, latent_dim=5, gaussian_weight=5.0, **switches)


def randomise_statistics(model, rng):
    """Moves gamma, beta, biases and batch-norm statistics off their initial 1/0, so a test sees
    every variable's effect."""
    for name, v in model.params.all.items():
        if name.endswith(("_bias", "_beta", "_moving_mean")):
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
        elif name.endswith(("_gamma", "_moving_variance")):
            v.assign(rng.uniform(0.5, 1.5, v.shape).astype(np.float32))


# ---- an independent numpy forward pass (float64) ---------------------------------------------


def np_softplus(a):
    return np.logaddexp(0.0, a)


def np_log_softmax(a):
    m = a.max(axis=1, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=1, keepdims=True))


def np_conv_backbone(c):
    """Whether config c has the compact conv backbone (layers.backbone_*)."""
    return getattr(c, "backbone", "mlp") == "conv"


def np_stem(w, c, flat, prefix="features"):
    """The backbone's encoder end in numpy: the pixels, or the compact conv net's two 4x4
    stride-2 "same" convolutions with ReLU, flattened."""
    if not np_conv_backbone(c):
        return flat
    import test_vc  # numpy convolutions written from their definitions
    h = np.asarray(flat, np.float64).reshape(len(flat), *c.input_shape)
    for i in (1, 2):
        h = np.maximum(test_vc.np_conv2d(h, np.asarray(w["%s_conv%d_kernel" % (prefix, i)],
                                                       np.float64),
                                         np.asarray(w["%s_conv%d_bias" % (prefix, i)],
                                                    np.float64), 2, "same"), 0.0)
    return h.reshape(len(flat), -1)


def np_head(w, c, h, name, prefix="px"):
    """The backbone's decoder end in numpy: the output layer `name` over the pixels, dense, or
    after the compact conv net's dense reshape and 4x4 stride-2 transposed convolutions."""
    w = {k: np.asarray(v, np.float64) for k, v in w.items()}
    if not np_conv_backbone(c):
        return h @ w[name + "_kernel"] + w[name + "_bias"]
    import test_vc
    height, width = c.input_shape[0] // 4, c.input_shape[1] // 4
    a = np.maximum(h @ w[prefix + "_reshape_kernel"] + w[prefix + "_reshape_bias"], 0.0)
    a = a.reshape(len(h), height, width, 64)
    a = np.maximum(test_vc.np_conv2d_transpose(a, w[prefix + "_deconv1_kernel"],
                                               w[prefix + "_deconv1_bias"], 2, "same"), 0.0)
    out = test_vc.np_conv2d_transpose(a, w[name + "_kernel"], w[name + "_bias"], 2, "same")
    return out.reshape(len(h), -1)


def np_forward(w, c, flat, training, uniform=None, eps=None, temperature=1.0):
    """GMVAE-Gumbel written again in numpy from the paper's description and the Java class."""
    w = {k: np.asarray(v, np.float64) for k, v in w.items()}

    def hidden(name, a):
        return bn_relu(name, a @ w[name + "_dense_kernel"])

    def bn_relu(name, lin):
        if training:
            mu, var = lin.mean(0), lin.var(0)  # biased variance
        else:
            mu, var = w[name + "_bn_moving_mean"], w[name + "_bn_moving_variance"]
        bn = w[name + "_bn_gamma"] * (lin - mu) / np.sqrt(var + 1e-3) + w[name + "_bn_beta"]
        return np.maximum(bn, 0.0)

    def dense(name, a):
        return a @ w[name + "_kernel"] + w[name + "_bias"]

    feature_layer = hidden if getattr(c, "feature_bn_relu", False) else dense
    feats = feature_layer("features_out",
                          hidden("features_2", hidden("features_1", np_stem(w, c, flat))))
    logits = dense("qc_logits", hidden("qc_2", hidden("qc_1", feats)))
    mu, logvar = dense("qz_mean", feats), dense("qz_logvar", feats)
    if training:
        g = -np.log(-np.log(uniform.astype(np.float64)))
        y = np.exp(np_log_softmax((logits + g) / temperature))
        z = mu + np.exp(0.5 * logvar) * eps
    else:
        y = np.eye(c.clusters)[logits.argmax(1)]
        z = mu
    joint = z @ w["px_from_z_kernel"] + y @ w["px_from_c_kernel"]
    if getattr(c, "joint_bn_relu", False):
        joint = bn_relu("px_joint", joint)
    x_logits = np_head(w, c, hidden("px_2", hidden("px_1", joint)), "px_logits")
    return {"logits": logits, "mu": mu, "logvar": logvar, "x_logits": x_logits, "y": y, "z": z}
