"""Dense, batch-norm and convolution layers, MLP stacks and the image shape of a config (mirror
graphs/.../layers/Dense.java, BatchNorm.java, Conv2d.java, Mlp.java and models/ModelConfig.java)."""

import collections

import numpy as np
import tensorflow as tf

from . import params as P

BN_EPSILON = np.float32(1e-3)
BN_MOMENTUM = np.float32(0.99)


def dense(params, name, x, n_in, n_out):
    """x [B, in] -> x.W + b [B, out]; variables `name_kernel` (Glorot uniform), `name_bias` (zero)."""
    kernel = params.get(name + "_kernel", (n_in, n_out), P.GLOROT_UNIFORM, True)
    bias = params.get(name + "_bias", (n_out,), P.ZEROS, True)
    return tf.nn.bias_add(tf.linalg.matmul(x, kernel), bias)


def dense_no_bias(params, name, x, n_in, n_out):
    """As `dense` without a bias (a bias followed by batch norm is redundant)."""
    kernel = params.get(name + "_kernel", (n_in, n_out), P.GLOROT_UNIFORM, True)
    return tf.linalg.matmul(x, kernel)


def batch_norm(params, name, x, dim, training, updates):
    """y = gamma (x - mu)/sqrt(var + eps) + beta over the batch axis of [B, D].

    Training: batch mean and biased variance; the moving-average updates m <- d m + (1-d) mu are
    appended to `updates` as (variable, new value) pairs, for the caller to assign with its step.
    Inference: the moving averages.
    """
    gamma = params.get(name + "_gamma", (dim,), P.ONES, True)
    beta = params.get(name + "_beta", (dim,), P.ZEROS, True)
    moving_mean = params.get(name + "_moving_mean", (dim,), P.ZEROS, False)
    moving_var = params.get(name + "_moving_variance", (dim,), P.ONES, False)
    if training:
        mean = tf.reduce_mean(x, axis=[0])
        variance = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=[0])
        keep = np.float32(1) - BN_MOMENTUM  # Java: 1f - MOMENTUM, in float
        updates.append((moving_mean,
                        moving_mean * BN_MOMENTUM + tf.stop_gradient(mean) * keep))
        updates.append((moving_var,
                        moving_var * BN_MOMENTUM + tf.stop_gradient(variance) * keep))
    else:
        mean = moving_mean
        variance = moving_var
    scale = gamma * tf.math.rsqrt(variance + BN_EPSILON)
    return (x - mean) * scale + beta


def batched_dense(params, name, x, k, n_in, n_out):
    """K dense layers at once: x [K, B, in] -> x.W + b [K, B, out] by batched matmul; variables
    `name_kernel` [K, in, out] (Glorot uniform, fan-in/out from the last two dims) and `name_bias`
    [K, 1, out] (zero)."""
    kernel = params.get(name + "_kernel", (k, n_in, n_out), P.GLOROT_UNIFORM, True)
    bias = params.get(name + "_bias", (k, 1, n_out), P.ZEROS, True)
    return tf.linalg.matmul(x, kernel) + bias


def _tf_padding(padding):
    p = str(padding).upper()
    if p not in ("VALID", "SAME"):
        raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
    return p


def conv_out(size, k, stride, padding):
    """Output size of a convolution over `size`: SAME ceil(size / s), VALID floor((size - k) / s)
    + 1 (Conv2d.Spec.convOut)."""
    if _tf_padding(padding) == "SAME":
        return (size + stride - 1) // stride
    return (size - k) // stride + 1


def transposed_out(size, k, stride, padding):
    """Output size of a transposed convolution over `size`: SAME size * s, VALID (size - 1) * s + k
    (Conv2d.Spec.transposedOut)."""
    if _tf_padding(padding) == "SAME":
        return size * stride
    return (size - 1) * stride + k


def conv2d(params, name, x, k, c_in, c_out, stride, padding):
    """x [B, H, W, in] -> conv2d(x, W [k, k, in, out], strides [1, s, s, 1]) + b [B, H', W', out];
    variables `name_kernel` (Glorot uniform, fans times k*k) and `name_bias` [out] (zero). `padding`
    is "valid" or "same" (either case) (Conv2d.apply)."""
    kernel = params.get(name + "_kernel", (k, k, c_in, c_out), P.GLOROT_UNIFORM, True)
    bias = params.get(name + "_bias", (c_out,), P.ZEROS, True)
    return convolve(x, kernel, bias, stride, padding)


def convolve(x, kernel, bias, stride, padding):
    """`conv2d` with a given kernel [k, k, in, out] and bias [out] (Conv2d.convolve)."""
    y = tf.nn.conv2d(x, kernel, strides=[1, stride, stride, 1], padding=_tf_padding(padding))
    return tf.nn.bias_add(y, bias)


def conv2d_transpose(params, name, x, k, c_in, c_out, stride, padding):
    """x [B, h, w, in] -> the transposed convolution with W [k, k, out, in] (TensorFlow's layout) +
    b [out], [B, h', w', out] with h' = `transposed_out`(h); the batch size is read from x at run
    time, h and w from x's static shape (Conv2d.applyTransposed)."""
    kernel = params.get(name + "_kernel", (k, k, c_out, c_in), P.GLOROT_UNIFORM, True)
    bias = params.get(name + "_bias", (c_out,), P.ZEROS, True)
    return convolve_transposed(x, kernel, bias, stride, padding, name)


def convolve_transposed(x, kernel, bias, stride, padding, name="conv2d_transpose"):
    """`conv2d_transpose` with a given kernel [k, k, out, in] and bias [out]
    (Conv2d.convolveTransposed)."""
    h, w = x.shape[1], x.shape[2]
    if h is None or w is None:
        raise ValueError(f"{name}: the input's height and width must be static, got {x.shape}")
    k, c_out = kernel.shape[0], kernel.shape[2]
    batch = tf.shape(x)[:1]
    out_shape = tf.concat([batch, tf.constant([transposed_out(h, k, stride, padding),
                                               transposed_out(w, k, stride, padding), c_out],
                                              tf.int32)], 0)
    y = tf.nn.conv2d_transpose(x, kernel, out_shape, strides=[1, stride, stride, 1],
                               padding=_tf_padding(padding))
    return tf.nn.bias_add(y, bias)


def conv_stack(params, prefix, x, c_in, specs, act, transposed=False):
    """x [B, H, W, c_in] through one (transposed) convolution per spec (its `filters`, `kernel`,
    `stride`, `padding`), named prefix1 .. prefixN, each followed by `act`; returns the output and
    its channels (Conv2d.stack / transposedStack)."""
    layer = conv2d_transpose if transposed else conv2d
    for i, s in enumerate(specs):
        x = act(layer(params, "%s%d" % (prefix, i + 1), x, s.kernel, c_in, s.filters, s.stride,
                      s.padding))
        c_in = s.filters
    return x, c_in


# ---- the compact conv backbone (CompactConv.java) ----------------------------------------------
# InfoGAN's MNIST networks (Chen et al. 2016, appendix C) without batch norm, ReLU: encoder
# convolutions 4x4 stride 2 "same" to 32 and 64 filters, flattened; decoder a dense layer to
# H/4*W/4*64, reshaped, a 4x4 stride-2 transposed convolution to 32, then the model's output
# layer(s), a 4x4 stride-2 transposed convolution to C. Variables <prefix>_conv1, <prefix>_conv2,
# <prefix>_reshape, <prefix>_deconv1 and the outputs.
ConvLayer = collections.namedtuple("ConvLayer", "filters kernel stride padding")
COMPACT_ENCODER = (ConvLayer(32, 4, 2, "same"), ConvLayer(64, 4, 2, "same"))
COMPACT_DECONV = ConvLayer(32, 4, 2, "same")


def compact_conv_unsupported(input_shape):
    """Why images of input_shape cannot take the backbone, or None."""
    h, w = input_shape[0], input_shape[1]
    if h % 4 == 0 and w % 4 == 0:
        return None
    return f"the conv backbone needs a height and width that are multiples of 4, not {h}x{w}"


def compact_conv_feature_dim(input_shape):
    return input_shape[0] // 4 * (input_shape[1] // 4) * 64


def compact_conv_encoder_variables(params, prefix, input_shape):
    """Creates the encoder's variables (their order in docs/models.md)."""
    c_in = input_shape[2]
    for i, s in enumerate(COMPACT_ENCODER):
        params.get("%s_conv%d_kernel" % (prefix, i + 1), (s.kernel, s.kernel, c_in, s.filters),
                   P.GLOROT_UNIFORM, True)
        params.get("%s_conv%d_bias" % (prefix, i + 1), (s.filters,), P.ZEROS, True)
        c_in = s.filters


def compact_conv_decoder_variables(params, prefix, n_in, input_shape, outputs):
    """Creates the decoder's variables and its output layers named `outputs`."""
    f, k = compact_conv_feature_dim(input_shape), COMPACT_DECONV.kernel
    params.get(prefix + "_reshape_kernel", (n_in, f), P.GLOROT_UNIFORM, True)
    params.get(prefix + "_reshape_bias", (f,), P.ZEROS, True)
    params.get(prefix + "_deconv1_kernel", (k, k, COMPACT_DECONV.filters, 64), P.GLOROT_UNIFORM,
               True)
    params.get(prefix + "_deconv1_bias", (COMPACT_DECONV.filters,), P.ZEROS, True)
    for name in outputs:
        params.get(name + "_kernel", (k, k, input_shape[2], COMPACT_DECONV.filters),
                   P.GLOROT_UNIFORM, True)
        params.get(name + "_bias", (input_shape[2],), P.ZEROS, True)


def compact_conv_encode(params, prefix, images, input_shape, act):
    """Images [B, H, W, C] -> features [B, H/4*W/4*64] (CompactConv.encode)."""
    h, _ = conv_stack(params, prefix + "_conv", images, input_shape[2], COMPACT_ENCODER, act)
    return tf.reshape(h, [-1, compact_conv_feature_dim(input_shape)])


def compact_conv_decode(params, prefix, rows, input_shape, act):
    """Rows [N, n] -> the decoder's last hidden images [N, H/2, W/2, 32] (CompactConv.decode)."""
    h = act(dense(params, prefix + "_reshape", rows, int(rows.shape[-1]),
                  compact_conv_feature_dim(input_shape)))
    h = tf.reshape(h, [-1, input_shape[0] // 4, input_shape[1] // 4, 64])
    out, _ = conv_stack(params, prefix + "_deconv", h, 64, (COMPACT_DECONV,), act,
                        transposed=True)
    return out


def compact_conv_output(params, name, images, input_shape):
    """The output layer `name` on the decoder's images: [N, H, W, C] (CompactConv.outputLayer)."""
    return conv2d_transpose(params, name, images, 4, COMPACT_DECONV.filters, input_shape[2], 2,
                            "same")


def _batched_conv_layer(params, name, k, size, a, b, transposed=False):
    """K kernels [size, size, a, b] and biases from `name`'s stacked variables [K, ...]; a bias is
    [b] (a convolution's out), or [a] for a transposed one ([size, size, out, in])."""
    kernel = params.get(name + "_kernel", (k, size, size, a, b), P.GLOROT_UNIFORM, True)
    bias = params.get(name + "_bias", (k, a if transposed else b), P.ZEROS, True)
    return tf.unstack(kernel, k), tf.unstack(bias, k)


def batched_compact_conv_encode(params, prefix, xk, k, input_shape, act):
    """K compact conv encoders at once (BatchedConv.encode): rows xk [K, B, H*W*C] -> [K, B, F],
    kernels [K, 4, 4, in, out] and biases [K, out]; each pair's slice runs its own ops."""
    h = [tf.reshape(rows, [-1, *input_shape]) for rows in tf.unstack(xk, k)]
    c_in = input_shape[2]
    for i, s in enumerate(COMPACT_ENCODER):
        kernels, biases = _batched_conv_layer(params, "%s_conv%d" % (prefix, i + 1), k, s.kernel,
                                              c_in, s.filters)
        h = [act(convolve(h[j], kernels[j], biases[j], s.stride, s.padding)) for j in range(k)]
        c_in = s.filters
    f = compact_conv_feature_dim(input_shape)
    return tf.stack([tf.reshape(x, [-1, f]) for x in h])


def batched_compact_conv_decode(params, prefix, hk, n_in, k, input_shape, act):
    """K compact conv decoders at once (BatchedConv.decode): hk [K, N, n_in] -> output(name), that
    output layer's values [K, N, H*W*C]."""
    f, d = compact_conv_feature_dim(input_shape), COMPACT_DECONV
    dense = act(batched_dense(params, prefix + "_reshape", hk, k, n_in, f))
    kernels, biases = _batched_conv_layer(params, prefix + "_deconv1", k, d.kernel, d.filters,
                                          COMPACT_ENCODER[-1].filters, transposed=True)
    shape = [-1, input_shape[0] // 4, input_shape[1] // 4, COMPACT_ENCODER[-1].filters]
    images = [act(convolve_transposed(tf.reshape(rows, shape), kernels[j], biases[j], d.stride,
                                      d.padding))
              for j, rows in enumerate(tf.unstack(dense, k))]
    dim = int(np.prod(input_shape))

    def output(name):
        out_k, out_b = _batched_conv_layer(params, name, k, d.kernel, input_shape[2], d.filters,
                                           transposed=True)
        return tf.stack([tf.reshape(convolve_transposed(images[j], out_k[j], out_b[j], 2, "same"),
                                    [-1, dim]) for j in range(k)])
    return output


# ---- the backbone: the image end of every encoder and decoder (Backbone.java) -------------------
MLP = "mlp"
CONV = "conv"
BACKBONES = (MLP, CONV)


def backbone_unsupported(kind, input_shape):
    """Why a config cannot take backbone `kind` for images of input_shape, or None."""
    if kind not in BACKBONES:
        return f"backbone must be one of [mlp, conv], not {kind}"
    return compact_conv_unsupported(input_shape) if kind == CONV else None


def backbone_encoded_width(kind, input_shape):
    """The width of `backbone_encode`'s rows: H*W*C, or the conv features' H/4*W/4*64."""
    return compact_conv_feature_dim(input_shape) if kind == CONV else int(np.prod(input_shape))


def backbone_encoder_layers(kind, prefix, input_shape):
    """The encoder end's layers in creation order, (name, kernel shape, bias size), for a model
    that creates its variables before its forward pass (VaDE): none for mlp, the conv kernels
    [k, k, in, out] for conv (Backbone.encoderLayers)."""
    out, c_in = [], input_shape[2]
    if kind == CONV:
        for i, s in enumerate(COMPACT_ENCODER):
            out.append(("%s_conv%d" % (prefix, i + 1), (s.kernel, s.kernel, c_in, s.filters),
                        s.filters))
            c_in = s.filters
    return out


def backbone_decoder_layers(kind, prefix, n_in, input_shape, outputs):
    """The decoder end's layers after a last hidden width n_in, ending with `outputs`: a dense
    [n_in, H*W*C] each (mlp); the reshape, the transposed convolution [k, k, out, in] and the
    transposed-convolution outputs (conv) (Backbone.decoderLayers)."""
    dim = int(np.prod(input_shape))
    if kind != CONV:
        return [(name, (n_in, dim), dim) for name in outputs]
    f, d, k = compact_conv_feature_dim(input_shape), COMPACT_DECONV, COMPACT_DECONV.kernel
    return ([(prefix + "_reshape", (n_in, f), f),
             (prefix + "_deconv1", (k, k, d.filters, COMPACT_ENCODER[-1].filters), d.filters)]
            + [(name, (k, k, input_shape[2], d.filters), input_shape[2]) for name in outputs])


def backbone_encode(params, kind, prefix, flat, input_shape, act):
    """Pixel rows [B, H*W*C] -> (the encoder's rows, their width): the pixels (mlp) or the compact
    conv net's features (conv, variables <prefix>_conv1, _conv2) (Backbone.encode)."""
    if kind != CONV:
        return flat, int(np.prod(input_shape))
    images = tf.reshape(flat, [-1, *input_shape])
    return (compact_conv_encode(params, prefix, images, input_shape, act),
            compact_conv_feature_dim(input_shape))


def backbone_encode_batched(params, kind, prefix, xk, k, input_shape, act):
    """`backbone_encode` for K pairs at once (k-DVAE): xk [K, B, H*W*C] -> (rows [K, B, width],
    width) (Backbone.encodeBatched)."""
    width = backbone_encoded_width(kind, input_shape)
    if kind != CONV:
        return xk, width
    return batched_compact_conv_encode(params, prefix, xk, k, input_shape, act), width


def backbone_decode_batched(params, kind, prefix, hk, n_in, k, input_shape, act):
    """`backbone_decode` for K pairs at once: hk [K, N, n_in] -> output(name) [K, N, H*W*C], a
    batched dense layer per output for mlp (Backbone.decodeBatched)."""
    if kind == CONV:
        return batched_compact_conv_decode(params, prefix, hk, n_in, k, input_shape, act)
    dim = int(np.prod(input_shape))
    return lambda name: batched_dense(params, name, hk, k, n_in, dim)


def backbone_decode(params, kind, prefix, h, n_in, input_shape, act):
    """The decoder's last hidden rows h [N, n_in] -> output(name): that output layer's values over
    the pixels [N, H*W*C], a dense layer (mlp) or after the compact conv decoder's layers, made once
    (conv: <prefix>_reshape, <prefix>_deconv1) (Backbone.decode)."""
    dim = int(np.prod(input_shape))
    if kind != CONV:
        return lambda name: dense(params, name, h, n_in, dim)
    images = compact_conv_decode(params, prefix, h, input_shape, act)
    return lambda name: tf.reshape(compact_conv_output(params, name, images, input_shape),
                                   [-1, dim])


def mlp(prefix, x, n_in, widths, layer):
    """x [..., n_in] through `layer(name, h, n_in, n_out)` once per width, the layers named
    prefix_1 .. prefix_n (Mlp.java); x itself when `widths` is empty."""
    h, width = x, n_in
    for i, n_out in enumerate(widths):
        h = layer("%s_%d" % (prefix, i + 1), h, width, n_out)
        width = n_out
    return h


def require(ok, message):
    """A config check: ValueError(message) unless `ok`."""
    if not ok:
        raise ValueError(message)


def check_dense_config(c):
    """The checks of a dense encoder/decoder config (VaDE's, k-DVAE's; VadeConfig.java): its
    sizes made int tuples, input_shape [H, W, C] and the hidden sizes (at least one each)
    positive, at least 2 clusters and a latent dimension."""
    for name in ("input_shape", "encoder_hidden", "decoder_hidden"):
        object.__setattr__(c, name, tuple(int(d) for d in getattr(c, name)))
    require(len(c.input_shape) == 3, "input_shape must be [H, W, C]")
    require(all(d > 0 for d in c.input_shape), "input_shape dims must be positive")
    for name in ("encoder_hidden", "decoder_hidden"):
        sizes = getattr(c, name)
        require(len(sizes) >= 1 and all(d > 0 for d in sizes), name + " must hold positive sizes")
    require(c.clusters >= 2, "clusters must be at least 2")
    require(c.latent_dim >= 1, "latent_dim must be positive")


def relu_of(dense):
    """An `mlp` layer: relu(dense(name, x)), the variable's shape giving n_in and n_out."""
    return lambda name, x, n_in, n_out: tf.nn.relu(dense(name, x))


class ImageShape:
    """What every model config's `input_shape` (H, W, C) gives (ModelConfig.java): the pixels per
    image and the reshapes between images [B, H, W, C] and rows [B, H*W*C]."""

    @property
    def input_dim(self):
        return self.input_shape[0] * self.input_shape[1] * self.input_shape[2]

    def flatten(self, images):
        return tf.reshape(images, [-1, self.input_dim])

    def to_image(self, rows):
        return tf.reshape(rows, [-1, *self.input_shape])
