"""A TF checkpoint keyed by flat variable names, for Java to read by name.

tf.train.Checkpoint keys by object path (`model/params/.../.ATTRIBUTES/VARIABLE_VALUE`), so the
writer calls SaveV2 directly: the keys in the index are exactly the flat names Java's Params uses.
"""

import numpy as np
import tensorflow as tf


def save(prefix, values):
    """Writes {name: array or variable} to `prefix`.index / `prefix`.data-00000-of-00001."""
    names = list(values)
    if not names:
        raise ValueError("nothing to save")
    for n in names:
        if "/" in n:
            raise ValueError("names are flat, no '/': " + n)
    tensors = [tf.convert_to_tensor(values[n]) for n in names]
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=tensors)
    return prefix


def save_params(prefix, params):
    """Writes every variable of a Params (or GmvaeGumbel's `params`) by its name."""
    return save(prefix, params.variables_by_name())


def names_and_shapes(prefix):
    """{name: shape} of every tensor in the checkpoint."""
    return dict(tf.train.list_variables(prefix))


def restore(prefix, names=None):
    """{name: numpy array} for `names` (default: every tensor in the checkpoint), via RestoreV2."""
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    names = sorted(dtypes) if names is None else list(names)
    missing = [n for n in names if n not in dtypes]
    if missing:
        raise KeyError(f"not in checkpoint {prefix}: {missing}")
    tensors = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names,
                                   shape_and_slices=[""] * len(names),
                                   dtypes=[dtypes[n] for n in names])
    return {n: np.asarray(t) for n, t in zip(names, tensors)}


def restore_params(prefix, params):
    """Assigns every variable of `params` from the checkpoint, by name."""
    values = restore(prefix, list(params.variables_by_name()))
    params.assign(values)
    return values
