package io.deepclust.training.eager;

import io.deepclust.graphs.Params;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A model's training objective as eager training compiles it: the model's own graph builder, run on
 * function-mode {@link Params} (weights are inputs), returns what to feed and what to fetch.
 */
@FunctionalInterface
public interface StepGraph {
  /**
   * @param inputs the step's inputs other than weights (x, noise_seed, temperature, ...), by name
   * @param outputs the loss terms by name, "loss" (the objective differentiated) among them
   */
  record Built(Map<String, Operand<?>> inputs, Map<String, Operand<TFloat32>> outputs) {}

  Built build(Ops tf, Params p);
}
