"""The per-step states of the cross-check (docs/crosscheck.md): the full training state before each
of the reference's T Adam steps and the gradient each step applied, from which Java takes every step
again (per-step training parity, training/.../crosscheck/PerStepCheck.java reads them)."""

import collections
import os

import numpy as np

from . import checkpoint
from .adam_step import BETA1, BETA2

STEPS_DIR = "steps"


def tensor_specs(tensors):
    """{name: {"dtype", "shape"}} of float32 and int64 arrays (the manifest's form)."""
    specs = collections.OrderedDict()
    for n, v in tensors.items():
        v = np.asarray(v)
        if v.dtype not in (np.float32, np.int64):
            raise TypeError(f"{n} has dtype {v.dtype}; only float32 and int64")
        specs[n] = {"dtype": v.dtype.name, "shape": list(v.shape)}
    return specs


def training_state(params, adam):
    """The full training state as numpy by name: every model variable (batch-norm statistics
    included) and every Adam slot (`<var>_adam_m`, `<var>_adam_v`). The step counter t is the step
    file's own `t`."""
    state = params.read()
    state.update(adam.slots.read())
    return state


class StepStates:
    """The per-step states of docs/crosscheck.md: `DIR/steps/step-NNN` for t = 1 .. T+1, each a
    name-keyed checkpoint of `t` (int64 scalar), `state__<name>` (the training state before step t;
    for t = T+1, after step T) and, for t <= T, `grad__<var>` (the gradient step t applied).
    Written as the steps run, so only one state is held in memory."""

    def __init__(self, directory):
        self.directory = directory
        self.state_specs = None
        self.gradient_specs = None
        os.makedirs(directory, exist_ok=True)

    @staticmethod
    def path(directory, t):
        return os.path.join(directory, f"step-{t:03d}")

    def write(self, t, state, grads=None):
        tensors = collections.OrderedDict(t=np.asarray(t, np.int64))
        for n, v in state.items():
            tensors["state__" + n] = np.asarray(v)
        for n, g in (grads or {}).items():
            if g is None:
                raise ValueError(f"step {t}: the loss does not depend on {n}")
            tensors["grad__" + n] = np.asarray(g)
        specs = tensor_specs(tensors)
        state_specs = {n: v for n, v in specs.items() if not n.startswith("grad__")}
        if self.state_specs is None:
            self.state_specs = state_specs
        elif state_specs != self.state_specs:
            raise ValueError(f"step {t}: the state's names or shapes changed")
        if grads:
            self.gradient_specs = {n: v for n, v in specs.items() if n.startswith("grad__")}
        checkpoint.save(self.path(self.directory, t), tensors)

    def manifest(self, steps, adam_epsilon):
        """The manifest's "per_step" entry: where the files are, their tensors, and the update's
        constants (Java's per-step gate computes Adam's step from them)."""
        return {"dir": STEPS_DIR, "files": steps + 1,
                "adam": {"beta1": float(BETA1), "beta2": float(BETA2),
                         "epsilon": float(adam_epsilon)},
                "state": self.state_specs, "gradients": self.gradient_specs}
