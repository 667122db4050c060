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
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Eager training, the way TensorFlow 2 runs a compiled step (TF-Java has no gradient tape): the
 * weights and Adam slots live in eager resource variables; one graph function, built from the
 * model's own graph code on function-mode {@link Params}, reads them (by their shared names, the
 * same resources as the eager handles), computes the loss terms and the gradients of "loss",
 * applies {@code ResourceApplyAdam} to every trained weight (the same kernel as session mode's
 * {@code ApplyAdam}, with the same learning rate and bias powers), assigns the new batch-norm
 * statistics, and returns the terms as one vector. A step is one call of that function (a
 * {@code StatefulPartitionedCall}): the fed batch, the noise seed and schedule values, and one
 * vector of the learning rate and bias powers go in, the terms come out; nothing per variable
 * crosses JNI.
 *
 * <p>Inside the function, every update waits for every read of the weights (control
 * dependencies), so the terms and gradients are those of the weights before the step, as in
 * session mode; the returned terms wait for every update, so a step is complete when it returns.
 */
public final class EagerStep implements AutoCloseable {
  /** The function's input that holds {learning rate, beta1^t, beta2^t}. */
  static final String ADAM_INPUT = "adam_rate_and_powers";
  /**
   * System property: {@code ops} makes new steps call their function through TF-Java's ops
   * ({@link #callWithOps}) instead of the eager C API ({@link FunctionCall}); for comparison.
   */
  public static final String CALL_PROPERTY = "deepclust.eager.call";
  private static final String TERMS_OUTPUT = "terms";

  private final EagerSession eager;
  private final Ops tf;
  private final ConcreteFunction function;
  /** The call through the eager C API (null: through TF-Java's ops, {@link #callWithOps}). */
  private final FunctionCall call;
  private final List<String> inputOrder;
  /** Where {@link #ADAM_INPUT} sits in {@link #inputOrder}. */
  private final int adamIndex;
  private final Map<String, Shape> shapes;
  private final List<String> trainable;
  private final List<String> terms;
  private final Map<String, Operand<?>> handles = new LinkedHashMap<>();
  private final Map<String, Operand<?>> slotsM = new LinkedHashMap<>();
  private final Map<String, Operand<?>> slotsV = new LinkedHashMap<>();

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
    // Shared names unique to this step, so that two steps (or two runs) never share a resource.
    String run = UUID.randomUUID().toString();
    Params[] built = new Params[1];
    List<String> termNames = new ArrayList<>();
    List<String> trainedNames = new ArrayList<>();
    function = ConcreteFunction.create(ftf -> {
      Map<String, Operand<?>> fnHandles = new LinkedHashMap<>();
      List<Op> reads = new ArrayList<>();
      Params p = Params.function(ftf, seed, (name, shape) -> {
        var h = handle(ftf, name + "_" + run, shape);
        fnHandles.put(name, h);
        var read = ftf.readVariableOp(h, TFloat32.class);
        reads.add(read);
        return read;
      });
      StepGraph.Built b = graph.build(ftf, p);
      var sig = Signature.builder().key("train_step");
      b.inputs().forEach(sig::input);
      var adamIn = ftf.withName(ADAM_INPUT).placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(3)));
      sig.input(ADAM_INPUT, adamIn);
      List<String> trained = p.trainableNames().stream()
          .filter(n -> trainableSubset == null || trainableSubset.contains(n)).toList();
      List<Operand<TFloat32>> weights = new ArrayList<>();
      trained.forEach(n -> weights.add(p.inputs().get(n)));
      var grads = ftf.gradients(b.outputs().get("loss"), weights);
      // Updates run after every read: the terms and gradients see the weights before the step.
      Ops after = ftf.withControlDependencies(reads);
      List<Op> updates = new ArrayList<>();
      Operand<TFloat32> lr = scalar(ftf, adamIn, 0);
      Operand<TFloat32> b1p = scalar(ftf, adamIn, 1);
      Operand<TFloat32> b2p = scalar(ftf, adamIn, 2);
      Operand<TFloat32> beta1 = ftf.constant(AdamStep.BETA1);
      Operand<TFloat32> beta2 = ftf.constant(AdamStep.BETA2);
      Operand<TFloat32> eps = ftf.constant(epsilon);
      for (int i = 0; i < trained.size(); i++) {
        String n = trained.get(i);
        Shape shape = p.shapes().get(n);
        updates.add(after.train.resourceApplyAdam(fnHandles.get(n),
            handle(ftf, n + "_adam_m_" + run, shape), handle(ftf, n + "_adam_v_" + run, shape),
            b1p, b2p, lr, beta1, beta2, eps, grads.dy(i)));
      }
      p.updates().forEach((n, v) -> updates.add(after.assignVariableOp(fnHandles.get(n), v)));
      List<Operand<TFloat32>> outs = new ArrayList<>();
      b.outputs().forEach((n, out) -> {
        termNames.add(n);
        outs.add(out);
      });
      // The terms are returned once every update has run.
      var stacked = ftf.withControlDependencies(updates).withName(TERMS_OUTPUT)
          .identity(ftf.stack(outs));
      sig.output(TERMS_OUTPUT, stacked);
      trainedNames.addAll(trained);
      built[0] = p;
      return sig.build();
    });
    Params p = built[0];
    inputOrder = List.copyOf(function.signature().inputNames());
    adamIndex = inputOrder.indexOf(ADAM_INPUT);
    shapes = new LinkedHashMap<>(p.shapes());
    trainable = List.copyOf(trainedNames);
    terms = List.copyOf(termNames);
    eager = config == null ? EagerSession.create()
        : EagerSession.options().config(config).build();
    tf = Ops.create(eager);
    eager.attachFunction(function);
    boolean withOps = "ops".equals(System.getProperty(CALL_PROPERTY));
    call = FunctionCall.available() && !withOps
        ? new FunctionCall(eager, function.getDefinedName()) : null;
    for (var e : shapes.entrySet()) {
      var h = handle(tf, e.getKey() + "_" + run, e.getValue());
      tf.assignVariableOp(h, p.initialValue(tf, e.getKey()));
      handles.put(e.getKey(), h);
    }
    for (String n : trainable) {
      slotsM.put(n, zeros(n + "_adam_m_" + run, shapes.get(n)));
      slotsV.put(n, zeros(n + "_adam_v_" + run, shapes.get(n)));
    }
  }

  private static Operand<?> handle(Ops ops, String sharedName, Shape shape) {
    return ops.varHandleOp(TFloat32.class, shape, VarHandleOp.sharedName(sharedName));
  }

  private static Operand<TFloat32> scalar(Ops ops, Operand<TFloat32> vector, int i) {
    return ops.reshape(ops.slice(vector, ops.constant(new int[] {i}), ops.constant(new int[] {1})),
        ops.constant(new long[0]));
  }

  private Operand<?> zeros(String name, Shape shape) {
    var h = handle(tf, name, shape);
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
    float[] powers = AdamStep.powers(t);
    List<Tensor> inputs = new ArrayList<>(inputOrder.size());
    for (String name : inputOrder) {
      Tensor feed = feeds.get(name);
      if (feed == null && !name.equals(ADAM_INPUT)) {
        throw new IllegalArgumentException("no feed for step input " + name);
      }
      inputs.add(feed);
    }
    try (TFloat32 adam = TFloat32.vectorOf(learningRate, powers[0], powers[1])) {
      inputs.set(adamIndex, adam);
      float[] out = call == null ? callWithOps(inputs) : call.call(inputs);
      if (out.length != terms.size()) {
        throw new IllegalStateException("the step returned " + out.length + " terms, not "
            + terms.size());
      }
      return out;
    }
  }

  /**
   * The call through TF-Java's ops (a {@code Const} per input), for a TF-Java whose eager context
   * {@link FunctionCall} cannot reach. A {@code StatefulPartitionedCall} naming the function
   * attached once: TF-Java's own {@code ConcreteFunction.call} attaches it again on every call
   * (2.4 ms for GMVAE-Gumbel's step, measured). Not the function's name as an op: called so, the
   * eager runtime optimises it differently from a session (results 1 ulp apart, measured), while a
   * {@code StatefulPartitionedCall} gives session mode's numbers bit for bit.
   */
  private float[] callWithOps(List<Tensor> inputs) {
    OperationBuilder op = eager.opBuilder("StatefulPartitionedCall", "train_step",
        eager.baseScope());
    Output<?>[] args = new Output<?>[inputs.size()];
    for (int i = 0; i < args.length; i++) {
      args[i] = constant(inputs.get(i)).asOutput();
    }
    op.addInputList(args);
    op.setAttr("Tout", new DataType[] {DataType.DT_FLOAT});
    op.setAttr("f", AttrValue.newBuilder().setFunc(NameAttrList.newBuilder()
        .setName(function.getDefinedName())).build());
    // The tensor belongs to the eager operation (released with the session), as every read here.
    TFloat32 out = (TFloat32) op.build().output(0).asTensor();
    float[] values = new float[terms.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = out.getFloat(i);
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
