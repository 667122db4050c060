package io.deepclust.graphs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The variables of one model in one graph, by their flat names ({@code features_dense1_kernel}).
 *
 * <p>A model's graph builder asks for each variable by name; asking twice returns the same variable,
 * so a training branch and an inference branch of the same graph share their weights. Names are flat
 * ({@code _}-joined, no {@code /}) because TF-Java's optimizer slots and the Python reference use
 * them as checkpoint keys. Initial values are drawn with stateless random ops from the model seed and
 * a key of the variable's name ({@link #nameKey}), so a seed fixes every initial weight and the
 * order in which a builder creates its variables changes none of them.
 *
 * <p>In <b>function mode</b> ({@link #function}) the same model code builds a graph function of its
 * weights: each {@link #get} returns what a {@link WeightSource} gives for the name (eager training:
 * a read of the eager resource variable of that name) instead of a variable, and {@link #update}
 * records the new value of a statistic (batch-norm moving averages) for the caller to assign.
 */
public final class Params {
  /** How a variable starts. */
  public enum Init {
    /**
     * Glorot/Xavier uniform: U(−a, a), a = √(6 / (fan_in + fan_out)), fan_in and fan_out from the
     * last two dims (a leading axis stacks independent layers, as k-DVAE's K pairs); a rank-4
     * convolution kernel [k1, k2, a, b] multiplies both by its receptive field k1·k2, and so does
     * a rank-5 stack of K of them [K, k1, k2, a, b] (k-DVAE's pairs with the conv backbone).
     */
    GLOROT_UNIFORM,
    /**
     * U(−a, a), a = √(1 / fan_in) (fan_in as for Glorot): Keras' {@code VarianceScaling(1/3,
     * "fan_in", "uniform")}, the initialiser of DEC-keras's autoencoder (and Torch's Linear).
     */
    FAN_IN_UNIFORM,
    ZEROS,
    ONES
  }

  /** Where function-mode weights come from: an operand of the weight's shape, once per name. */
  @FunctionalInterface
  public interface WeightSource {
    Operand<TFloat32> read(String name, Shape shape);
  }

  private final Ops tf;
  private final long seed;
  private final WeightSource source;
  private final boolean functionMode;
  private final Map<String, Variable<TFloat32>> all = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> inputs = new LinkedHashMap<>();
  private final Map<String, Shape> shapes = new LinkedHashMap<>();
  private final Map<String, Init> inits = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> updates = new LinkedHashMap<>();
  private final List<String> trainable = new ArrayList<>();
  private final Map<String, Op> assignOps = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> assignInputs = new LinkedHashMap<>();

  public Params(Ops tf, long seed) {
    this(tf, seed, null);
  }

  private Params(Ops tf, long seed, WeightSource source) {
    this.tf = tf;
    this.seed = seed;
    this.source = source;
    this.functionMode = source != null;
  }

  /** Parameters of a graph function: every weight is what {@code source} gives for its name. */
  public static Params function(Ops tf, long seed, WeightSource source) {
    return new Params(tf, seed, java.util.Objects.requireNonNull(source, "source"));
  }

  public boolean isFunctionMode() {
    return functionMode;
  }

  /**
   * The weight named {@code name}, created on first request: a variable, or in function mode the
   * source's operand.
   */
  public Operand<TFloat32> get(String name, Shape shape, Init init, boolean isTrainable) {
    if (name.contains("/")) {
      throw new IllegalArgumentException("variable names are flat, no '/': " + name);
    }
    Shape existing = shapes.get(name);
    if (existing != null) {
      if (!existing.equals(shape)) {
        throw new IllegalArgumentException(
            "variable " + name + " exists with shape " + existing + ", asked " + shape);
      }
      return functionMode ? inputs.get(name) : all.get(name);
    }
    shapes.put(name, shape);
    inits.put(name, init);
    if (isTrainable) {
      trainable.add(name);
    }
    if (functionMode) {
      Operand<TFloat32> in = source.read(name, shape);
      inputs.put(name, in);
      return in;
    }
    Variable<TFloat32> v = tf.withName(name).variable(initialValue(shape, init, name));
    all.put(name, v);
    return v;
  }

  /** The variable named {@code name} (session mode). */
  public Variable<TFloat32> variable(String name) {
    Variable<TFloat32> v = all.get(name);
    if (v == null) {
      throw new IllegalArgumentException(functionMode
          ? "function-mode parameters have no variables (" + name + ")"
          : "no variable " + name + "; have " + all.keySet());
    }
    return v;
  }

  /**
   * Sets a non-trained statistic (e.g. a batch-norm moving average) to {@code value} with the
   * training step: an assign op in session mode; in function mode the value is recorded as an
   * output ({@link #updates}) and a no-op returned.
   */
  public Op update(String name, Operand<TFloat32> value) {
    if (functionMode) {
      updates.put(name, value);
      return tf.noOp();
    }
    return tf.assign(variable(name), value);
  }

  /** Function mode: the recorded new values of statistics, by name. */
  public Map<String, Operand<TFloat32>> updates() {
    return Collections.unmodifiableMap(updates);
  }

  /** Function mode: the weights' operands (the source's), by name, in creation order. */
  public Map<String, Operand<TFloat32>> inputs() {
    return Collections.unmodifiableMap(inputs);
  }

  /** Every weight's shape, by name, in creation order (both modes). */
  public Map<String, Shape> shapes() {
    return Collections.unmodifiableMap(shapes);
  }

  /**
   * The initial value of weight {@code name} as the session graph draws it (same seed, same
   * name), built with {@code ops} (e.g. an eager session's).
   */
  public Operand<TFloat32> initialValue(Ops ops, String name) {
    if (!shapes.containsKey(name)) {
      throw new IllegalArgumentException("no weight " + name);
    }
    return new Params(ops, seed).initialValue(shapes.get(name), inits.get(name), name);
  }

  /**
   * The second half of a variable's stateless seed [model seed, key]: the 64-bit FNV-1a hash of
   * its name's UTF-8 bytes (the Python reference's {@code params.name_key}).
   */
  public static long nameKey(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  private Operand<TFloat32> initialValue(Shape shape, Init init, String name) {
    Operand<TInt64> dims = tf.constant(shape);
    switch (init) {
      case ZEROS:
        return tf.zeros(dims, TFloat32.class);
      case ONES:
        return tf.ones(dims, TFloat32.class);
      case GLOROT_UNIFORM:
      case FAN_IN_UNIFORM:
        int rank = shape.numDimensions();
        // A conv kernel [k1, k2, a, b], or K of them stacked [K, k1, k2, a, b] (BatchedConv).
        long receptive = rank == 4 ? shape.size(0) * shape.size(1)
            : rank == 5 ? shape.size(1) * shape.size(2) : 1;
        long fanIn = (rank > 1 ? shape.size(rank - 2) : 1) * receptive;
        long fanOut = (rank > 1 ? shape.size(rank - 1) : shape.size(0)) * receptive;
        float limit = (float) Math.sqrt(init == Init.FAN_IN_UNIFORM ? 1.0 / fanIn
            : 6.0 / (fanIn + fanOut));
        Operand<TFloat32> u =
            tf.random.statelessRandomUniform(dims, tf.constant(new long[] {seed, nameKey(name)}));
        return tf.math.mul(tf.math.sub(tf.math.mul(u, tf.constant(2f)), tf.constant(1f)),
            tf.constant(limit));
      default:
        throw new IllegalStateException("unknown init " + init);
    }
  }

  /** The ops the variables were created with (their graph and scope). */
  public Ops ops() {
    return tf;
  }

  /** Names of the trainable variables, in creation order. */
  public List<String> trainableNames() {
    return Collections.unmodifiableList(trainable);
  }

  /** The trainable variables, in creation order. */
  public List<Variable<TFloat32>> trainableVariables() {
    List<Variable<TFloat32>> out = new ArrayList<>();
    for (String n : trainable) {
      out.add(all.get(n));
    }
    return out;
  }

  /**
   * Every variable (trainable and statistics such as batch-norm moving averages), by name (session
   * mode; empty in function mode).
   */
  public Map<String, Variable<TFloat32>> variables() {
    return Collections.unmodifiableMap(all);
  }

  /** Reads every variable's value; the caller closes the tensors. */
  public Map<String, TFloat32> read(Session session) {
    Session.Runner runner = session.runner();
    List<String> names = new ArrayList<>(all.keySet());
    for (String n : names) {
      runner.fetch(all.get(n));
    }
    Map<String, TFloat32> values = new LinkedHashMap<>();
    try (var result = runner.run()) {
      for (int i = 0; i < names.size(); i++) {
        // Result closes its tensors: copy each one out.
        TFloat32 t = (TFloat32) result.get(i);
        TFloat32 copy = TFloat32.tensorOf(t.shape());
        t.copyTo(copy);
        values.put(names.get(i), copy);
      }
    }
    return values;
  }

  /**
   * Assigns {@code values} (by name) to this model's variables in {@code session}; every variable
   * must be given, with its shape.
   */
  public void assign(Session session, Map<String, ? extends Tensor> values) {
    for (String n : all.keySet()) {
      if (!values.containsKey(n)) {
        throw new IllegalArgumentException("no value for variable " + n + "; have " + values.keySet());
      }
    }
    assignSome(session, values);
  }

  /** Assigns the variables named in {@code values} (e.g. a mixture prior after its fit). */
  public void assignSome(Session session, Map<String, ? extends Tensor> values) {
    for (String n : values.keySet()) {
      if (!all.containsKey(n)) {
        throw new IllegalArgumentException("no variable " + n + "; have " + all.keySet());
      }
    }
    Session.Runner runner = session.runner();
    for (Map.Entry<String, Variable<TFloat32>> e : all.entrySet()) {
      if (!values.containsKey(e.getKey())) {
        continue;
      }
      Tensor value = values.get(e.getKey());
      if (!(value instanceof TFloat32)) {
        throw new IllegalArgumentException("variable " + e.getKey() + " needs float32 values");
      }
      if (!value.shape().equals(e.getValue().shape())) {
        throw new IllegalArgumentException("variable " + e.getKey() + " has shape "
            + e.getValue().shape() + ", value has " + value.shape());
      }
      Placeholder<TFloat32> in = assignInputs.computeIfAbsent(e.getKey(), n ->
          tf.withName(n + "_assign_value")
              .placeholder(TFloat32.class, Placeholder.shape(e.getValue().shape())));
      Op op = assignOps.computeIfAbsent(e.getKey(), n ->
          tf.withName(n + "_assign").assign(e.getValue(), in));
      runner.feed(in, (TFloat32) value).addTarget(op);
    }
    runner.run();
  }
}
