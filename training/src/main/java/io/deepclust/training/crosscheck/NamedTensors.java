package io.deepclust.training.crosscheck;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Float32 and int64 arrays by name, read from and written to a TF checkpoint keyed by those names
 * (RestoreV2 / SaveV2), the exchange format between the Java graphs and the Python reference.
 */
public final class NamedTensors {
  /** One array: its shape and either float or long values. */
  public record Entry(Shape shape, float[] floats, long[] longs) {
    public boolean isFloat() {
      return floats != null;
    }

    /** A new tensor with these values; the caller closes it. */
    public Tensor toTensor() {
      return isFloat() ? TFloat32.tensorOf(shape, DataBuffers.of(floats, true, false))
          : TInt64.tensorOf(shape, DataBuffers.of(longs, true, false));
    }

    static Entry of(Tensor t) {
      if (t instanceof TFloat32 f) {
        float[] v = new float[(int) t.shape().size()];
        f.asRawTensor().data().asFloats().read(v);
        return new Entry(t.shape(), v, null);
      }
      if (t instanceof TInt64 l) {
        long[] v = new long[(int) t.shape().size()];
        l.asRawTensor().data().asLongs().read(v);
        return new Entry(t.shape(), null, v);
      }
      throw new IllegalArgumentException("only float32 and int64 tensors, not " + t.dataType());
    }
  }

  private NamedTensors() {}

  /**
   * Reads {@code names} (with their dtypes: "float32" or "int64") from the checkpoint at {@code
   * prefix}; a missing file or name is an error naming it.
   */
  public static Map<String, Entry> read(Path prefix, Map<String, String> dtypes) {
    Path index = prefix.resolveSibling(prefix.getFileName() + ".index");
    if (!Files.isRegularFile(index)) {
      throw new IllegalArgumentException("no checkpoint at " + prefix + " (" + index + " missing)");
    }
    List<String> names = new ArrayList<>(dtypes.keySet());
    List<Class<? extends TType>> types = new ArrayList<>();
    for (String n : names) {
      types.add(switch (dtypes.get(n)) {
        case "float32" -> TFloat32.class;
        case "int64" -> TInt64.class;
        default -> throw new IllegalArgumentException(
            "tensor " + n + " has dtype " + dtypes.get(n) + "; only float32 and int64");
      });
    }
    Map<String, Entry> out = new LinkedHashMap<>();
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var restore = tf.train.restore(tf.constant(prefix.toString()),
          tf.constant(UTF_8, names.toArray(new String[0])), tf.constant(UTF_8, blanks(names.size())), types);
      Session.Runner r = s.runner();
      for (Operand<?> o : restore.tensors()) {
        r.fetch(o);
      }
      try (Result result = r.run()) {
        for (int i = 0; i < names.size(); i++) {
          out.put(names.get(i), Entry.of(result.get(i)));
        }
      }
    }
    return out;
  }

  /** Writes the entries to a checkpoint at {@code prefix}, keyed by their names. */
  public static void write(Path prefix, Map<String, Entry> entries) {
    List<String> names = new ArrayList<>(entries.keySet());
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Tensor> opened = new ArrayList<>();
      try {
        List<Operand<?>> values = new ArrayList<>();
        Session.Runner r = s.runner();
        for (String n : names) {
          Tensor t = entries.get(n).toTensor();
          opened.add(t);
          var ph = t instanceof TFloat32
              ? tf.placeholder(TFloat32.class) : tf.placeholder(TInt64.class);
          values.add(ph);
          r.feed(ph, t);
        }
        Operand<TString> prefixOp = tf.constant(prefix.toString());
        r.addTarget(tf.train.save(prefixOp, tf.constant(UTF_8, names.toArray(new String[0])),
            tf.constant(UTF_8, blanks(names.size())), values)).run();
      } finally {
        opened.forEach(Tensor::close);
      }
    }
  }

  private static String[] blanks(int n) {
    String[] s = new String[n];
    java.util.Arrays.fill(s, "");
    return s;
  }
}
