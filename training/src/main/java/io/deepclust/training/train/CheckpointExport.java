package io.deepclust.training.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.inference.Contract;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The SavedModel of a run directory's newest complete checkpoint (the export command), and the
 * export info that it and the end of training write.
 */
public final class CheckpointExport {
  private CheckpointExport() {}

  /**
   * Exports the newest complete checkpoint of a run directory to {@code target} (the same
   * SavedModel that training writes at its end); skipped checkpoints are reported on stderr.
   */
  public static Path latest(RunDirectory run, Path target) {
    return latest(run, target, System.err);
  }

  /**
   * {@link #latest(RunDirectory, Path)}, telling {@code notes} which checkpoint it took
   * and which newer ones it skipped and why (the run directory is left as it is).
   */
  public static Path latest(RunDirectory run, Path target, PrintStream notes) {
    JsonObject runConfig = run.readConfig().orElseThrow(() -> new IllegalArgumentException(
        run.path() + " has no " + RunDirectory.CONFIG + ": not a training run directory"));
    RunDirectory.Checkpoint checkpoint = run.latestCheckpoint(notes::println, false)
        .orElseThrow(() -> new IllegalArgumentException(run.path()
            + " has no complete checkpoint yet"));
    RunDirectory.State at = checkpoint.state();
    notes.printf("exporting %s (phase %d, epoch %d, step %d)%n", checkpoint.name(), at.phase(),
        at.epochsDone(), at.steps());
    try (TrainingModel model = Models.open(runConfig.get("model").getAsString(),
        runConfig.get("config"))) {
      run.restoreCheckpoint(model.session(), checkpoint);
      model.export(info(runConfig.get("dataset").getAsString(), runConfig.get("provenance")),
          target);
    }
    return target;
  }

  /** The export's info: made by Java, the dataset, the run's provenance (config.json's). */
  static JsonObject info(String dataset, JsonElement provenance) {
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, dataset);
    info.add("provenance", provenance);
    return info;
  }
}
