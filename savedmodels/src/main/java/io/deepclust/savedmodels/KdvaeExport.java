package io.deepclust.savedmodels;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.Kdvae;
import io.deepclust.graphs.models.KdvaeConfig;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.types.TFloat32;

/** Exports k-DVAE weights to the SavedModel contract (see {@link ContractExport}). */
public final class KdvaeExport {
  private KdvaeExport() {}

  public static void export(
      KdvaeConfig config, Map<String, TFloat32> weights, JsonObject info, Path target) {
    var description = new ContractExport.Description(Kdvae.MODEL, config.inputShape(),
        config.clusters(), config.latentDim(), "bernoulli", config.seed(),
        new Gson().toJsonTree(config));
    ContractExport.export(description, (tf, p, in) -> {
      var inf = Kdvae.inference(tf, p, config, in.x());
      var prior = Kdvae.prior(tf, config, in.priorCluster());
      return new ContractExport.Outputs(inf.probs(), inf.cluster(), inf.embedding(),
          inf.reconstruction(), Kdvae.decode(tf, p, config, in.z(), in.decodeCluster()),
          prior[0], prior[1]);
    }, weights, info, target);
  }
}
