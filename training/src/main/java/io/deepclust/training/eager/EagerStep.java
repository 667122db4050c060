package io.deepclust.training.eager;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.train.AdamStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Eager training, the way TensorFlow 2 runs a compiled step (TF-Java has no gradient tape): the
 * weights live in eager resource variables; one graph function (a {@link ConcreteFunction} built
 * from the model's own graph code on function-mode {@link Params}) takes the weights and a batch and
 * returns the loss terms, the gradients of "loss" and new batch-norm statistics; the Adam update
 * then runs eagerly ({@code ResourceApplyAdam}, the same kernel as session mode's {@code ApplyAdam},
 * with the same fed learning rate and bias powers).
 */
public final class EagerStep implements AutoCloseable {
  private final EagerSession eager;
  private final Ops tf;
  private final ConcreteFunction function;
  private final Map<String, Shape> shapes;
  private final List<String> trainable;
  private final List<String> statistics;
  private final List<String> terms;
  private final Map<String, Operand<?>> handles = new LinkedHashMap<>();
  private final Map<String, Operand<?>> slotsM = new LinkedHashMap<>();
  private final Map<String, Operand<?>> slotsV = new LinkedHashMap<>();
  /** Adam's fixed scalars, made once in the eager session. */
  private final Operand<TFloat32> beta1;
  private final Operand<TFloat32> beta2;
  private final Operand<TFloat32> epsilonConstant;

  /**
   * Compiles the step and creates the variables at the seed's initial values (those a session
   * graph of the same model draws) and zero Adam slots.
   */
  public EagerStep(StepGraph graph, long seed, float epsilon) {
    this(graph, seed, epsilon, null);
  }

  /**
   * As {@link #EagerStep(StepGraph, long, float)}, training only the weights named in {@code
   * trainableSubset} (null: every trainable weight), e.g. VaDE's autoencoder in pretraining.
   */
  public EagerStep(StepGraph graph, long seed, float epsilon,
      java.util.Collection<String> trainableSubset) {
    this(graph, seed, epsilon, trainableSubset, null);
  }

  /**
   * As {@link #EagerStep(StepGraph, long, float, java.util.Collection)}, the eager session made
   * with {@code config} (thread pools, device; null: TensorFlow's defaults), as session mode's.
   */
  public EagerStep(StepGraph graph, long seed, float epsilon,
      java.util.Collection<String> trainableSubset, ConfigProto config) {
    Params[] built = new Params[1];
    List<String> termNames = new ArrayList<>();
    List<String> trainedNames = new ArrayList<>();
    function = ConcreteFunction.create(ftf -> {
      Params p = Params.function(ftf, seed);
      StepGraph.Built b = graph.build(ftf, p);
      var sig = Signature.builder().key("train_step");
      b.inputs().forEach(sig::input);
      p.inputs().forEach((n, in) -> sig.input("w_" + n, in));
      b.outputs().forEach((n, out) -> {
        sig.output(n, out);
        termNames.add(n);
      });
      List<String> trained = p.trainableNames().stream()
          .filter(n -> trainableSubset == null || trainableSubset.contains(n)).toList();
      List<Operand<TFloat32>> weights = new ArrayList<>();
      trained.forEach(n -> weights.add(p.inputs().get(n)));
      var grads = ftf.gradients(b.outputs().get("loss"), weights);
      for (int i = 0; i < weights.size(); i++) {
        sig.output("grad_" + trained.get(i), grads.dy(i));
      }
      trainedNames.addAll(trained);
      p.updates().forEach((n, v) -> sig.output("update_" + n, v));
      built[0] = p;
      return sig.build();
    });
    Params p = built[0];
    shapes = new LinkedHashMap<>(p.shapes());
    trainable = List.copyOf(trainedNames);
    statistics = List.copyOf(p.updates().keySet());
    terms = List.copyOf(termNames);
    eager = config == null ? EagerSession.create()
        : EagerSession.options().config(config).build();
    tf = Ops.create(eager);
    beta1 = tf.constant(AdamStep.BETA1);
    beta2 = tf.constant(AdamStep.BETA2);
    epsilonConstant = tf.constant(epsilon);
    String run = UUID.randomUUID().toString();
    for (var e : shapes.entrySet()) {
      var h = tf.varHandleOp(TFloat32.class, e.getValue(),
          VarHandleOp.sharedName(e.getKey() + "_" + run));
      tf.assignVariableOp(h, p.initialValue(tf, e.getKey()));
      handles.put(e.getKey(), h);
    }
    for (String n : trainable) {
      slotsM.put(n, zeros(n + "_adam_m_" + run, shapes.get(n)));
      slotsV.put(n, zeros(n + "_adam_v_" + run, shapes.get(n)));
    }
  }

  private Operand<?> zeros(String name, Shape shape) {
    var h = tf.varHandleOp(TFloat32.class, shape, VarHandleOp.sharedName(name));
    tf.assignVariableOp(h, tf.zeros(tf.constant(shape), TFloat32.class));
    return h;
  }

  /** The loss-term names the step returns, in order. */
  public List<String> terms() {
    return terms;
  }

  /**
   * One Adam step at step t (from 1) on the fed inputs (x, noise_seed, ...); returns the terms,
   * computed before the update.
   */
  public float[] step(Map<String, ? extends Tensor> feeds, float learningRate, long t) {
    Map<String, Operand<?>> in = new LinkedHashMap<>();
    feeds.forEach((n, v) -> in.put(n, constant(v)));
    handles.forEach((n, h) -> in.put("w_" + n, tf.readVariableOp(h, TFloat32.class)));
    Map<String, Operand<?>> out = function.call(tf, in);
    float[] powers = AdamStep.powers(t);
    // One constant per step for each scalar, not one per variable.
    var b1p = tf.constant(powers[0]);
    var b2p = tf.constant(powers[1]);
    var lr = tf.constant(learningRate);
    for (String n : trainable) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> grad = (Operand<TFloat32>) out.get("grad_" + n);
      tf.train.resourceApplyAdam(handles.get(n), slotsM.get(n), slotsV.get(n), b1p, b2p, lr,
          beta1, beta2, epsilonConstant, grad);
    }
    for (String n : statistics) {
      tf.assignVariableOp(handles.get(n), out.get("update_" + n));
    }
    float[] values = new float[terms.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = ((TFloat32) out.get(terms.get(i)).asTensor()).getFloat();
    }
    return values;
  }

  /** Every weight's value, by name (copies; the caller closes them). */
  public Map<String, TFloat32> weights() {
    return read(handles);
  }

  /** The Adam slots of the trainable weights, by {@code <name>_adam_m} and {@code <name>_adam_v}. */
  public Map<String, TFloat32> slots() {
    Map<String, TFloat32> out = new LinkedHashMap<>();
    slotsM.forEach((n, h) -> out.put(n + "_adam_m", copy(h)));
    slotsV.forEach((n, h) -> out.put(n + "_adam_v", copy(h)));
    return out;
  }

  /** Sets weights (by name; every one given) and, when given, Adam slots (by slot name). */
  public void assign(Map<String, ? extends TFloat32> weights, Map<String, ? extends TFloat32> slots) {
    for (var e : handles.entrySet()) {
      TFloat32 v = weights.get(e.getKey());
      if (v == null) {
        throw new IllegalArgumentException("no value for weight " + e.getKey());
      }
      tf.assignVariableOp(e.getValue(), constant(v));
    }
    if (slots != null) {
      slotsM.forEach((n, h) -> tf.assignVariableOp(h, constant(require(slots, n + "_adam_m"))));
      slotsV.forEach((n, h) -> tf.assignVariableOp(h, constant(require(slots, n + "_adam_v"))));
    }
  }

  private static TFloat32 require(Map<String, ? extends TFloat32> m, String name) {
    TFloat32 v = m.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no value for " + name);
    }
    return v;
  }

  private Map<String, TFloat32> read(Map<String, Operand<?>> hs) {
    Map<String, TFloat32> out = new LinkedHashMap<>();
    hs.forEach((n, h) -> out.put(n, copy(h)));
    return out;
  }

  private TFloat32 copy(Operand<?> handle) {
    TFloat32 t = tf.readVariableOp(handle, TFloat32.class).asTensor();
    TFloat32 c = TFloat32.tensorOf(t.shape());
    t.copyTo(c);
    return c;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Operand<?> constant(Tensor t) {
    return tf.constantOf((TType) t);
  }

  @Override
  public void close() {
    eager.close();
    function.close();
  }
}
