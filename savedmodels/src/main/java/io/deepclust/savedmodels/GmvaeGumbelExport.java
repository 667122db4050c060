package io.deepclust.savedmodels;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.inference.Contract;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Exports GMVAE-Gumbel weights to the SavedModel contract: a fresh graph holding the inference
 * branch only (no optimizer slots, no training noise), the five common signatures, and {@code
 * assets/deepclust.json}.
 */
public final class GmvaeGumbelExport {
  private GmvaeGumbelExport() {}

  /**
   * @param weights every model variable by its flat name (as {@link Params#read} gives them)
   * @param info the {@code deepclust.json} content: made_by and dataset, optional metrics and
   *     provenance; contract, model, clusters, latent_dim, input_shape, likelihood and config are
   *     filled in here from {@code config}
   */
  public static void export(
      GmvaeGumbelConfig config, Map<String, TFloat32> weights, JsonObject info, Path target) {
    JsonObject asset = info.deepCopy();
    asset.addProperty(Contract.JSON_CONTRACT, Contract.VERSION);
    asset.addProperty(Contract.JSON_MODEL, GmvaeGumbel.MODEL);
    asset.addProperty(Contract.JSON_CLUSTERS, config.clusters());
    asset.addProperty(Contract.JSON_LATENT_DIM, config.latentDim());
    var shape = new com.google.gson.JsonArray();
    for (int d : config.inputShape()) {
      shape.add(d);
    }
    asset.add(Contract.JSON_INPUT_SHAPE, shape);
    asset.addProperty(Contract.JSON_LIKELIHOOD, "bernoulli");
    asset.add(Contract.JSON_CONFIG, new Gson().toJsonTree(config));
    if (!asset.has(Contract.JSON_METRICS)) {
      asset.add(Contract.JSON_METRICS, new JsonObject());
    }
    for (String key : new String[] {Contract.JSON_MADE_BY, Contract.JSON_DATASET}) {
      if (!asset.has(key)) {
        throw new IllegalArgumentException("deepclust.json needs \"" + key + "\"");
      }
    }
    ExportDirectory.writeAtomically(target, dir -> {
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Params p = new Params(tf, config.seed());
        var x = GmvaeGumbel.imageInput(tf, config, Contract.IN_X);
        var inf = GmvaeGumbel.inference(tf, p, config, x);
        var z = tf.withName(Contract.IN_Z).placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(-1, config.latentDim())));
        var zCluster = tf.withName("decode_" + Contract.IN_CLUSTER).placeholder(TInt32.class,
            Placeholder.shape(Shape.of(-1)));
        var decoded = GmvaeGumbel.decode(tf, p, config, z, zCluster);
        var priorCluster = tf.withName("prior_" + Contract.IN_CLUSTER).placeholder(TInt32.class,
            Placeholder.shape(Shape.of(-1)));
        var prior = GmvaeGumbel.prior(tf, config, priorCluster);
        s.initialize();
        p.assign(s, weights);
        SavedModelBundle.exporter(dir.toString())
            .withTags(Contract.TAG)
            .withSession(s)
            .withSignatures(
                Signature.builder().key(Contract.SIG_ASSIGN).input(Contract.IN_X, x)
                    .output(Contract.OUT_PROBS, inf.probs())
                    .output(Contract.OUT_CLUSTER, inf.cluster()).build(),
                Signature.builder().key(Contract.SIG_EMBED).input(Contract.IN_X, x)
                    .output(Contract.OUT_Z, inf.embedding()).build(),
                Signature.builder().key(Contract.SIG_RECONSTRUCT).input(Contract.IN_X, x)
                    .output(Contract.OUT_X_HAT, inf.reconstruction()).build(),
                Signature.builder().key(Contract.SIG_DECODE).input(Contract.IN_Z, z)
                    .input(Contract.IN_CLUSTER, zCluster)
                    .output(Contract.OUT_X_HAT, decoded).build(),
                Signature.builder().key(Contract.SIG_PRIOR).input(Contract.IN_CLUSTER, priorCluster)
                    .output(Contract.OUT_MEAN, prior[0])
                    .output(Contract.OUT_STDDEV, prior[1]).build())
            .export();
      }
      ExportDirectory.writeAsset(dir, asset);
    });
  }
}
