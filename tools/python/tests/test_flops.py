"""flops.py against closed forms: a dense layer's forward and backward matmuls, a batched matmul,
a strided convolution and its two gradients, and the refusal of unknown shapes."""

import unittest

import _common  # noqa: F401  (import path)
import tensorflow as tf

from deepclust_ref import flops as F


class FlopsTest(unittest.TestCase):
    def test_dense_forward_and_gradients(self):
        b, i, o = 8, 5, 3
        w = tf.Variable(tf.ones([i, o]))

        @tf.function(input_signature=[tf.TensorSpec([None, i], tf.float32)])
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.linalg.matmul(x, w))
            return tape.gradient(loss, [x, w])

        total, by_type = F.count(F.static_trace(step, b))
        # y = xW, dL/dx = g W^T, dL/dW = x^T g: three products of 2*b*i*o each.
        self.assertEqual(total, 3 * 2 * b * i * o)
        self.assertEqual(by_type["MatMul"], (3, 3 * 2 * b * i * o))

    def test_transposed_operand_uses_the_inner_dimension(self):
        g = tf.Graph()
        with g.as_default():
            a = tf.compat.v1.placeholder(tf.float32, [7, 4])  # a^T is [4, 7]
            c = tf.compat.v1.placeholder(tf.float32, [7, 6])
            tf.linalg.matmul(a, c, transpose_a=True)  # [4, 6], inner 7
        self.assertEqual(F.count(g)[0], 2 * 4 * 6 * 7)

    def test_batched_matmul(self):
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [10, 8, 5])
            w = tf.compat.v1.placeholder(tf.float32, [10, 5, 3])
            tf.linalg.matmul(x, w)
        self.assertEqual(F.count(g)[0], 2 * 10 * 8 * 3 * 5)

    def test_convolution_and_its_gradients(self):
        b, h, c_in, c_out, k = 2, 8, 3, 4, 3
        kernel = tf.Variable(tf.ones([k, k, c_in, c_out]))

        @tf.function(input_signature=[tf.TensorSpec([None, h, h, c_in], tf.float32)])
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.conv2d(x, kernel, strides=[1, 2, 2, 1], padding="SAME")
                loss = tf.reduce_sum(y)
            return tape.gradient(loss, [x, kernel])

        total, by_type = F.count(F.static_trace(step, b))
        forward = 2 * (b * 4 * 4 * c_out) * k * k * c_in  # output 4x4 at stride 2
        self.assertEqual(by_type["Conv2D"], (1, forward))
        self.assertEqual(by_type["Conv2DBackpropInput"], (1, forward))
        self.assertEqual(by_type["Conv2DBackpropFilter"], (1, forward))
        self.assertEqual(total, 3 * forward)

    def test_unknown_batch_is_refused(self):
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 5])
            tf.linalg.matmul(x, tf.ones([5, 2]))
        with self.assertRaisesRegex(ValueError, "unknown shape"):
            F.count(g)


if __name__ == "__main__":
    unittest.main()
