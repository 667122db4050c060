package io.deepclust.savedmodels;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.inference.Contract;
import java.nio.file.Path;
import java.util.Map;
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

/**
 * Exports a model's weights to the SavedModel contract (DESIGN.md): a fresh graph holding the
 * model's inference branch only (no optimizer slots, no training noise), the five common
 * signatures, and {@code assets/deepclust.json}; written beside the target and renamed into place.
 */
public final class ContractExport {
  private ContractExport() {}

  /** What the model describes of itself in {@code deepclust.json}. */
  public record Description(String model, int[] inputShape, int clusters, int latentDim,
      String likelihood, long seed, JsonElement config) {}

  /** The signature inputs, made here; a model builds its outputs from them. */
  public record Inputs(Placeholder<TFloat32> x, Placeholder<TFloat32> z,
      Placeholder<TInt32> decodeCluster, Placeholder<TInt32> priorCluster) {}

  /** The signature outputs a model builds. */
  public record Outputs(Operand<TFloat32> probs, Operand<TInt64> cluster,
      Operand<TFloat32> embedding, Operand<TFloat32> reconstruction, Operand<TFloat32> decoded,
      Operand<TFloat32> priorMean, Operand<TFloat32> priorStddev) {}

  /** Builds the inference branch of a model in a fresh graph. */
  @FunctionalInterface
  public interface Builder {
    Outputs build(Ops tf, Params params, Inputs inputs);
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
        session.initialize();
        p.assign(session, weights);
        SavedModelBundle.exporter(dir.toString())
            .withTags(Contract.TAG)
            .withSession(session)
            .withSignatures(
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
                Signature.builder().key(Contract.SIG_PRIOR)
                    .input(Contract.IN_CLUSTER, in.priorCluster())
                    .output(Contract.OUT_MEAN, out.priorMean())
                    .output(Contract.OUT_STDDEV, out.priorStddev()).build())
            .export();
      }
      ExportDirectory.writeAsset(dir, asset);
    });
  }
}
