package io.deepclust.training.train;

import io.deepclust.graphs.Params;
import io.deepclust.graphs.train.AdamStep;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

/**
 * What the Java ↔ Python cross-check (docs/crosscheck.md) needs of a training graph: its
 * variables, the named outputs of its training branch (the reference's {@code out__<name>}), its
 * inference outputs, the gradients of its main loss, and its main optimizer step.
 */
public interface CrossCheckable {
  Params params();

  Session session();

  /** Training-branch outputs by the reference's names (loss terms, logits, ...). */
  Map<String, Operand<?>> trainingOutputs();

  /** probs, cluster, z, x_hat of the inference branch. */
  Map<String, Operand<?>> inferenceOutputs();

  /** Gradients of the main loss, in the order of {@link #gradientNames}. */
  List<Output<TFloat32>> gradients();

  /** The variables the main optimizer trains: every trainable one unless a model says less. */
  default List<String> gradientNames() {
    return params().trainableNames();
  }

  /** The main optimizer: its slots are part of the training state the per-step check loads. */
  AdamStep adam();

  /**
   * Taps every following step of the main optimizer (null: none): its feeds, gradients and the
   * gradients it applied (per-step parity).
   */
  void tapMainStep(StepTap tap);

  /** Feeds the forward pass: images, noise seed [noiseSeed, t] and, where used, a temperature. */
  Session.Runner feed(Session.Runner runner, TFloat32 images, long noiseSeed, long t,
      float temperature);

  /**
   * The reference's model-specific settings: its manifest and its extra inputs ({@code in__NAME}
   * tensors other than x and x_train, by NAME, flattened), e.g. an augmented batch. Most models
   * have none.
   */
  default void crossCheckInputs(com.google.gson.JsonObject manifest,
      Map<String, float[]> inputs) {}

  /** One step of the main optimizer over every trainable variable. */
  void crossCheckStep(float[] pixels, int batch, float learningRate, float temperature,
      long noiseSeed, long t);
}
