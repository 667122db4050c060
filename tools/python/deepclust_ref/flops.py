"""Analytic FLOP count of a TensorFlow graph from its ops' static shapes (bench/perf).

Counts the ops that carry almost all of a step's arithmetic, one multiply-add as 2 FLOPs:
- MatMul: 2·M·N·K; BatchMatMul(V2/V3): 2·(batch elements of the output)·M·N·K;
- Conv2D: 2·|output|·kh·kw·C_in; Conv2DBackpropInput and Conv2DBackpropFilter: 2·|out_backprop|·
  kh·kw·C_in (the same multiply-adds as the forward convolution they differentiate).
Element-wise ops, reductions and random numbers are not counted (they are O(activations), not
O(activations × fan-in)); `count` says which op types it counted and how often.

A graph with an unknown dimension on a counted op cannot be counted: `count` raises, naming the
op. Trace the function with a fixed batch first (`static_trace`).
"""

import collections

import tensorflow as tf

COUNTED = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Conv2D",
           "Conv2DBackpropInput", "Conv2DBackpropFilter")


def _dims(tensor, op):
    shape = tensor.shape
    if shape.rank is None or any(d is None for d in shape.as_list()):
        raise ValueError(f"op {op.name} ({op.type}) has a tensor of unknown shape {shape}: trace "
                         f"with a fixed batch")
    return shape.as_list()


def _prod(xs):
    out = 1
    for x in xs:
        out *= int(x)
    return out


def op_flops(op):
    """FLOPs of one op (0 for op types not counted)."""
    t = op.type
    if t == "MatMul":
        a = _dims(op.inputs[0], op)
        out = _dims(op.outputs[0], op)
        k = a[0] if op.get_attr("transpose_a") else a[1]
        return 2 * out[0] * out[1] * k
    if t in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
        a = _dims(op.inputs[0], op)
        out = _dims(op.outputs[0], op)
        k = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * _prod(out) * k
    if t == "Conv2D":
        kernel = _dims(op.inputs[1], op)
        out = _dims(op.outputs[0], op)
        return 2 * _prod(out) * kernel[0] * kernel[1] * kernel[2]
    if t == "Conv2DBackpropInput":
        kernel = _dims(op.inputs[1], op)  # input_sizes, filter, out_backprop
        grad = _dims(op.inputs[2], op)
        return 2 * _prod(grad) * kernel[0] * kernel[1] * kernel[2]
    if t == "Conv2DBackpropFilter":
        kernel = _dims(op.outputs[0], op)  # the filter's gradient, [kh, kw, in, out]
        grad = _dims(op.inputs[2], op)  # input, filter_sizes, out_backprop
        return 2 * _prod(grad) * kernel[0] * kernel[1] * kernel[2]
    return 0


def count(graph):
    """(total FLOPs, {op type: (ops, FLOPs)}) of every counted op of `graph`, including the graphs
    of the functions it calls (a tf.function's gradient may live in one)."""
    totals = collections.defaultdict(lambda: [0, 0])
    seen = set()

    def visit(g):
        for op in g.get_operations():
            f = op_flops(op)
            if op.type in COUNTED:
                totals[op.type][0] += 1
                totals[op.type][1] += f
        for name, fn in getattr(g, "_functions", {}).items():
            if name not in seen and hasattr(fn, "graph"):
                seen.add(name)
                visit(fn.graph)

    visit(graph)
    by_type = {k: tuple(v) for k, v in sorted(totals.items())}
    return sum(v[1] for v in by_type.values()), by_type


def static_trace(function, batch):
    """The graph of a `tf.function` that has an input signature, traced again with every leading
    unknown dimension of its inputs set to `batch` (so every shape in it is static)."""
    specs = []
    for s in function.input_signature:
        dims = s.shape.as_list() if s.shape.rank is not None else None
        if dims and dims[0] is None:
            dims = [batch] + dims[1:]
        specs.append(tf.TensorSpec(dims, s.dtype))
    return tf.function(function.python_function).get_concrete_function(*specs).graph
