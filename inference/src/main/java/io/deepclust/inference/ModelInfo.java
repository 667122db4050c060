package io.deepclust.inference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code assets/deepclust.json} of an exported model says (contract version 1,
 * docs/contract.md).
 *
 * @param contract the contract version, {@link Contract#VERSION}
 * @param model one of {@link Contract#MODELS}: our five kinds or {@link Contract#MODEL_GENERIC}
 * @param clusters K ≥ 1, the number of clusters
 * @param latentDim Z ≥ 1, the width of z (VAB: the number of bits)
 * @param inputShape {@code [H, W, C]} of one image, each ≥ 1
 * @param likelihood one of {@link Contract#LIKELIHOODS}
 * @param madeBy who exported the model: {@code "java"} or {@code "python"}
 * @param dataset the training data set
 * @param config the training configuration (free form, unmodifiable)
 * @param metrics the recorded metrics, e.g. {@code acc}, {@code nmi} (free form, unmodifiable)
 */
public record ModelInfo(
    int contract,
    String model,
    int clusters,
    int latentDim,
    int[] inputShape,
    String likelihood,
    String madeBy,
    String dataset,
    Map<String, Object> config,
    Map<String, Object> metrics) {
  // A training run directory's export and config (training's RunDirectory), recognised so that
  // a run directory given as a model is named as one.
  private static final String RUN_EXPORT = "export";
  private static final String RUN_CONFIG = "config.json";

  /**
   * Checks every field.
   *
   * @throws IllegalArgumentException naming the field that breaks the contract
   */
  public ModelInfo {
    requireVersion(contract);
    if (!Contract.MODELS.contains(model)) {
      throw new IllegalArgumentException(
          "\"" + Contract.JSON_MODEL + "\" is '" + model + "', expected one of " + Contract.MODELS);
    }
    if (clusters < 1) {
      throw new IllegalArgumentException(
          "\"" + Contract.JSON_CLUSTERS + "\" must be ≥ 1, got " + clusters);
    }
    if (latentDim < 1) {
      throw new IllegalArgumentException(
          "\"" + Contract.JSON_LATENT_DIM + "\" must be ≥ 1, got " + latentDim);
    }
    if (inputShape == null
        || inputShape.length != 3
        || Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
      throw new IllegalArgumentException(
          "\""
              + Contract.JSON_INPUT_SHAPE
              + "\" must be [H, W, C] with each ≥ 1, got "
              + Arrays.toString(inputShape));
    }
    if (!Contract.LIKELIHOODS.contains(likelihood)) {
      throw new IllegalArgumentException(
          "\""
              + Contract.JSON_LIKELIHOOD
              + "\" is '"
              + likelihood
              + "', expected one of "
              + Contract.LIKELIHOODS);
    }
    Objects.requireNonNull(madeBy, Contract.JSON_MADE_BY);
    Objects.requireNonNull(dataset, Contract.JSON_DATASET);
    inputShape = inputShape.clone();
    Objects.requireNonNull(config, Contract.JSON_CONFIG);
    Objects.requireNonNull(metrics, Contract.JSON_METRICS);
    config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** The path of the description inside an export directory: {@code assets/deepclust.json}. */
  public static Path file(Path exportDir) {
    return exportDir.resolve(Contract.ASSET_DIR).resolve(Contract.ASSET_FILE);
  }

  /**
   * Reads and checks {@code assets/deepclust.json} of an export directory.
   *
   * @throws ContractException naming the file and what is wrong: a directory that does not exist,
   *     is no SavedModel or is a training run's (pointing at its {@code export/}), missing file,
   *     malformed JSON (with its position), a missing key, a value of the wrong type, an
   *     unsupported contract version or a value out of range
   */
  public static ModelInfo read(Path exportDir) {
    Path file = file(exportDir);
    if (!Files.isRegularFile(file)) {
      throw new ContractException(withoutDescription(exportDir, file));
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ContractException(withoutDescription(exportDir, file), e);
    } catch (IOException e) {
      throw new ContractException(file + ": cannot read: " + e, e);
    }
    Object root;
    try {
      root = Json.parse(text);
    } catch (Json.ParseException e) {
      throw new ContractException(file + ": malformed JSON: " + e.getMessage(), e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ContractException(file + ": expected a JSON object at the top level");
    }
    try {
      // The version first: a later contract may change everything else.
      int contract = requireVersion(integer(map, Contract.JSON_CONTRACT));
      List<?> shape = get(map, Contract.JSON_INPUT_SHAPE, List.class, "an array");
      int[] inputShape = new int[shape.size()];
      for (int i = 0; i < inputShape.length; i++) {
        inputShape[i] = toInt(shape.get(i), Contract.JSON_INPUT_SHAPE + "[" + i + "]");
      }
      return new ModelInfo(
          contract,
          string(map, Contract.JSON_MODEL),
          integer(map, Contract.JSON_CLUSTERS),
          integer(map, Contract.JSON_LATENT_DIM),
          inputShape,
          string(map, Contract.JSON_LIKELIHOOD),
          string(map, Contract.JSON_MADE_BY),
          string(map, Contract.JSON_DATASET),
          object(map, Contract.JSON_CONFIG),
          object(map, Contract.JSON_METRICS));
    } catch (IllegalArgumentException e) {
      throw new ContractException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Why {@code exportDir} has no description, saying what it is instead: nothing, a file, a run
   * directory (whose SavedModel is its {@code export/}), a directory that is no SavedModel, or a
   * SavedModel without {@code deepclust.json}.
   */
  private static String withoutDescription(Path exportDir, Path file) {
    if (!Files.exists(exportDir)) {
      return exportDir + ": no such directory";
    }
    if (!Files.isDirectory(exportDir)) {
      return exportDir + ": not a directory (a SavedModel is a directory with saved_model.pb)";
    }
    if (isSavedModel(exportDir)) {
      return file + ": missing (every exported model carries it)";
    }
    Path export = exportDir.resolve(RUN_EXPORT);
    if (isSavedModel(export)) {
      return exportDir + ": a run directory, not a SavedModel: use " + export;
    }
    if (Files.exists(exportDir.resolve(RUN_CONFIG))) {
      return exportDir + ": a run directory with no export/ yet, not a SavedModel (deepclust"
          + " export --run-dir " + exportDir + " writes one)";
    }
    return exportDir + ": not a SavedModel: no saved_model.pb";
  }

  private static boolean isSavedModel(Path dir) {
    return Files.isRegularFile(dir.resolve("saved_model.pb"))
        || Files.isRegularFile(dir.resolve("saved_model.pbtxt"));
  }

  /**
   * Writes this description to {@code assets/deepclust.json} under {@code exportDir}, creating
   * {@code assets/} if needed.
   *
   * @return the file written
   */
  public Path write(Path exportDir) throws IOException {
    Path file = file(exportDir);
    Files.createDirectories(file.getParent());
    Files.writeString(file, toJson() + "\n", StandardCharsets.UTF_8);
    return file;
  }

  /** This description as the JSON text of {@code deepclust.json}, keys in the contract's order. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(Contract.JSON_CONTRACT, contract);
    m.put(Contract.JSON_MODEL, model);
    m.put(Contract.JSON_CLUSTERS, clusters);
    m.put(Contract.JSON_LATENT_DIM, latentDim);
    m.put(Contract.JSON_INPUT_SHAPE, inputShape);
    m.put(Contract.JSON_LIKELIHOOD, likelihood);
    m.put(Contract.JSON_MADE_BY, madeBy);
    m.put(Contract.JSON_DATASET, dataset);
    m.put(Contract.JSON_CONFIG, config);
    m.put(Contract.JSON_METRICS, metrics);
    return Json.write(m);
  }

  /** {@code [H, W, C]}, a copy. */
  @Override
  public int[] inputShape() {
    return inputShape.clone();
  }

  /** H, the image height. */
  public int height() {
    return inputShape[0];
  }

  /** W, the image width. */
  public int width() {
    return inputShape[1];
  }

  /** C, the number of channels. */
  public int channels() {
    return inputShape[2];
  }

  /** H·W·C, the length of one flattened NHWC image row. */
  public int pixels() {
    return inputShape[0] * inputShape[1] * inputShape[2];
  }

  /** Whether this is a VAB model, which also has {@code compress} and {@code classify_bits}. */
  public boolean isVab() {
    return "vab".equals(model);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelInfo m
        && contract == m.contract
        && model.equals(m.model)
        && clusters == m.clusters
        && latentDim == m.latentDim
        && Arrays.equals(inputShape, m.inputShape)
        && likelihood.equals(m.likelihood)
        && madeBy.equals(m.madeBy)
        && dataset.equals(m.dataset)
        && config.equals(m.config)
        && metrics.equals(m.metrics);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        contract,
        model,
        clusters,
        latentDim,
        Arrays.hashCode(inputShape),
        likelihood,
        madeBy,
        dataset,
        config,
        metrics);
  }

  @Override
  public String toString() {
    return "ModelInfo["
        + model
        + ", K="
        + clusters
        + ", Z="
        + latentDim
        + ", input="
        + Arrays.toString(inputShape)
        + ", "
        + likelihood
        + ", made by "
        + madeBy
        + ", dataset "
        + dataset
        + "]";
  }

  private static int requireVersion(int contract) {
    if (contract != Contract.VERSION) {
      throw new IllegalArgumentException(
          "unsupported contract version "
              + contract
              + " (this loader reads "
              + Contract.VERSION
              + ")");
    }
    return contract;
  }

  private static <T> T get(Map<?, ?> map, String key, Class<T> type, String typeName) {
    if (!map.containsKey(key)) throw new IllegalArgumentException("missing key \"" + key + "\"");
    Object v = map.get(key);
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must be " + typeName + ", got " + describe(v));
    }
    return type.cast(v);
  }

  private static String string(Map<?, ?> map, String key) {
    return get(map, key, String.class, "a string");
  }

  private static int integer(Map<?, ?> map, String key) {
    if (!map.containsKey(key)) throw new IllegalArgumentException("missing key \"" + key + "\"");
    return toInt(map.get(key), key);
  }

  private static int toInt(Object v, String what) {
    if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
      return l.intValue();
    }
    throw new IllegalArgumentException("\"" + what + "\" must be an integer, got " + describe(v));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Map<?, ?> map, String key) {
    return get(map, key, Map.class, "an object");
  }

  private static String describe(Object v) {
    if (v == null) return "null";
    if (v instanceof String s) return "the string \"" + s + "\"";
    if (v instanceof Map) return "an object";
    if (v instanceof List) return "an array";
    if (v instanceof Boolean) return "the boolean " + v;
    return "the number " + v;
  }
}
