package io.deepclust.savedmodels;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.inference.Contract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * Exports a model's weights to the SavedModel contract (DESIGN.md): a fresh graph holding the
 * model's inference branch only (no optimizer slots, no training noise), the five common
 * signatures, any optional ones the model adds ({@link Outputs#withSignatures}, e.g. {@code
 * prior_mix} through {@link #priorMixWeights} and {@link #priorMix}), and {@code
 * assets/deepclust.json}; written beside the target and renamed into place.
 */
public final class ContractExport {
  private ContractExport() {}

  /** What the model describes of itself in {@code deepclust.json}. */
  public record Description(String model, int[] inputShape, int clusters, int latentDim,
      String likelihood, long seed, JsonElement config) {}

  /** The signature inputs, made here; a model builds its outputs from them. */
  public record Inputs(Placeholder<TFloat32> x, Placeholder<TFloat32> z,
      Placeholder<TInt32> decodeCluster, Placeholder<TInt32> priorCluster) {}

  /**
   * The signature outputs a model builds, and the extra signatures it exports besides the five
   * common ones (the contract's optional signatures, {@link Contract#OPTIONAL_SIGNATURES}).
   */
  public record Outputs(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction, Operand<TFloat32> decoded,
      Operand<TFloat32> priorMean, Operand<TFloat32> priorStddev,
      List<Signature> extraSignatures) {
    public Outputs {
      extraSignatures = List.copyOf(extraSignatures);
    }

    /** The outputs of the five common signatures, and no extra signature. */
    public Outputs(Operand<TFloat32> probs, Operand<TInt64> cluster, Operand<TFloat32> embedding,
        Operand<TFloat32> reconstruction, Operand<TFloat32> decoded, Operand<TFloat32> priorMean,
        Operand<TFloat32> priorStddev) {
      this(probs, cluster, embedding, reconstruction, decoded, priorMean, priorStddev, List.of());
    }

    /**
     * These outputs and {@code extra} signatures besides, built in the same graph (their inputs
     * are the model's own placeholders); each key must be one of {@link
     * Contract#OPTIONAL_SIGNATURES}, at most once.
     */
    public Outputs withSignatures(Signature... extra) {
      List<Signature> all = new ArrayList<>(extraSignatures);
      all.addAll(List.of(extra));
      return new Outputs(probs, cluster, embedding, reconstruction, decoded, priorMean,
          priorStddev, all);
    }
  }

  /** Builds the inference branch of a model in a fresh graph. */
  @FunctionalInterface
  public interface Builder {
    Outputs build(Ops tf, Params params, Inputs inputs);
  }

  /**
   * The {@code weights} input of {@code prior_mix}: a placeholder f32 [-1, K] named {@code
   * prior_mix_weights}, for a model's builder to compute p(z|ẽ) from.
   */
  public static Placeholder<TFloat32> priorMixWeights(Ops tf, int clusters) {
    return tf.withName(Contract.SIG_PRIOR_MIX + "_" + Contract.IN_WEIGHTS).placeholder(
        TFloat32.class, Placeholder.shape(Shape.of(-1, clusters)));
  }

  /**
   * The optional {@code prior_mix} signature: {@code weights} (from {@link #priorMixWeights}) →
   * {@code mean}, {@code stddev} of p(z|ẽ), for {@link Outputs#withSignatures}.
   */
  public static Signature priorMix(Placeholder<TFloat32> weights, Operand<TFloat32> mean,
      Operand<TFloat32> stddev) {
    return Signature.builder().key(Contract.SIG_PRIOR_MIX).input(Contract.IN_WEIGHTS, weights)
        .output(Contract.OUT_MEAN, mean).output(Contract.OUT_STDDEV, stddev).build();
  }

  /**
   * @param weights every model variable by its flat name (as {@link Params#read} gives them)
   * @param info made_by and dataset, optional metrics and provenance; the rest is filled in here
   */
  public static void export(Description d, Builder builder, Map<String, TFloat32> weights,
      JsonObject info, Path target) {
    JsonObject asset = info.deepCopy();
    asset.addProperty(Contract.JSON_CONTRACT, Contract.VERSION);
    asset.addProperty(Contract.JSON_MODEL, d.model());
    asset.addProperty(Contract.JSON_CLUSTERS, d.clusters());
    asset.addProperty(Contract.JSON_LATENT_DIM, d.latentDim());
    JsonArray shape = new JsonArray();
    for (int v : d.inputShape()) {
      shape.add(v);
    }
    asset.add(Contract.JSON_INPUT_SHAPE, shape);
    asset.addProperty(Contract.JSON_LIKELIHOOD, d.likelihood());
    asset.add(Contract.JSON_CONFIG, d.config());
    if (!asset.has(Contract.JSON_METRICS)) {
      asset.add(Contract.JSON_METRICS, new JsonObject());
    }
    for (String key : new String[] {Contract.JSON_MADE_BY, Contract.JSON_DATASET}) {
      if (!asset.has(key)) {
        throw new IllegalArgumentException("deepclust.json needs \"" + key + "\"");
      }
    }
    int[] s = d.inputShape();
    ExportDirectory.writeAtomically(target, dir -> {
      try (Graph g = new Graph(); Session session = new Session(g)) {
        Ops tf = Ops.create(g);
        Params p = new Params(tf, d.seed());
        var in = new Inputs(
            tf.withName(Contract.IN_X).placeholder(TFloat32.class,
                Placeholder.shape(Shape.of(-1, s[0], s[1], s[2]))),
            tf.withName(Contract.IN_Z).placeholder(TFloat32.class,
                Placeholder.shape(Shape.of(-1, d.latentDim()))),
            tf.withName("decode_" + Contract.IN_CLUSTER).placeholder(TInt32.class,
                Placeholder.shape(Shape.of(-1))),
            tf.withName("prior_" + Contract.IN_CLUSTER).placeholder(TInt32.class,
                Placeholder.shape(Shape.of(-1))));
        Outputs out = builder.build(tf, p, in);
        checkExtraSignatures(out.extraSignatures());
        session.initialize();
        p.assign(session, weights);
        List<Signature> signatures = new ArrayList<>(List.of(
            Signature.builder().key(Contract.SIG_ASSIGN).input(Contract.IN_X, in.x())
                .output(Contract.OUT_PROBS, out.probs())
                .output(Contract.OUT_CLUSTER, out.cluster()).build(),
            Signature.builder().key(Contract.SIG_EMBED).input(Contract.IN_X, in.x())
                .output(Contract.OUT_Z, out.embedding()).build(),
            Signature.builder().key(Contract.SIG_RECONSTRUCT).input(Contract.IN_X, in.x())
                .output(Contract.OUT_X_HAT, out.reconstruction()).build(),
            Signature.builder().key(Contract.SIG_DECODE).input(Contract.IN_Z, in.z())
                .input(Contract.IN_CLUSTER, in.decodeCluster())
                .output(Contract.OUT_X_HAT, out.decoded()).build(),
            prior(in, out)));
        signatures.addAll(out.extraSignatures());
        SavedModelBundle.exporter(dir.toString())
            .withTags(Contract.TAG)
            .withSession(session)
            .withSignatures(signatures.toArray(new Signature[0]))
            .export();
      }
      ExportDirectory.writeAsset(dir, asset);
    });
  }

  /** {@code prior}: mean and stddev, or the mean alone (VAB's Bernoulli prior has no stddev). */
  private static Signature prior(Inputs in, Outputs out) {
    var b = Signature.builder().key(Contract.SIG_PRIOR)
        .input(Contract.IN_CLUSTER, in.priorCluster())
        .output(Contract.OUT_MEAN, out.priorMean());
    if (out.priorStddev() != null) {
      b.output(Contract.OUT_STDDEV, out.priorStddev());
    }
    return b.build();
  }

  /** VAB's {@code compress}: images → bits u8 [-1, d]. */
  public static Signature compress(Placeholder<TFloat32> x, Operand<TUint8> bits) {
    return Signature.builder().key(Contract.SIG_COMPRESS).input(Contract.IN_X, x)
        .output(Contract.OUT_BITS, bits).build();
  }

  /** The {@code bits} input of VAB's {@code classify_bits}: u8 [-1, d]. */
  public static Placeholder<TUint8> bitsInput(Ops tf, int bits) {
    return tf.withName(Contract.SIG_CLASSIFY_BITS + "_" + Contract.IN_BITS).placeholder(
        TUint8.class, Placeholder.shape(Shape.of(-1, bits)));
  }

  /** VAB's {@code classify_bits}: bits → probs, cluster. */
  public static Signature classifyBits(Placeholder<TUint8> bits, Operand<TFloat32> probs,
      Operand<TInt64> cluster) {
    return Signature.builder().key(Contract.SIG_CLASSIFY_BITS).input(Contract.IN_BITS, bits)
        .output(Contract.OUT_PROBS, probs).output(Contract.OUT_CLUSTER, cluster).build();
  }

  private static final List<String> EXTRA = List.of(Contract.SIG_PRIOR_MIX,
      Contract.SIG_COMPRESS, Contract.SIG_CLASSIFY_BITS);

  private static void checkExtraSignatures(List<Signature> extra) {
    Set<String> seen = new HashSet<>();
    for (Signature s : extra) {
      if (!EXTRA.contains(s.key())) {
        throw new IllegalArgumentException("extra signature '" + s.key()
            + "' is neither an optional nor a VAB signature of the contract " + EXTRA);
      }
      if (!seen.add(s.key())) {
        throw new IllegalArgumentException("extra signature '" + s.key() + "' given twice");
      }
    }
  }
}
