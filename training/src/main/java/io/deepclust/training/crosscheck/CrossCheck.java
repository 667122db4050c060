package io.deepclust.training.crosscheck;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Contract;
import io.deepclust.training.crosscheck.NamedTensors.Entry;
import io.deepclust.training.train.CrossCheckable;
import io.deepclust.training.train.Models;
import io.deepclust.training.train.TrainingModel;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;

/**
 * The Java side of the cross-check (docs/crosscheck.md), for any model whose training graph is
 * {@link CrossCheckable}: reads the reference directory the Python reference wrote, loads its
 * initial weights into the Java graph by name, and compares initial weights, forward outputs and
 * loss terms, gradients, the weights after T optimizer steps, and the Python SavedModel loaded by
 * the {@code inference} module; then exports the Java model and writes its outputs for the Python
 * side to check.
 */
public final class CrossCheck {
  public static final double FORWARD = 1e-5;
  public static final double GRADIENT = 1e-4;
  public static final double TRAINING = 1e-4;
  public static final double SAVEDMODEL = 1e-6;

  private final Path ref;
  private final UnaryOperator<JsonObject> variant;
  private final List<Comparison> rows = new ArrayList<>();
  private String model;

  public CrossCheck(Path ref) {
    this(ref, UnaryOperator.identity());
  }

  /**
   * A check of a deliberately changed Java model: {@code variant} alters the reference's config
   * (JSON) before the Java graph is built (tests use it to prove that the check can fail).
   */
  public CrossCheck(Path ref, UnaryOperator<JsonObject> variant) {
    this.ref = ref;
    this.variant = variant;
  }

  /** Runs every check, printing rows as they come; returns them. */
  public List<Comparison> run(PrintStream out) {
    JsonObject manifest = readJson(ref.resolve("manifest.json"));
    model = manifest.get("model").getAsString();
    JsonObject config = variant.apply(manifest.getAsJsonObject("config").deepCopy());
    int batch = manifest.get("batch_size").getAsInt();
    int steps = manifest.get("steps").getAsInt();
    float temperature = manifest.get("temperature").getAsFloat();
    float learningRate = manifest.get("learning_rate").getAsFloat();
    long noiseSeed = manifest.get("noise_seed").getAsLong();
    Map<String, String> dtypes = new LinkedHashMap<>();
    manifest.getAsJsonObject("tensors").entrySet().forEach(e ->
        dtypes.put(e.getKey(), e.getValue().getAsJsonObject().get("dtype").getAsString()));
    Map<String, Entry> refs = NamedTensors.read(ref.resolve("ref"), dtypes);
    Entry x = require(refs, "in__x");
    Entry xTrain = require(refs, "in__x_train");

    try (TrainingModel trainingModel = Models.open(model, config)) {
      if (!(trainingModel instanceof CrossCheckable m)) {
        throw new IllegalArgumentException("model " + model + " has no cross-check yet");
      }
      Map<String, float[]> extraInputs = new LinkedHashMap<>();
      refs.forEach((name, e) -> {
        if (name.startsWith("in__") && !name.equals("in__x") && !name.equals("in__x_train")) {
          extraInputs.put(name.substring(4), e.floats());
        }
      });
      m.crossCheckInputs(manifest, extraInputs);
      java.util.Set<String> notFromSeed = new java.util.HashSet<>();
      if (manifest.has("init_not_from_seed")) {
        manifest.getAsJsonArray("init_not_from_seed").forEach(e -> notFromSeed.add(e.getAsString()));
      }
      Map<String, TFloat32> javaInit = m.params().read(m.session());
      try {
        for (String name : m.params().variables().keySet()) {
          if (notFromSeed.contains(name)) {
            continue;
          }
          add(out, Comparison.of(model, "init (same seed)", name, values(javaInit.get(name)),
              require(refs, "init__" + name).floats(), 0.0));
        }
      } finally {
        javaInit.values().forEach(Tensor::close);
      }
      assign(m, refs, "init__");
      forwardAndGradients(out, m, refs, x, temperature, noiseSeed);
      int rowSize = x.floats().length / batch;
      for (int t = 1; t <= steps; t++) {
        float[] pixels = Arrays.copyOfRange(xTrain.floats(), (t - 1) * batch * rowSize,
            t * batch * rowSize);
        m.crossCheckStep(pixels, batch, learningRate, temperature, noiseSeed, t);
      }
      Map<String, TFloat32> trained = m.params().read(m.session());
      try {
        for (String name : m.params().variables().keySet()) {
          add(out, Comparison.of(model, "training (" + steps + " Adam steps)", name,
              values(trained.get(name)), require(refs, "trained__" + name).floats(), TRAINING));
        }
      } finally {
        trained.values().forEach(Tensor::close);
      }
      savedModels(out, trainingModel, refs, x);
    }
    return rows;
  }

  private void forwardAndGradients(PrintStream out, CrossCheckable m, Map<String, Entry> refs,
      Entry x, float temperature, long noiseSeed) {
    Map<String, Operand<?>> named = new LinkedHashMap<>(m.trainingOutputs());
    named.putAll(m.inferenceOutputs());
    List<String> names = new ArrayList<>(named.keySet());
    try (Tensor xs = x.toTensor()) {
      Session.Runner r = m.feed(m.session().runner(), (TFloat32) xs, noiseSeed, 1, temperature);
      names.forEach(n -> r.fetch(named.get(n)));
      m.gradients().forEach(r::fetch);
      try (Result result = r.run()) {
        for (int i = 0; i < names.size(); i++) {
          Entry java = Entry.of(result.get(i));
          Entry python = require(refs, "out__" + names.get(i));
          add(out, java.isFloat()
              ? Comparison.of(model, "forward", names.get(i), java.floats(), python.floats(),
                  FORWARD)
              : Comparison.of(model, "forward", names.get(i), java.longs(), python.longs()));
        }
        List<String> trainable = m.params().trainableNames();
        for (int i = 0; i < trainable.size(); i++) {
          add(out, Comparison.of(model, "gradient", trainable.get(i),
              values(result.get(names.size() + i)),
              require(refs, "grad__" + trainable.get(i)).floats(), GRADIENT));
        }
      }
    }
  }

  /** Python's export in Java's inference module; Java's export written for Python to check. */
  private void savedModels(PrintStream out, TrainingModel trained, Map<String, Entry> refs,
      Entry x) {
    float[][] rows = rowsOf(x);
    String check = "savedmodel python→java";
    try (ClusteringModel py = ClusteringModel.load(ref.resolve("python_export"))) {
      var a = py.assign(rows);
      add(out, Comparison.of(model, check, "probs", flat(a.probs()),
          require(refs, "trained_out__probs").floats(), SAVEDMODEL));
      long[] clusters = Arrays.stream(a.clusters()).asLongStream().toArray();
      add(out, Comparison.of(model, check, "cluster", clusters,
          require(refs, "trained_out__cluster").longs()));
      add(out, Comparison.of(model, check, "z", flat(py.embed(rows)),
          require(refs, "trained_out__z").floats(), SAVEDMODEL));
      add(out, Comparison.of(model, check, "x_hat", flat(py.reconstruct(rows)),
          require(refs, "trained_out__x_hat").floats(), SAVEDMODEL));
    }
    Path javaExport = ref.resolve("java_export");
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, "mnist");
    trained.export(info, javaExport);
    Map<String, Entry> outputs = new LinkedHashMap<>();
    try (ClusteringModel java = ClusteringModel.load(javaExport)) {
      var a = java.assign(rows);
      int k = a.probs()[0].length;
      outputs.put("java_out__probs", new Entry(Shape.of(rows.length, k), flat(a.probs()), null));
      outputs.put("java_out__cluster", new Entry(Shape.of(rows.length), null,
          Arrays.stream(a.clusters()).asLongStream().toArray()));
      float[][] z = java.embed(rows);
      outputs.put("java_out__z", new Entry(Shape.of(rows.length, z[0].length), flat(z), null));
      outputs.put("java_out__x_hat", new Entry(x.shape(), flat(java.reconstruct(rows)), null));
    }
    NamedTensors.write(ref.resolve("java_outputs"), outputs);
    JsonObject manifest = new JsonObject();
    manifest.addProperty("model", model);
    JsonObject tensors = new JsonObject();
    outputs.forEach((name, e) -> {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", e.isFloat() ? "float32" : "int64");
      t.add("shape", new Gson().toJsonTree(e.shape().asArray()));
      tensors.add(name, t);
    });
    manifest.add("tensors", tensors);
    try {
      Files.writeString(ref.resolve("java_outputs.json"), new Gson().toJson(manifest) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + ref.resolve("java_outputs.json"), e);
    }
  }

  private static void assign(CrossCheckable m, Map<String, Entry> refs, String prefix) {
    Map<String, Tensor> values = new LinkedHashMap<>();
    try {
      for (String name : m.params().variables().keySet()) {
        values.put(name, require(refs, prefix + name).toTensor());
      }
      m.params().assign(m.session(), values);
    } finally {
      values.values().forEach(Tensor::close);
    }
  }
  private void add(PrintStream out, Comparison c) {
    rows.add(c);
    c.print(out);
  }

  private static Entry require(Map<String, Entry> refs, String name) {
    Entry e = refs.get(name);
    if (e == null) {
      throw new IllegalArgumentException("the reference has no tensor '" + name + "'");
    }
    return e;
  }

  private static float[] values(Tensor t) {
    return Entry.of(t).floats();
  }

  private static float[][] rowsOf(Entry x) {
    int n = (int) x.shape().size(0);
    int d = x.floats().length / n;
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = Arrays.copyOfRange(x.floats(), i * d, (i + 1) * d);
    }
    return rows;
  }

  private static float[] flat(float[][] rows) {
    int d = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * d, d);
    }
    return out;
  }

  private static JsonObject readJson(Path p) {
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(p + " is missing: run the Python side first "
          + "(python -m deepclust_ref.crosscheck make)");
    }
    try {
      return new Gson().fromJson(Files.readString(p), JsonObject.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }
}
