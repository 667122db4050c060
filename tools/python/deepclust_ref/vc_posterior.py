"""How soft q(k|x) is, next to the posterior each lambda_recons would make (issue 19's diagnostic).

    python -m deepclust_ref.vc_posterior --run-dir RUN [--lambdas 0.5 1] [--n 1000] [--samples 4]
        [--out FILE.json]

Variational Clustering's ELBO (variational-clustering-w2.txt, Eq. 18 with the entropy term) is, per
image, sum_k q(k|x) (lambda * rec_k + KL_k) - H(q(k|x)), with rec_k = E[-log p(x|z)] under
q(z|x,k) and KL_k = KL(q(z|x,k) || p(z|k)). For fixed q(z|x,k) the q(k|x) that minimises it is

    q*_lambda(k|x) = softmax_k(-(lambda * rec_k + KL_k)),

so the entropy of q*_lambda says how hard the assignments the objective asks for are under each
reading of lambda_recons, in seconds and without training. The diagnostic loads the newest
checkpoint of a `./deepclust train --model vc` run into the Python twin and reports, for the first N
test images: the mean entropy of the encoder's q(k|x) (nats; uniform over K is ln K), the mean
entropy of q*_lambda for every lambda, and how often argmax q(k|x) = argmax q*_lambda. rec_k is
averaged over `samples` draws of z (stateless normal, seeded) per (image, k).
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import diagnostics  # noqa: E402
from . import dist  # noqa: E402
from .crosscheck import data_dir, read_idx_images  # noqa: E402
from .diagnostics import load_run  # noqa: E402
from .vc import MODEL, Vc, VcConfig  # noqa: E402


def entropy(log_probs):
    """Row entropies [N] of log-probabilities [N, K], in nats."""
    return -np.sum(np.exp(log_probs) * log_probs, axis=1)


def implied_log_posterior(rec, kl, lam):
    """log softmax_k(-(lam * rec_k + KL_k)) [N, K] from per-cluster terms rec, kl [N, K]."""
    a = -(lam * np.asarray(rec, np.float64) + np.asarray(kl, np.float64))
    a = a - a.max(axis=1, keepdims=True)
    return a - np.log(np.sum(np.exp(a), axis=1, keepdims=True))


def per_cluster_terms(model, x, samples, seed):
    """(log q(k|x) [N, K], rec_k [N, K] averaged over `samples` draws of z, KL_k [N, K])."""
    c = model.config
    q = model.posterior(x)
    prior_mean, prior_sd = model.p_z_given_k(model._eye())
    kl = dist.diagonal_gaussian_kl(q["mean"], q["sd"], tf.expand_dims(prior_mean, 0),
                                   tf.expand_dims(prior_sd, 0))
    rec = 0.0
    for s in range(samples):
        eps = model.noise(tf.shape(x)[0], tf.constant([seed, s + 1], tf.int64))
        z = tf.reshape(q["mean"] + q["sd"] * eps, [-1, c.latent_dim])
        rec += model.reconstruction_per_cluster(model.p_x_given_z(z), x)
    return q["log_probs"].numpy(), (rec / samples).numpy(), kl.numpy()


def diagnose(run_dir, lambdas=(0.5, 1.0), n=1000, samples=4, seed=1, batch=50, data=None):
    model, run, step = load_run(run_dir, MODEL, lambda c: Vc(VcConfig.from_json(c)))
    images = read_idx_images(os.path.join(data or data_dir(), run.get("dataset", "mnist"),
                                          "t10k-images-idx3-ubyte"), n)
    log_q, rec, kl = [], [], []
    for start in range(0, n, batch):
        a, b, c = per_cluster_terms(model, tf.constant(images[start:start + batch]), samples,
                                    seed)
        log_q.append(a)
        rec.append(b)
        kl.append(c)
    log_q, rec, kl = np.concatenate(log_q), np.concatenate(rec), np.concatenate(kl)
    out = {"run_dir": run_dir, "checkpoint_step": step, "images": n, "samples": samples,
           "uniform_entropy": float(np.log(model.config.clusters)),
           "q_entropy": float(np.mean(entropy(log_q))), "implied": {}}
    for lam in lambdas:
        implied = implied_log_posterior(rec, kl, lam)
        out["implied"][str(lam)] = {
            "entropy": float(np.mean(entropy(implied))),
            "argmax_agreement": float(np.mean(np.argmax(implied, 1) == np.argmax(log_q, 1)))}
    return out


def main(argv=None):
    def add_arguments(ap):
        ap.add_argument("--lambdas", type=float, nargs="+", default=[0.5, 1.0])
        ap.add_argument("--n", type=int, default=1000, help="test images (default %(default)s)")
        ap.add_argument("--samples", type=int, default=4, help="z draws per (image, k)")

    return diagnostics.main(
        argv, "python -m deepclust_ref.vc_posterior", __doc__, add_arguments,
        lambda args: diagnose(args.run_dir, tuple(args.lambdas), args.n, args.samples))


if __name__ == "__main__":
    sys.exit(main())
