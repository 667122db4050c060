package io.deepclust.training.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Session;

/**
 * A model's training graph in its own session, as the generic {@link Trainer} drives it: its
 * phases, hard assignments for evaluation, and its export to the SavedModel contract.
 */
public interface TrainingModel extends AutoCloseable {
  String modelName();

  /** The config record as JSON (written to config.json and deepclust.json). */
  JsonElement configJson();

  long seed();

  int[] inputShape();

  Session session();

  /** The device, threads and logging its session was opened with. */
  default SessionSettings sessionSettings() {
    return SessionSettings.DEFAULTS;
  }

  List<Phase> phases();

  /** Hard cluster assignments of every image by the inference branch. */
  int[] assign(Dataset data);

  /**
   * Model-specific metrics of a dataset after an epoch, by key (written as {@code <set>_<key>}),
   * e.g. VAB's PSNR of reconstructions; none by default.
   */
  default java.util.Map<String, Double> extraMetrics(Dataset data) {
    return java.util.Map.of();
  }

  /** Exports the current weights to {@code target}; {@code info} holds made_by, dataset, metrics. */
  void export(JsonObject info, Path target);

  @Override
  void close();
}
