package io.deepclust.savedmodels;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.VariationalClustering;
import io.deepclust.graphs.models.VcConfig;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.types.TFloat32;

/**
 * Exports Variational Clustering weights to the SavedModel contract (see {@link ContractExport}),
 * with the optional {@code prior_mix} signature: p(z|ẽ) for soft one-hot rows, the paper's
 * k-interpolation.
 */
public final class VcExport {
  private VcExport() {}

  public static void export(
      VcConfig config, Map<String, TFloat32> weights, JsonObject info, Path target) {
    var description = new ContractExport.Description(VariationalClustering.MODEL,
        config.inputShape(), config.clusters(), config.latentDim(), config.likelihood(),
        config.seed(), new Gson().toJsonTree(config));
    ContractExport.export(description, (tf, p, in) -> {
      var inf = VariationalClustering.inference(tf, p, config, in.x());
      var prior = VariationalClustering.prior(tf, p, config, in.priorCluster());
      var weightsIn = ContractExport.priorMixWeights(tf, config.clusters());
      var mix = VariationalClustering.priorMix(tf, p, config, weightsIn);
      return new ContractExport.Outputs(inf.probs(), inf.cluster(), inf.embedding(),
          inf.reconstruction(), VariationalClustering.decode(tf, p, config, in.z()), prior[0],
          prior[1]).withSignatures(ContractExport.priorMix(weightsIn, mix[0], mix[1]));
    }, weights, info, target);
  }
}
