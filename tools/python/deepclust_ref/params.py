"""The variables of one model by their flat names (mirrors graphs/.../Params.java).

A builder asks for each variable by name; asking twice returns the same variable. Initial values are
drawn with stateless random ops from the model seed and a key of the variable's name (name_key), so the
same seed gives Java's initial weights whatever order a builder creates its variables in.
"""

import math

import numpy as np
import tensorflow as tf

GLOROT_UNIFORM = "glorot_uniform"
# U(-a, a), a = sqrt(1 / fan_in): Keras' VarianceScaling(1/3, "fan_in", "uniform") (DEC-keras).
FAN_IN_UNIFORM = "fan_in_uniform"
ZEROS = "zeros"
ONES = "ones"


def name_key(name):
    """The second half of a variable's stateless seed [model seed, key]: the 64-bit FNV-1a hash of
    its name's UTF-8 bytes, as a signed int64 (Java's Params.nameKey)."""
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h


class Params(tf.Module):
    def __init__(self, seed, name=None):
        super().__init__(name=name)
        self.seed = int(seed)
        # Insertion-ordered: the creation order is the checkpoint order (and Adam's).
        self.all = {}
        self.trainable_names = []

    def get(self, name, shape, init, trainable):
        """The variable named `name`, created on first request."""
        if "/" in name:
            raise ValueError("variable names are flat, no '/': " + name)
        shape = tuple(int(d) for d in shape)
        existing = self.all.get(name)
        if existing is not None:
            if tuple(existing.shape) != shape:
                raise ValueError(f"variable {name} exists with shape {tuple(existing.shape)}, "
                                 f"asked {shape}")
            return existing
        value = self._initial_value(shape, init, name_key(name))
        v = tf.Variable(value, name=name, trainable=trainable, dtype=tf.float32)
        self.all[name] = v
        if trainable:
            self.trainable_names.append(name)
        return v

    def _initial_value(self, shape, init, key):
        dims = tf.constant(shape, dtype=tf.int64)
        if init == ZEROS:
            return tf.zeros(dims, tf.float32)
        if init == ONES:
            return tf.ones(dims, tf.float32)
        if init in (GLOROT_UNIFORM, FAN_IN_UNIFORM):
            # Fan-in/out from the last two dims (docs/models.md), so a batched kernel [K, in, out]
            # draws each slice with the limit of an [in, out] kernel; 2-D kernels are unchanged. A
            # rank-4 convolution kernel [k1, k2, a, b] multiplies both by its receptive field
            # k1*k2 (as Keras does), so fan_in = k1*k2*a and fan_out = k1*k2*b; so does a rank-5
            # stack of K of them [K, k1, k2, a, b] (k-DVAE's pairs with the conv backbone).
            receptive = (shape[0] * shape[1] if len(shape) == 4
                         else shape[1] * shape[2] if len(shape) == 5 else 1)
            fan_in = (shape[-2] if len(shape) > 1 else 1) * receptive
            fan_out = shape[-1] * receptive
            # Java computes the limit in double, then rounds it to float.
            limit = np.float32(math.sqrt(1.0 / fan_in if init == FAN_IN_UNIFORM
                                         else 6.0 / (fan_in + fan_out)))
            u = tf.random.stateless_uniform(
                dims, seed=tf.constant([self.seed, key], tf.int64), dtype=tf.float32)
            return (u * 2.0 - 1.0) * limit
        raise ValueError("unknown init " + str(init))

    def trainable_variables_in_order(self):
        return [self.all[n] for n in self.trainable_names]

    def variables_by_name(self):
        """Every variable (trainable and batch-norm statistics), by name, in creation order."""
        return dict(self.all)

    def read(self):
        """Every variable's value as numpy, by name."""
        return {n: v.numpy() for n, v in self.all.items()}

    def assign(self, values):
        """Assigns every variable from `values` (by name); each must be given, with its shape."""
        for n in self.all:
            if n not in values:
                raise ValueError(f"no value for variable {n}; have {sorted(values)}")
        for n, v in self.all.items():
            value = np.asarray(values[n])
            if value.dtype != np.float32:
                raise ValueError(f"variable {n} needs float32 values, got {value.dtype}")
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(f"variable {n} has shape {tuple(v.shape)}, "
                                 f"value has {value.shape}")
            v.assign(value)


class Twin(tf.Module):
    """What every model twin shares (mirrors training/.../GraphModel.java's role): its config, its
    `Params` seeded by config.seed, and the variables its `_create_variables` makes in
    docs/models.md's order. Subclasses set `model_name` and add their branches."""

    model_name = None

    def __init__(self, config, name=None):
        super().__init__(name=name or self.model_name)
        self.config = config
        self.params = Params(config.seed)
        self._create_variables()

    # The variable lists are properties, not attributes: a tracked list would give the variables
    # a second object path, and the SavedModel could key them by it instead of their flat names.

    @property
    def trainable_names(self):
        """Every trained variable's name, in creation order."""
        return list(self.params.trainable_names)

    @property
    def trainable(self):
        """Every trained variable, in creation order."""
        return self.params.trainable_variables_in_order()

    def _create_variables(self):
        raise NotImplementedError
