package io.deepclust.savedmodels;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.deepclust.graphs.models.Vab;
import io.deepclust.graphs.models.VabConfig;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Exports VAB weights to the SavedModel contract (see {@link ContractExport}) with the VAB
 * signatures: {@code compress} (the data vendor: images → bits) and {@code classify_bits} (the data
 * consumer: bits → probs, cluster). {@code prior} has the mean (Bernoulli probabilities) only.
 */
public final class VabExport {
  private VabExport() {}

  @SuppressWarnings("unchecked")
  public static void export(
      VabConfig config, Map<String, TFloat32> weights, JsonObject info, Path target) {
    var description = new ContractExport.Description(Vab.MODEL, config.inputShape(),
        config.clusters(), config.bits(), config.likelihood(), config.seed(),
        new Gson().toJsonTree(config));
    ContractExport.export(description, (tf, p, in) -> {
      var inf = Vab.inference(tf, p, config, in.x());
      var bitsIn = ContractExport.bitsInput(tf, config.bits());
      var classified = Vab.classifyBits(tf, p, config, bitsIn);
      return new ContractExport.Outputs(inf.probs(), inf.cluster(), inf.embedding(),
          inf.reconstruction(), Vab.decode(tf, p, config, in.z()),
          Vab.prior(tf, p, config, in.priorCluster()), null).withSignatures(
              ContractExport.compress(in.x(), Vab.compress(tf, p, config, in.x())),
              ContractExport.classifyBits(bitsIn, (Operand<TFloat32>) classified[0],
                  (Operand<TInt64>) classified[1]));
    }, weights, info, target);
  }
}
