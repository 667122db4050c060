"""One Adam step on an explicit list of variables (mirrors graphs/.../train/AdamStep.java), and
one SGD-with-momentum step (MomentumStep.java).

Slots are variables `<var>_adam_m` and `<var>_adam_v` in their own Params, so the model's variables
stay free of optimizer state; beta powers for step t (from 1) and the learning rate are passed per
step. Gradients and batch statistics are computed before any variable changes.
"""

import numpy as np
import tensorflow as tf

from . import params as P
from .params import Params

BETA1 = np.float32(0.9)
BETA2 = np.float32(0.999)


class AdamStep(tf.Module):
    def __init__(self, variables, names, epsilon, name="adam"):
        super().__init__(name=name)
        self.variables_ = list(variables)
        self.names = list(names)
        self.epsilon = np.float32(epsilon)
        self.slots = Params(0)
        for n, v in zip(self.names, self.variables_):
            self.slots.get(n + "_adam_m", v.shape, P.ZEROS, False)
            self.slots.get(n + "_adam_v", v.shape, P.ZEROS, False)

    @staticmethod
    def beta_powers(t):
        return np.float32(float(BETA1) ** t), np.float32(float(BETA2) ** t)

    def apply(self, tape, loss, extra_updates, learning_rate, t):
        """Applies one step: gradients of `loss` recorded on `tape`, then the extra (variable,
        value) updates (their values were computed with the loss), then ApplyAdam per variable."""
        b1p, b2p = self.beta_powers(t)
        return self.apply_with_powers(tape, loss, extra_updates, np.float32(learning_rate), b1p,
                                      b2p)

    def apply_with_powers(self, tape, loss, extra_updates, learning_rate, beta1_power,
                          beta2_power):
        """As `apply`, with the learning rate and beta powers given as float32 values or tensors
        (as Java feeds them), so one tf.function serves every step."""
        grads = tape.gradient(loss, self.variables_)
        for var, value in extra_updates:
            var.assign(value)
        self.apply_gradients(grads, learning_rate, beta1_power, beta2_power)
        return grads

    def apply_gradients(self, grads, learning_rate, beta1_power, beta2_power):
        """ApplyAdam per variable with the given gradients (in the variables' order), the learning
        rate and beta powers as in `apply_with_powers`."""
        lr = tf.convert_to_tensor(learning_rate, tf.float32)
        b1p = tf.convert_to_tensor(beta1_power, tf.float32)
        b2p = tf.convert_to_tensor(beta2_power, tf.float32)
        for n, v, g in zip(self.names, self.variables_, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=v.handle, m=self.slots.all[n + "_adam_m"].handle,
                v=self.slots.all[n + "_adam_v"].handle, beta1_power=b1p, beta2_power=b2p,
                lr=lr, beta1=BETA1, beta2=BETA2, epsilon=self.epsilon, grad=g)


class MomentumStep(tf.Module):
    """SGD with momentum as Java's MomentumStep (ApplyMomentum, no Nesterov): per variable
    accum <- momentum * accum + g, var <- var - lr * accum; Keras' SGD(momentum) with a constant
    learning rate takes the same steps (its velocity is -lr * accum)."""

    def __init__(self, variables, names, momentum, name="momentum"):
        super().__init__(name=name)
        self.variables_ = list(variables)
        self.names = list(names)
        self.momentum = np.float32(momentum)
        self.slots = Params(0)
        for n, v in zip(self.names, self.variables_):
            self.slots.get(n + "_momentum", v.shape, P.ZEROS, False)

    def apply(self, tape, loss, learning_rate):
        """One step on the gradients of `loss` recorded on `tape`; returns them."""
        grads = tape.gradient(loss, self.variables_)
        lr = tf.convert_to_tensor(learning_rate, tf.float32)
        for n, v, g in zip(self.names, self.variables_, grads):
            tf.raw_ops.ResourceApplyMomentum(
                var=v.handle, accum=self.slots.all[n + "_momentum"].handle, lr=lr, grad=g,
                momentum=self.momentum, use_nesterov=False)
        return grads
