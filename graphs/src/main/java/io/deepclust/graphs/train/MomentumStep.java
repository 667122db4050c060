package io.deepclust.graphs.train;

import io.deepclust.graphs.Params;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * One step of SGD with (heavy-ball) momentum on an explicit list of variables, built from {@code
 * tf.gradients} and {@code ApplyMomentum}: a ← μ·a + g, w ← w − η·a. At a constant learning rate
 * this is Keras' {@code SGD(lr, momentum)} (v ← μ·v − η·g, w ← w + v, with v = −η·a), the
 * optimizer of DEC-keras's autoencoder pretraining.
 *
 * <p>The learning rate is fed at every step; the accumulators are variables named {@code
 * <var>_<name>_momentum} in their own {@link Params}, so checkpoints carry them as they carry Adam's
 * slots.
 */
public final class MomentumStep {
  public final String name;
  public final Placeholder<TFloat32> learningRate;
  public final float momentum;
  /** Runs the update of every variable. */
  public final Op step;
  /** The gradients, in the order of the variables given. */
  public final List<Output<TFloat32>> gradients;
  public final Params slots;

  @SuppressWarnings("unchecked")
  public MomentumStep(Ops tf, String name, Operand<TFloat32> loss,
      List<Variable<TFloat32>> variables, List<String> names, float momentum) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    this.name = name;
    this.momentum = momentum;
    this.slots = new Params(tf, 0L);
    this.learningRate = tf.withName(name + "_learning_rate")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    var mu = tf.withName(name + "_momentum").constant(momentum);
    var grads = tf.gradients(loss, variables);
    this.gradients = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      gradients.add((Output<TFloat32>) (Output<?>) grads.dy(i));
    }
    // Every gradient is computed before any variable changes.
    List<Op> before = new ArrayList<>();
    for (Output<TFloat32> g : gradients) {
      before.add(tf.identity(g));
    }
    Ops after = tf.withControlDependencies(before);
    List<Op> applies = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      Variable<TFloat32> v = variables.get(i);
      var accumulator = slots.get(names.get(i) + "_" + name + "_momentum", v.shape(),
          Params.Init.ZEROS, false);
      applies.add(after.train.applyMomentum(v, accumulator, learningRate, gradients.get(i), mu));
    }
    this.step = tf.withControlDependencies(applies).withName(name + "_step").noOp();
  }
}
