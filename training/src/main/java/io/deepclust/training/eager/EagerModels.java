package io.deepclust.training.eager;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.TrainingBranch;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The parts every model's eager phases are made of (each model's spec lists its phases): a step
 * graph from the model's training branch, and the feeds of one step.
 */
public final class EagerModels {
  private EagerModels() {}

  /** What one step is fed; a model uses the fields it has inputs for. */
  public record StepInputs(float[] pixels, float[] augmented, int batch, float temperature,
      float reconsScale, float augWeight, long noiseSeed, long t) {}

  /**
   * A model's step graph, the feeds of a step, and the settings eager training needs; {@code
   * trainable} names the weights the step trains (null: all).
   */
  public record EagerModel(StepGraph graph, Function<StepInputs, Map<String, Tensor>> feeds,
      long seed, float adamEpsilon, List<String> trainable) {
    public EagerModel(StepGraph graph, Function<StepInputs, Map<String, Tensor>> feeds, long seed,
        float adamEpsilon) {
      this(graph, feeds, seed, adamEpsilon, null);
    }
  }

  /** A model's training branch on images x: {@code Vab::training} and the like. */
  @FunctionalInterface
  public interface Branch<C extends ModelConfig, T extends TrainingBranch> {
    T build(Ops tf, Params p, C config, Placeholder<TFloat32> x);
  }

  /** The eager step of a model's main objective: its branch's inputs and loss terms. */
  public static <C extends ModelConfig, T extends TrainingBranch> EagerModel main(C c,
      Branch<C, T> branch) {
    return phase(c, branch, TrainingBranch::terms, null);
  }

  /**
   * The eager step of one phase: the branch's inputs, the terms {@code terms} picks from the
   * branch (its first, "loss", the objective), training the weights {@code trainable} (null: all).
   */
  public static <C extends ModelConfig, T extends TrainingBranch> EagerModel phase(C c,
      Branch<C, T> branch, Function<T, Map<String, Operand<TFloat32>>> terms,
      List<String> trainable) {
    // The branch's feed names, known once the step graph is built (before any step is fed).
    Set<String> fed = new HashSet<>();
    StepGraph graph = (tf, p) -> {
      T t = branch.build(tf, p, c, ModelConfig.imageInput(tf, c, TrainingBranch.X));
      fed.clear();
      fed.addAll(t.inputs().keySet());
      return new StepGraph.Built(new LinkedHashMap<>(t.inputs()), terms.apply(t));
    };
    return new EagerModel(graph, in -> feeds(c, in, fed), c.seed(), c.adamEpsilon(), trainable);
  }

  /** The feeds of one step for the inputs {@code fed}, by {@link TrainingBranch}'s feed names. */
  static Map<String, Tensor> feeds(ModelConfig c, StepInputs in, Set<String> fed) {
    int[] s = c.inputShape();
    Shape shape = Shape.of(in.batch(), s[0], s[1], s[2]);
    Map<String, Tensor> f = new LinkedHashMap<>();
    f.put(TrainingBranch.X, TFloat32.tensorOf(shape, DataBuffers.of(in.pixels(), true, false)));
    f.put(TrainingBranch.NOISE_SEED, TInt64.vectorOf(in.noiseSeed(), in.t()));
    if (fed.contains(TrainingBranch.TEMPERATURE)) {
      f.put(TrainingBranch.TEMPERATURE, TFloat32.scalarOf(in.temperature()));
    }
    if (fed.contains(TrainingBranch.X_AUG)) {
      f.put(TrainingBranch.X_AUG,
          TFloat32.tensorOf(shape, DataBuffers.of(in.augmented(), true, false)));
    }
    if (fed.contains(TrainingBranch.RECONS_SCALE)) {
      f.put(TrainingBranch.RECONS_SCALE, TFloat32.scalarOf(in.reconsScale()));
    }
    if (fed.contains(TrainingBranch.AUG_WEIGHT)) {
      f.put(TrainingBranch.AUG_WEIGHT, TFloat32.scalarOf(in.augWeight()));
    }
    return f;
  }
}
