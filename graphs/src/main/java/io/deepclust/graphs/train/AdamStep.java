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
 * One Adam step (Kingma &amp; Ba 2015, Algorithm 1) on an explicit list of variables, built from
 * {@code tf.gradients} and {@code ApplyAdam}.
 *
 * <p>The learning rate and the bias-correction powers β₁ᵗ, β₂ᵗ are fed at every step (see {@link
 * #betaPowers}), so schedules need no graph change and a resumed run continues at the same t. The
 * moment slots are variables named {@code <var>_<name>_m} and {@code <var>_<name>_v} (name "adam"
 * for a model's main optimizer, e.g. "pretrain_adam" for a phase's own) in their own {@link Params},
 * so the model's variables stay free of optimizer state.
 */
public final class AdamStep {
  public static final float BETA1 = 0.9f;
  public static final float BETA2 = 0.999f;

  /** The optimizer's name, in its slot names {@code <var>_<name>_m}. */
  public final String name;
  public final Placeholder<TFloat32> learningRate;
  public final Placeholder<TFloat32> beta1Power;
  public final Placeholder<TFloat32> beta2Power;
  /** Runs the update of every variable (and the extra ops, e.g. batch-norm statistics). */
  public final Op step;
  /** The gradients, in the order of the variables given. */
  public final List<Output<TFloat32>> gradients;
  public final Params slots;
  public final float beta1;
  public final float beta2;
  public final float epsilon;
  /**
   * β₁, β₂ and ε as the update reads them: one named constant each ({@code <name>_beta1}, ...),
   * which a caller may feed to run the same update with another value (the cross-check's broken
   * variants do).
   */
  public final Operand<TFloat32> beta1Input;
  public final Operand<TFloat32> beta2Input;
  public final Operand<TFloat32> epsilonInput;

  /**
   * @param loss the scalar to minimise
   * @param variables what this step updates, and nothing else
   * @param extraUpdates ops to run with the step (their inputs are computed before the update)
   */
  @SuppressWarnings("unchecked")
  public AdamStep(Ops tf, String name, Operand<TFloat32> loss, List<Variable<TFloat32>> variables,
      List<String> names, List<Op> extraUpdates, float epsilon) {
    this.name = name;
    this.beta1 = BETA1;
    this.beta2 = BETA2;
    this.epsilon = epsilon;
    this.slots = new Params(tf, 0L);
    this.learningRate = tf.withName(name + "_learning_rate")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    this.beta1Power = tf.withName(name + "_beta1_power")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    this.beta2Power = tf.withName(name + "_beta2_power")
        .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    this.beta1Input = tf.withName(name + "_beta1").constant(beta1);
    this.beta2Input = tf.withName(name + "_beta2").constant(beta2);
    this.epsilonInput = tf.withName(name + "_epsilon").constant(epsilon);
    var grads = tf.gradients(loss, variables);
    this.gradients = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      gradients.add((Output<TFloat32>) (Output<?>) grads.dy(i));
    }
    // Every gradient and batch statistic is computed before any variable changes.
    List<Op> before = new ArrayList<>(extraUpdates);
    for (Output<TFloat32> g : gradients) {
      before.add(tf.identity(g));
    }
    Ops after = tf.withControlDependencies(before);
    List<Op> applies = new ArrayList<>(extraUpdates);
    for (int i = 0; i < variables.size(); i++) {
      Variable<TFloat32> v = variables.get(i);
      Shape shape = v.shape();
      var m = slots.get(names.get(i) + "_" + name + "_m", shape, Params.Init.ZEROS, false);
      var s = slots.get(names.get(i) + "_" + name + "_v", shape, Params.Init.ZEROS, false);
      applies.add(after.train.applyAdam(v, m, s, beta1Power, beta2Power, learningRate,
          beta1Input, beta2Input, epsilonInput, gradients.get(i)));
    }
    this.step = tf.withControlDependencies(applies).withName(name + "_step").noOp();
  }

  /** β₁ᵗ and β₂ᵗ for the t-th update (t counts from 1). */
  public float[] betaPowers(long t) {
    return powers(t);
  }

  /** β₁ᵗ and β₂ᵗ of the default betas (eager training's resource Adam uses the same). */
  public static float[] powers(long t) {
    return new float[] {(float) Math.pow(BETA1, t), (float) Math.pow(BETA2, t)};
  }
}
