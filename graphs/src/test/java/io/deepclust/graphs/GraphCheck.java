package io.deepclust.graphs;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Evaluates a graph function of float inputs, its value and its {@code tf.gradients} gradient, and
 * central finite differences of the same function, for tests.
 */
public final class GraphCheck implements AutoCloseable {
  private final Graph graph = new Graph();
  private final Session session;
  private final Ops tf = Ops.create(graph);
  private final List<Placeholder<TFloat32>> inputs = new ArrayList<>();
  private final List<Shape> shapes = new ArrayList<>();
  private Operand<TFloat32> output;
  private Operand<TFloat32> sum;
  private List<Output<?>> gradients;

  /** {@code build} maps (tf, input placeholders) to the output under test. */
  public GraphCheck(List<Shape> inputShapes,
      BiFunction<Ops, List<Placeholder<TFloat32>>, Operand<TFloat32>> build) {
    for (Shape s : inputShapes) {
      inputs.add(tf.placeholder(TFloat32.class, Placeholder.shape(s)));
      shapes.add(s);
    }
    output = build.apply(tf, inputs);
    sum = tf.reduceSum(output, tf.range(tf.constant(0), tf.rank(output), tf.constant(1)));
    gradients = tf.gradients(sum, inputs).dy();
    session = new Session(graph);
  }

  public Ops tf() {
    return tf;
  }

  /** The output's values, flattened. */
  public float[] value(float[]... values) {
    try (var r = feed(values).fetch(output).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size()];
      t.asRawTensor().data().asFloats().read(out);
      return out;
    }
  }

  /**
   * Whether {@code tf.gradients} found a path from input i to the output; TF-Java returns an
   * output without a live operation when there is none (e.g. through stopGradient).
   */
  public boolean hasGradientPath(int i) {
    try {
      gradients.get(i).dataType();
      return true;
    } catch (IllegalStateException | NullPointerException e) {
      return false;
    }
  }

  /** d(sum of outputs)/d(input i), flattened. */
  public float[] gradient(int i, float[]... values) {
    try (var r = feed(values).fetch(gradients.get(i)).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size()];
      t.asRawTensor().data().asFloats().read(out);
      return out;
    }
  }

  /** Central differences of the sum of outputs w.r.t. input i, step h, computed in double. */
  public double[] finiteDifference(int i, double h, float[]... values) {
    double[] out = new double[values[i].length];
    for (int j = 0; j < out.length; j++) {
      float keep = values[i][j];
      values[i][j] = (float) (keep + h);
      double plus = total(value(values));
      double hPlus = values[i][j] - keep;
      values[i][j] = (float) (keep - h);
      double minus = total(value(values));
      double hMinus = keep - values[i][j];
      values[i][j] = keep;
      out[j] = (plus - minus) / (hPlus + hMinus);
    }
    return out;
  }

  private static double total(float[] v) {
    double s = 0;
    for (float f : v) {
      s += f;
    }
    return s;
  }

  private Session.Runner feed(float[]... values) {
    Session.Runner r = session.runner();
    for (int i = 0; i < inputs.size(); i++) {
      // The runner does not own fed tensors; they are released when the graph session closes them.
      TFloat32 t = TFloat32.tensorOf(shapes.get(i), DataBuffers.of(values[i], true, false));
      opened.add(t);
      r.feed(inputs.get(i), t);
    }
    return r;
  }

  private final List<TFloat32> opened = new ArrayList<>();

  @Override
  public void close() {
    opened.forEach(TFloat32::close);
    session.close();
    graph.close();
  }
}
