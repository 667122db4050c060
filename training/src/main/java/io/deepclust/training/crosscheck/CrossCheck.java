package io.deepclust.training.crosscheck;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Contract;
import io.deepclust.training.crosscheck.NamedTensors.Entry;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.train.CrossCheckable;
import io.deepclust.training.train.StepTap;
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
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * The Java side of the cross-check (docs/crosscheck.md), for any model whose training graph is
 * {@link CrossCheckable}: reads the reference directory the Python reference wrote, loads its
 * initial weights into the Java graph by name, and compares initial weights, forward outputs and
 * loss terms, gradients, the Python SavedModel loaded by the {@code inference} module, and every
 * training step taken from Python's state before it (per-step parity, the training gate); prints
 * the drift of a free-running T-step run as a figure; then exports the Java model and writes its
 * outputs for the Python side to check.
 */
public final class CrossCheck {
  public static final double FORWARD = 1e-5;
  /**
   * A gradient entry may differ from Python's by {@link #GRADIENT} of its tensor's largest entry,
   * or by {@link #GRADIENT_OF_MODEL} of the largest gradient entry of the whole model, whichever is
   * larger (docs/crosscheck.md). The second is the backward pass's rounding relative to the
   * magnitudes it carries: where the loss cancels (Variational Clustering's q(k|x), whose gradient
   * is a q-weighted difference of per-cluster losses of ~10² nats) a tensor's gradient is small
   * against them, and its rounding is not relative to its own size.
   */
  public static final double GRADIENT = 1e-4;
  public static final double GRADIENT_OF_MODEL = 1e-7;
  public static final double SAVEDMODEL = 1e-6;

  private final Path ref;
  private final Variant variant;
  private final List<Comparison> rows = new ArrayList<>();
  private String model;

  public CrossCheck(Path ref) {
    this(ref, Variant.NONE);
  }

  /**
   * A check of a deliberately changed Java model: {@code variant} alters the reference's config
   * (JSON) before the Java graph is built (tests use it to prove that the check can fail).
   */
  public CrossCheck(Path ref, UnaryOperator<JsonObject> variant) {
    this(ref, Variant.config("config changed", variant));
  }

  /** A check of the Java model changed by {@code variant} (tests, --gradient-noise). */
  public CrossCheck(Path ref, Variant variant) {
    this.ref = ref;
    this.variant = variant;
  }

  /** Runs every check, printing rows as they come; returns them. */
  public List<Comparison> run(PrintStream out) {
    JsonObject manifest = readJson(ref.resolve("manifest.json"));
    model = manifest.get("model").getAsString();
    JsonObject config = variant.config(manifest.getAsJsonObject("config").deepCopy());
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
        m.crossCheckStep(batchOf(xTrain, batch, rowSize, t), batch, learningRate, temperature,
            noiseSeed, t);
      }
      Map<String, TFloat32> trained = m.params().read(m.session());
      try {
        for (String name : m.params().variables().keySet()) {
          add(out, Comparison.info(model, "free-run drift (" + steps + " steps)", name,
              values(trained.get(name)), require(refs, "trained__" + name).floats()));
        }
      } finally {
        trained.values().forEach(Tensor::close);
      }
      savedModels(out, trainingModel, refs, x);
      new PerStepCheck(ref, variant, model, manifest, m, rows(xTrain, batch))
          .run(learningRate, temperature, noiseSeed).forEach(c -> add(out, c));
    }
    return rows;
  }

  /**
   * The gate of a gradient row as a threshold on its max rel diff (relative to the tensor's own
   * scale): see {@link #GRADIENT}. {@code modelScale} is the largest |g| of all the model's
   * gradients.
   */
  public static double gradientGate(float[] python, double modelScale) {
    double own = scale(List.of(python));
    double allowed = Math.max(GRADIENT * own, GRADIENT_OF_MODEL * modelScale);
    return own == 0 ? allowed : allowed / own;
  }

  static double scale(List<float[]> tensors) {
    double scale = 0;
    for (float[] t : tensors) {
      for (float g : t) {
        scale = Math.max(scale, Math.abs(g));
      }
    }
    return scale;
  }

  /** Step t's rows [(t−1)B, tB) of the training images, flattened. */
  static float[] batchOf(Entry xTrain, int batch, int rowSize, long t) {
    return Arrays.copyOfRange(xTrain.floats(), (int) ((t - 1) * batch * rowSize),
        (int) (t * batch * rowSize));
  }

  /** The training images and their batch geometry, for step t's batch. */
  record TrainingRows(Entry images, int batch, int rowSize) {
    float[] step(long t) {
      return batchOf(images, batch, rowSize, t);
    }
  }

  private static TrainingRows rows(Entry xTrain, int batch) {
    int n = (int) xTrain.shape().size(0);
    return new TrainingRows(xTrain, batch, xTrain.floats().length / n);
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
        List<String> trainable = m.gradientNames();
        List<float[]> python = new ArrayList<>();
        trainable.forEach(n -> python.add(require(refs, "grad__" + n).floats()));
        double modelScale = scale(python);
        for (int i = 0; i < trainable.size(); i++) {
          add(out, Comparison.of(model, "gradient", trainable.get(i),
              values(result.get(names.size() + i)), python.get(i),
              gradientGate(python.get(i), modelScale)));
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

  /** Loads the reference's weights {@code prefix + name} into Java, as the variant lays them. */
  private void assign(CrossCheckable m, Map<String, Entry> refs, String prefix) {
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, Shape> shapes = new LinkedHashMap<>();
    m.params().variables().forEach((name, v) -> {
      values.put(name, require(refs, prefix + name).floats());
      shapes.put(name, v.shape());
    });
    variant.loaded(values, shapes);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try {
      values.forEach((name, v) -> tensors.put(name,
          TFloat32.tensorOf(shapes.get(name), DataBuffers.of(v, true, false))));
      m.params().assign(m.session(), tensors);
    } finally {
      tensors.values().forEach(Tensor::close);
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

  static float[] values(Tensor t) {
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
