package io.deepclust.savedmodels;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.Vade;
import io.deepclust.graphs.models.VadeConfig;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.types.TFloat32;

/** Exports VaDE weights to the SavedModel contract (see {@link ContractExport}). */
public final class VadeExport {
  private VadeExport() {}

  public static void export(
      VadeConfig config, Map<String, TFloat32> weights, JsonObject info, Path target) {
    var description = new ContractExport.Description(Vade.MODEL, config.inputShape(),
        config.clusters(), config.latentDim(), "bernoulli", config.seed(),
        new Gson().toJsonTree(config));
    ContractExport.export(description, (tf, p, in) -> {
      var inf = Vade.inference(tf, p, config, in.x());
      var prior = Vade.prior(tf, p, config, in.priorCluster());
      return new ContractExport.Outputs(inf.probs(), inf.cluster(), inf.embedding(),
          inf.reconstruction(), Vade.decode(tf, p, config, in.z()), prior[0], prior[1]);
    }, weights, info, target);
  }
}
