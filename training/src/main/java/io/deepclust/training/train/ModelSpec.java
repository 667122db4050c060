package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.training.eager.EagerModels.EagerModel;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One model as the trainer knows it, the line of {@link Models#ALL} that registers it: its
 * contract name, its config record, how a training request makes that config, how a config opens
 * the training graph (whose {@code exportWeights} writes the SavedModel), and its eager phases.
 * Each model's training graph class holds its spec as {@code SPEC}.
 *
 * @param configure the config of a request: the paper's for the dataset, then the options
 * @param open a fresh training graph of a config in a session with the given settings
 * @param eagerPhases the eager step of each phase that has one, by phase name, in phase order
 * @param upgrade a config.json of an older version in today's form (identity for most models)
 * @param xlaOnCpu whether {@code --xla auto} turns XLA auto-clustering on on a CPU
 * @param bf16OnAmx whether {@code --precision auto} trains in bfloat16 on a CPU with AMX (measured
 *     faster and harmless there; see {@link Precision})
 */
public record ModelSpec<C extends ModelConfig>(String name, Class<C> configType,
    Function<ConfigOptions, C> configure, BiFunction<C, SessionSettings, TrainingModel> open,
    Function<C, Map<String, EagerModel>> eagerPhases, UnaryOperator<JsonElement> upgrade,
    boolean xlaOnCpu, boolean bf16OnAmx) {

  /** A model without config upgrades that XLA does not speed up on a CPU. */
  public ModelSpec(String name, Class<C> configType, Function<ConfigOptions, C> configure,
      BiFunction<C, SessionSettings, TrainingModel> open,
      Function<C, Map<String, EagerModel>> eagerPhases) {
    this(name, configType, configure, open, eagerPhases, UnaryOperator.identity(), false, false);
  }

  /** This spec with {@code --precision auto} choosing bfloat16 on a CPU with AMX. */
  public ModelSpec<C> withBf16OnAmx() {
    return new ModelSpec<>(name, configType, configure, open, eagerPhases, upgrade, xlaOnCpu,
        true);
  }

  /** The config a run directory's config.json holds. */
  public C config(JsonElement json) {
    return new Gson().fromJson(upgrade.apply(json), configType);
  }

  /** A fresh training graph of the config given as JSON (config.json's form). */
  public TrainingModel open(JsonElement json, SessionSettings session) {
    return open.apply(config(json), session);
  }

  /** The eager phases of the config given as JSON. */
  public Map<String, EagerModel> eagerPhases(JsonElement json) {
    return eagerPhases.apply(config(json));
  }

  /** A fresh training graph of the config a request's {@code options} make. */
  public TrainingModel open(ConfigOptions options, SessionSettings session) {
    return open.apply(configured(options), session);
  }

  /** The config of {@code options} as JSON (config.json's form). */
  public JsonElement configJson(ConfigOptions options) {
    return new Gson().toJsonTree(configured(options));
  }

  /**
   * The config {@code options} make; a {@code --backbone} is refused (naming the model) where the
   * config has no backbone key, rather than ignored.
   */
  private C configured(ConfigOptions options) {
    C config = configure.apply(options);
    if (options.backbone() != null
        && !new Gson().toJsonTree(config).getAsJsonObject().has("backbone")) {
      throw new IllegalArgumentException("--backbone: " + name + " has one backbone, its"
          + " paper's (models with a choice: docs/models.md)");
    }
    return config;
  }
}
