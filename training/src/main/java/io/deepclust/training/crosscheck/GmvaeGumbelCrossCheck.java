package io.deepclust.training.crosscheck;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Contract;
import io.deepclust.savedmodels.GmvaeGumbelExport;
import io.deepclust.training.crosscheck.NamedTensors.Entry;
import io.deepclust.training.train.GmvaeGumbelTrainingGraph;
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
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The Java side of the GMVAE-Gumbel cross-check (docs/crosscheck.md): reads the reference
 * directory the Python reference wrote, loads its initial weights into the Java graph by name, and
 * compares initial weights, forward outputs and loss terms, gradients, the weights after T Adam
 * steps, and the Python SavedModel loaded by the {@code inference} module; then exports the Java
 * model and writes its outputs for the Python side to check.
 */
public final class GmvaeGumbelCrossCheck {
  public static final double FORWARD = 1e-5;
  public static final double GRADIENT = 1e-4;
  public static final double TRAINING = 1e-4;
  public static final double SAVEDMODEL = 1e-6;
  private static final String MODEL = GmvaeGumbel.MODEL;

  private final Path ref;
  private final UnaryOperator<GmvaeGumbelConfig> variant;
  private final List<Comparison> rows = new ArrayList<>();

  public GmvaeGumbelCrossCheck(Path ref) {
    this(ref, UnaryOperator.identity());
  }

  /**
   * A check of a deliberately changed Java model: {@code variant} alters the reference's config
   * before the Java graph is built (tests use it to prove that the check can fail).
   */
  public GmvaeGumbelCrossCheck(Path ref, UnaryOperator<GmvaeGumbelConfig> variant) {
    this.ref = ref;
    this.variant = variant;
  }

  /** Runs every check, printing rows as they come; returns them. */
  public List<Comparison> run(PrintStream out) {
    JsonObject manifest = readJson(ref.resolve("manifest.json"));
    GmvaeGumbelConfig config = variant.apply(new Gson().fromJson(manifest.get("config"),
        GmvaeGumbelConfig.class));
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

    try (GmvaeGumbelTrainingGraph m = new GmvaeGumbelTrainingGraph(config)) {
      Map<String, TFloat32> javaInit = m.params.read(m.session);
      try {
        for (String name : m.params.variables().keySet()) {
          add(out, Comparison.of(MODEL, "init (same seed)", name, values(javaInit.get(name)),
              require(refs, "init__" + name).floats(), 0.0));
        }
      } finally {
        javaInit.values().forEach(Tensor::close);
      }
      assign(m, refs, "init__");
      forwardAndGradients(out, m, refs, x, temperature, noiseSeed);
      for (int t = 1; t <= steps; t++) {
        int rowSize = x.floats().length / batch;
        float[] pixels = Arrays.copyOfRange(xTrain.floats(), (t - 1) * batch * rowSize,
            t * batch * rowSize);
        m.trainStep(pixels, batch, temperature, learningRate, noiseSeed, t);
      }
      Map<String, TFloat32> trained = m.params.read(m.session);
      try {
        for (String name : m.params.variables().keySet()) {
          add(out, Comparison.of(MODEL, "training (" + steps + " Adam steps)", name,
              values(trained.get(name)), require(refs, "trained__" + name).floats(), TRAINING));
        }
        savedModels(out, config, trained, refs, x);
      } finally {
        trained.values().forEach(Tensor::close);
      }
    }
    return rows;
  }

  private void forwardAndGradients(PrintStream out, GmvaeGumbelTrainingGraph m,
      Map<String, Entry> refs, Entry x, float temperature, long noiseSeed) {
    var t = m.training;
    var inf = m.inference;
    List<Operand<?>> fetches = new ArrayList<>(List.of(t.loss(), t.reconstruction(),
        t.categoricalKl(), t.gaussianKl(), t.logits(), inf.probs(), inf.embedding(),
        inf.reconstruction(), inf.cluster()));
    String[] names = {"loss", "reconstruction", "categorical_kl", "gaussian_kl", "logits", "probs",
        "z", "x_hat"};
    fetches.addAll(m.adam.gradients);
    try (Tensor xs = x.toTensor();
        TFloat32 temp = TFloat32.scalarOf(temperature);
        TInt64 seed = TInt64.vectorOf(noiseSeed, 1)) {
      Session.Runner r = m.session.runner().feed(m.x, (TFloat32) xs)
          .feed(t.temperature(), temp).feed(t.noiseSeed(), seed);
      fetches.forEach(r::fetch);
      try (Result result = r.run()) {
        for (int i = 0; i < names.length; i++) {
          add(out, Comparison.of(MODEL, "forward", names[i], values(result.get(i)),
              require(refs, "out__" + names[i]).floats(), FORWARD));
        }
        add(out, Comparison.of(MODEL, "forward", "cluster", longs(result.get(names.length)),
            require(refs, "out__cluster").longs()));
        List<String> trainable = m.params.trainableNames();
        for (int i = 0; i < trainable.size(); i++) {
          add(out, Comparison.of(MODEL, "gradient", trainable.get(i),
              values(result.get(names.length + 1 + i)),
              require(refs, "grad__" + trainable.get(i)).floats(), GRADIENT));
        }
      }
    }
  }

  /** Python's export in Java's inference module; Java's export written for Python to check. */
  private void savedModels(PrintStream out, GmvaeGumbelConfig config,
      Map<String, TFloat32> trained, Map<String, Entry> refs, Entry x) {
    float[][] rows = rowsOf(x);
    String check = "savedmodel python→java";
    try (ClusteringModel py = ClusteringModel.load(ref.resolve("python_export"))) {
      var a = py.assign(rows);
      add(out, Comparison.of(MODEL, check, "probs", flat(a.probs()),
          require(refs, "trained_out__probs").floats(), SAVEDMODEL));
      long[] clusters = Arrays.stream(a.clusters()).asLongStream().toArray();
      add(out, Comparison.of(MODEL, check, "cluster", clusters,
          require(refs, "trained_out__cluster").longs()));
      add(out, Comparison.of(MODEL, check, "z", flat(py.embed(rows)),
          require(refs, "trained_out__z").floats(), SAVEDMODEL));
      add(out, Comparison.of(MODEL, check, "x_hat", flat(py.reconstruct(rows)),
          require(refs, "trained_out__x_hat").floats(), SAVEDMODEL));
    }
    Path javaExport = ref.resolve("java_export");
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, "mnist");
    GmvaeGumbelExport.export(config, trained, info, javaExport);
    Map<String, Entry> outputs = new LinkedHashMap<>();
    try (ClusteringModel java = ClusteringModel.load(javaExport)) {
      var a = java.assign(rows);
      int k = a.probs()[0].length;
      outputs.put("java_out__probs", new Entry(org.tensorflow.ndarray.Shape.of(rows.length, k),
          flat(a.probs()), null));
      outputs.put("java_out__cluster", new Entry(org.tensorflow.ndarray.Shape.of(rows.length),
          null, Arrays.stream(a.clusters()).asLongStream().toArray()));
      float[][] z = java.embed(rows);
      outputs.put("java_out__z", new Entry(org.tensorflow.ndarray.Shape.of(rows.length,
          z[0].length), flat(z), null));
      outputs.put("java_out__x_hat", new Entry(x.shape(), flat(java.reconstruct(rows)), null));
    }
    NamedTensors.write(ref.resolve("java_outputs"), outputs);
    JsonObject manifest = new JsonObject();
    manifest.addProperty("model", MODEL);
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

  private static void assign(GmvaeGumbelTrainingGraph m, Map<String, Entry> refs, String prefix) {
    Map<String, Tensor> values = new LinkedHashMap<>();
    try {
      for (String name : m.params.variables().keySet()) {
        values.put(name, require(refs, prefix + name).toTensor());
      }
      m.params.assign(m.session, values);
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

  private static long[] longs(Tensor t) {
    return Entry.of(t).longs();
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
