package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.Pretraining;
import java.util.List;

/**
 * The registry: every model the trainer knows, one line each (its training graph's {@code SPEC}),
 * the same set as the SavedModel contract's. Nothing else switches over model names.
 */
public final class Models {
  public static final List<ModelSpec<?>> ALL = List.of(GmvaeGumbelTrainingGraph.SPEC,
      VadeTrainingGraph.SPEC, KdvaeTrainingGraph.SPEC, VcTrainingGraph.SPEC, VabTrainingGraph.SPEC);

  /** The models' names, in {@link #ALL}'s order. */
  public static final List<String> NAMES = ALL.stream().map(ModelSpec::name).toList();

  private Models() {}

  /** The spec of {@code model}; an unknown name is an error that lists the known ones. */
  public static ModelSpec<?> spec(String model) {
    return ALL.stream().filter(s -> s.name().equals(model)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("unknown model '" + model + "': one of " + NAMES));
  }

  /**
   * Whether {@code --xla auto} turns XLA auto-clustering on for a model's training session on a
   * CPU ({@link ModelSpec#xlaOnCpu}): only k-DVAE, where it measured better (bench/perf, 2-core
   * Xeon, workers taking turns: step 0.98× Python's with XLA against 1.18× without; its batched
   * matmuls' gradients are BatchMatMulV3 ops, which TensorFlow's oneDNN pass leaves on the Eigen
   * kernel). With XLA the step was as fast for VaDE and GMVAE-Gumbel, 1.10× as long for VAB and
   * 2.5× for Variational Clustering.
   */
  public static boolean xlaByDefault(String model) {
    return spec(model).xlaOnCpu();
  }

  /** The environment flag without which TensorFlow does not auto-cluster on a CPU. */
  public static final String XLA_CPU_FLAG = "--tf_xla_cpu_global_jit";

  /** Whether this process's TF_XLA_FLAGS has {@link #XLA_CPU_FLAG} (read by TensorFlow at start). */
  public static boolean xlaCpuFlagSet() {
    String flags = System.getenv("TF_XLA_FLAGS");
    return flags != null && flags.contains("tf_xla_cpu_global_jit");
  }

  /** A fresh training graph of {@code model} with the config given as JSON (config.json's form). */
  public static TrainingModel open(String model, JsonElement config) {
    return open(model, config, SessionSettings.DEFAULTS);
  }

  /** As {@link #open(String, JsonElement)}, its session opened with {@code session}. */
  public static TrainingModel open(String model, JsonElement config, SessionSettings session) {
    return spec(model).open(config, session);
  }

  /**
   * A config.json written before the pretraining recipe was configurable (it held only the
   * pretraining's epochs and, for VaDE, its Adam learning rate) in today's form: the recipe it
   * ran (Adam, summed BCE, the joint batch, Glorot) and its GMM start (3 fits of one k-means++
   * each, π from the fit; the best log-likelihood was kept then, the best ELBO is now). Runs
   * resumed from such a directory continue as they were started.
   */
  static JsonElement upgradeVade(JsonElement config, String recipe, String start, String epochs) {
    if (!config.isJsonObject() || config.getAsJsonObject().has(recipe)
        || !config.getAsJsonObject().has(epochs)) {
      return config;
    }
    JsonObject c = config.getAsJsonObject().deepCopy();
    float lr = c.has("pretrainLearningRate") ? c.get("pretrainLearningRate").getAsFloat() : 1e-3f;
    Pretraining p = new Pretraining(Pretraining.ADAM, lr, 0f, Pretraining.BCE,
        c.get("batchSize").getAsInt(), c.get(epochs).getAsInt(), Pretraining.GLOROT_UNIFORM, 0);
    Gson gson = new Gson();
    c.add(recipe, gson.toJsonTree(p));
    c.add(start, gson.toJsonTree(new GmmStart(3, 1, GmmStart.FIT)));
    return c;
  }
}
