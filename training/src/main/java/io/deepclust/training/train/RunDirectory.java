package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.savedmodels.ExportDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.tensorflow.Session;

/**
 * The files of one training run: {@code config.json} (settings and provenance), {@code
 * metrics.jsonl} (one line per epoch), {@code checkpoint/} (full training state: weights, optimizer
 * slots, epoch and step; replaced atomically) and {@code export/} (the SavedModel).
 */
public final class RunDirectory {
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.jsonl";
  public static final String CHECKPOINT = "checkpoint";
  public static final String EXPORT = "export";
  private static final String CKPT_PREFIX = "ckpt";
  private static final String STATE = "state.json";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .serializeSpecialFloatingPointValues().create();

  private final Path dir;

  public RunDirectory(Path dir) {
    this.dir = dir.toAbsolutePath();
    try {
      Files.createDirectories(this.dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + this.dir, e);
    }
  }

  public Path path() {
    return dir;
  }

  public Path exportPath() {
    return dir.resolve(EXPORT);
  }

  /**
   * Where training stood when a checkpoint was written: the phase (index), epochs done in it and
   * optimizer steps done in it.
   */
  public record State(int phase, int epochsDone, long steps) {}

  public void writeConfig(JsonObject config) {
    writeString(dir.resolve(CONFIG), GSON.toJson(config) + "\n");
  }

  public Optional<JsonObject> readConfig() {
    Path p = dir.resolve(CONFIG);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(GSON.fromJson(Files.readString(p), JsonObject.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /** Appends one JSON line to {@code metrics.jsonl}. */
  public void appendMetrics(JsonElement line) {
    try {
      Files.writeString(dir.resolve(METRICS), new Gson().toJson(line) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + dir.resolve(METRICS), e);
    }
  }

  /** Keeps only the first {@code epochs} lines of {@code metrics.jsonl} (after a resume). */
  public void truncateMetrics(int epochs) {
    Path p = dir.resolve(METRICS);
    if (!Files.exists(p)) {
      return;
    }
    try {
      var lines = Files.readAllLines(p);
      if (lines.size() > epochs) {
        writeString(p, String.join("\n", lines.subList(0, epochs)) + (epochs > 0 ? "\n" : ""));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /** Saves every variable of the session's graph and the state, replacing the old checkpoint. */
  public void saveCheckpoint(Session session, State state) {
    ExportDirectory.writeAtomically(dir.resolve(CHECKPOINT), tmp -> {
      Files.createDirectories(tmp);
      session.save(tmp.resolve(CKPT_PREFIX).toString());
      Files.writeString(tmp.resolve(STATE), GSON.toJson(state) + "\n");
    });
  }

  /** The state of the last checkpoint, if there is one. */
  public Optional<State> checkpointState() {
    Path p = dir.resolve(CHECKPOINT).resolve(STATE);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(GSON.fromJson(Files.readString(p), State.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint state " + p, e);
    }
  }

  /** Restores every variable of the session's graph from the checkpoint. */
  public void restoreCheckpoint(Session session) {
    session.restore(dir.resolve(CHECKPOINT).resolve(CKPT_PREFIX).toString());
  }

  private static void writeString(Path p, String s) {
    Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, s, StandardCharsets.UTF_8);
      Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + p, e);
    }
  }
}
