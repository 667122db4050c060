package io.deepclust.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Checks that a SavedModel meets the deepclust contract (version 1, docs/contract.md): {@code
 * assets/deepclust.json} reads as a {@link ModelInfo}, the {@code serve} meta graph has every
 * signature of {@link Contract#COMMON_SIGNATURES} (and for VAB {@code compress} and {@code
 * classify_bits}), and each signature has exactly the contract's input keys and at least its output
 * keys, with the contract's dtypes and shapes for that model's H, W, C, K and Z. An optional
 * signature ({@link Contract#OPTIONAL_SIGNATURES}: {@code prior_mix}) may be absent; when present
 * it is checked in the same way.
 *
 * <p>Shapes: inputs must match exactly, batch dimension -1. Outputs must have the contract's rank
 * and batch dimension -1; a non-batch dimension may also be -1 (not inferred statically, as in some
 * Python exports), and {@link ClusteringModel} then checks the returned tensors at run time.
 */
public final class ContractValidator {
  private static final long BATCH = -1;
  private static final String INIT_OP_SIGNATURE = "__saved_model_init_op";

  private ContractValidator() {}

  /**
   * Loads the SavedModel at {@code dir} with tag {@code serve}, validates it and closes it.
   *
   * @return the model's description
   * @throws ContractException naming every violation found
   */
  public static ModelInfo validate(Path dir) {
    ModelInfo info = ModelInfo.read(dir);
    try (SavedModelBundle bundle = load(dir)) {
      check(bundle.metaGraphDef(), dir, info);
    }
    return info;
  }

  /**
   * Validates an already loaded SavedModel against the {@code deepclust.json} in {@code dir}.
   *
   * @param bundle the model loaded from {@code dir} with tag {@code serve}; not closed here
   * @param dir its export directory
   * @return the model's description
   * @throws ContractException naming every violation found
   */
  public static ModelInfo validate(SavedModelBundle bundle, Path dir) {
    ModelInfo info = ModelInfo.read(dir);
    check(bundle.metaGraphDef(), dir, info);
    return info;
  }

  /** Throws a {@link ContractException} listing {@link #violations} unless there are none. */
  static void check(MetaGraphDef metaGraph, Path dir, ModelInfo info) {
    List<String> violations = violations(metaGraph, info);
    if (!violations.isEmpty()) {
      throw new ContractException(
          dir
              + " does not meet the deepclust SavedModel contract v"
              + Contract.VERSION
              + " for "
              + info
              + ":\n  - "
              + String.join("\n  - ", violations));
    }
  }

  /**
   * Every way {@code metaGraph} breaks the contract for {@code info}, one sentence each; empty if
   * it meets it.
   */
  public static List<String> violations(MetaGraphDef metaGraph, ModelInfo info) {
    List<String> out = new ArrayList<>();
    if (!metaGraph.getMetaInfoDef().getTagsList().contains(Contract.TAG)) {
      out.add(
          "meta graph lacks tag '"
              + Contract.TAG
              + "' (has "
              + metaGraph.getMetaInfoDef().getTagsList()
              + ")");
    }
    Map<String, SignatureDef> signatures = metaGraph.getSignatureDefMap();
    TreeSet<String> present = new TreeSet<>(signatures.keySet());
    present.remove(INIT_OP_SIGNATURE);
    for (SignatureSpec expected : expected(info)) {
      SignatureDef actual = signatures.get(expected.key);
      if (actual == null) {
        out.add("missing signature '" + expected.key + "' (present: " + present + ")");
        continue;
      }
      check(expected, actual, out);
    }
    for (SignatureSpec optional : optional(info)) {
      SignatureDef actual = signatures.get(optional.key);
      if (actual != null) check(optional, actual, out);
    }
    return out;
  }

  /** Adds to {@code out} every way {@code actual} differs from {@code expected}. */
  private static void check(SignatureSpec expected, SignatureDef actual, List<String> out) {
    String where = "signature '" + expected.key + "'";
    Map<String, TensorInfo> inputs = actual.getInputsMap();
    List<String> expectedInputs = expected.inputs.stream().map(TensorSpec::key).toList();
    for (String key : new TreeSet<>(inputs.keySet())) {
      if (!expectedInputs.contains(key)) {
        out.add(
            where
                + ": unexpected input '"
                + key
                + "' (the contract feeds only "
                + expectedInputs
                + ")");
      }
    }
    for (TensorSpec spec : expected.inputs) {
      check(where + ": input", spec, inputs, true, out);
    }
    for (TensorSpec spec : expected.outputs) {
      check(where + ": output", spec, actual.getOutputsMap(), false, out);
    }
  }

  /** Loads {@code dir} with tag {@code serve}, turning load failures into ContractExceptions. */
  static SavedModelBundle load(Path dir) {
    return load(dir, null);
  }

  /** {@link #load(Path)} with a session config (threads, device), or TensorFlow's when null. */
  static SavedModelBundle load(Path dir, ConfigProto config) {
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))
        && !Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
      throw new ContractException(dir + ": no saved_model.pb, not a SavedModel directory");
    }
    SavedModelFiles.requireVariables(dir);
    try {
      SavedModelBundle.Loader loader = SavedModelBundle.loader(dir.toString())
          .withTags(Contract.TAG);
      return (config == null ? loader : loader.withConfigProto(config)).load();
    } catch (RuntimeException e) {
      throw new ContractException(
          dir + ": cannot load the SavedModel with tag '" + Contract.TAG + "': " + e.getMessage(),
          e);
    }
  }

  private static void check(
      String where,
      TensorSpec spec,
      Map<String, TensorInfo> tensors,
      boolean exact,
      List<String> out) {
    TensorInfo t = tensors.get(spec.key);
    String what = where + " '" + spec.key + "'";
    if (t == null) {
      if (!spec.optional) {
        out.add(what + " is missing (present: " + new TreeSet<>(tensors.keySet()) + ")");
      }
      return;
    }
    if (t.getEncodingCase() != TensorInfo.EncodingCase.NAME) {
      out.add(what + " is not a dense tensor (" + t.getEncodingCase() + ")");
    }
    if (t.getDtype() != spec.dtype) {
      out.add(what + " has dtype " + t.getDtype() + ", expected " + spec.dtype);
    }
    TensorShapeProto shape = t.getTensorShape();
    String expected = Arrays.toString(spec.dims);
    if (shape.getUnknownRank()) {
      out.add(what + " has unknown rank, expected shape " + expected);
      return;
    }
    long[] dims = shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
    if (dims.length != spec.dims.length) {
      out.add(
          what
              + " has rank "
              + dims.length
              + " (shape "
              + Arrays.toString(dims)
              + "), expected rank "
              + spec.dims.length
              + " "
              + expected);
      return;
    }
    for (int i = 0; i < dims.length; i++) {
      boolean unknownAllowed = !exact && i > 0 && dims[i] == BATCH;
      if (dims[i] != spec.dims[i] && !unknownAllowed) {
        out.add(what + " has shape " + Arrays.toString(dims) + ", expected " + expected);
        return;
      }
    }
  }

  /** The contract's signatures for one model: docs/contract.md. */
  static List<SignatureSpec> expected(ModelInfo info) {
    long z = info.latentDim();
    TensorSpec x = spec(Contract.IN_X, DataType.DT_FLOAT, image(info));
    TensorSpec xHat = spec(Contract.OUT_X_HAT, DataType.DT_FLOAT, image(info));
    TensorSpec probs = spec(Contract.OUT_PROBS, DataType.DT_FLOAT, BATCH, info.clusters());
    TensorSpec cluster = spec(Contract.OUT_CLUSTER, DataType.DT_INT64, BATCH);
    TensorSpec clusterIn = spec(Contract.IN_CLUSTER, DataType.DT_INT32, BATCH);
    TensorSpec stddev = spec(Contract.OUT_STDDEV, DataType.DT_FLOAT, BATCH, z);
    List<SignatureSpec> sigs = new ArrayList<>();
    sigs.add(sig(Contract.SIG_ASSIGN, List.of(x), List.of(probs, cluster)));
    sigs.add(
        sig(
            Contract.SIG_EMBED,
            List.of(x),
            List.of(spec(Contract.OUT_Z, DataType.DT_FLOAT, BATCH, z))));
    sigs.add(sig(Contract.SIG_RECONSTRUCT, List.of(x), List.of(xHat)));
    sigs.add(
        sig(
            Contract.SIG_DECODE,
            List.of(spec(Contract.IN_Z, DataType.DT_FLOAT, BATCH, z), clusterIn),
            List.of(xHat)));
    sigs.add(
        sig(
            Contract.SIG_PRIOR,
            List.of(clusterIn),
            List.of(
                spec(Contract.OUT_MEAN, DataType.DT_FLOAT, BATCH, z),
                info.isVab() ? stddev.asOptional() : stddev)));
    if (info.isVab()) {
      sigs.add(
          sig(
              Contract.SIG_COMPRESS,
              List.of(x),
              List.of(spec(Contract.OUT_BITS, DataType.DT_UINT8, BATCH, z))));
      sigs.add(
          sig(
              Contract.SIG_CLASSIFY_BITS,
              List.of(spec(Contract.IN_BITS, DataType.DT_UINT8, BATCH, z)),
              List.of(probs, cluster)));
    }
    return sigs;
  }

  /**
   * The contract's optional signatures ({@link Contract#OPTIONAL_SIGNATURES}), checked only where a
   * model has them: {@code prior_mix}, {@code weights} f32 [-1,K] → {@code mean}, {@code stddev}
   * f32 [-1,Z] (as {@code prior}, {@code stddev} optional for VAB).
   */
  static List<SignatureSpec> optional(ModelInfo info) {
    long z = info.latentDim();
    TensorSpec stddev = spec(Contract.OUT_STDDEV, DataType.DT_FLOAT, BATCH, z);
    return List.of(
        sig(
            Contract.SIG_PRIOR_MIX,
            List.of(spec(Contract.IN_WEIGHTS, DataType.DT_FLOAT, BATCH, info.clusters())),
            List.of(
                spec(Contract.OUT_MEAN, DataType.DT_FLOAT, BATCH, z),
                info.isVab() ? stddev.asOptional() : stddev)));
  }

  private static long[] image(ModelInfo info) {
    return new long[] {BATCH, info.height(), info.width(), info.channels()};
  }

  private static TensorSpec spec(String key, DataType dtype, long... dims) {
    return new TensorSpec(key, dtype, dims, false);
  }

  private static SignatureSpec sig(String key, List<TensorSpec> in, List<TensorSpec> out) {
    return new SignatureSpec(key, in, out);
  }

  /** One tensor of a signature as the contract wants it; -1 is the batch dimension. */
  record TensorSpec(String key, DataType dtype, long[] dims, boolean optional) {
    TensorSpec asOptional() {
      return new TensorSpec(key, dtype, dims, true);
    }
  }

  /** One signature as the contract wants it. */
  record SignatureSpec(String key, List<TensorSpec> inputs, List<TensorSpec> outputs) {}
}
