package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.savedmodels.ExportDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.tensorflow.Session;

/**
 * The files of one training run: {@code config.json} (settings and provenance), {@code
 * metrics.jsonl} (one line per epoch), {@code checkpoint-<step>/} (the last few checkpoints, named
 * by the optimizer steps of the whole run) and {@code export/} (the SavedModel).
 *
 * <p>A checkpoint is the full training state: every variable of the graph (weights, batch-norm
 * statistics, optimizer slots) and {@code state.json}: the phase, epochs and steps done in it, and
 * inside an epoch the batches done and the running sums of the loss terms. That is the random state
 * too: batches are drawn from (seed, phase, epoch) and noise from (seed, step), so the counters
 * give the rest of the run exactly. {@code state.json} also lists every file of the checkpoint with
 * its size and SHA-256. A checkpoint is written under a hidden temporary name and renamed into
 * place once complete; a resume takes the newest checkpoint whose files match that list and says
 * which it skipped and why. Runs made before this layout have one {@code checkpoint/}, still read
 * (as the oldest).
 */
public final class RunDirectory {
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.jsonl";
  /** The one checkpoint directory of runs made before {@code checkpoint-<step>/}. */
  public static final String CHECKPOINT = "checkpoint";
  /** Checkpoints are {@code checkpoint-<step>/}, step counting every optimizer step of the run. */
  public static final String CHECKPOINT_PREFIX = "checkpoint-";
  public static final String EXPORT = "export";
  /** Where a checkpoint that failed its check is moved: {@code checkpoint-<step>.corrupt/}. */
  public static final String CORRUPT_SUFFIX = ".corrupt";
  static final String CKPT_PREFIX = "ckpt";
  static final String STATE = "state.json";
  private static final String FILES = "files";
  private static final Pattern COMPLETE = Pattern.compile("checkpoint-(\\d+)");
  /** What {@link ExportDirectory#writeAtomically} leaves when killed: hidden .tmp- / .old- dirs. */
  private static final Pattern UNFINISHED =
      Pattern.compile("\\.checkpoint(-\\d+)?\\.(tmp|old)-.*");
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
   * Where training stood when a checkpoint was written: the phase (index), epochs done in it,
   * optimizer steps done in it, and when it stopped inside an epoch, the batches of that epoch done
   * and the sums of each loss term over them (so the epoch's metrics line comes out as if never
   * stopped); 0 and null at an epoch boundary.
   */
  public record State(int phase, int epochsDone, long steps, int batchesDone, double[] termSums) {
    public static final State START = new State(0, 0, 0);

    /** At an epoch boundary. */
    public State(int phase, int epochsDone, long steps) {
      this(phase, epochsDone, steps, 0, null);
    }
  }

  /** A complete checkpoint: its directory, its step (-1 for the old {@code checkpoint/}), state. */
  public record Checkpoint(Path dir, long step, State state) {
    public String name() {
      return dir.getFileName().toString();
    }
  }

  public void writeConfig(JsonObject config) {
    writeString(dir.resolve(CONFIG), GSON.toJson(config) + "\n");
  }

  /** Writes {@code name} (e.g. {@code joint-start.json}) in the run directory, atomically. */
  public void writeJson(String name, JsonElement json) {
    writeString(dir.resolve(name), GSON.toJson(json) + "\n");
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

  /**
   * Cuts {@code metrics.jsonl} back to the epochs a checkpoint has done, counting lines by phase:
   * keeps the lines of the phases {@code before} and the first {@code epochsDone} of {@code
   * phase} (a phase restored from a cache wrote none). The full file is kept as a backup.
   */
  public void truncateMetrics(Set<String> before, String phase, int epochsDone,
      Consumer<String> notes) {
    Path p = dir.resolve(METRICS);
    if (!Files.exists(p)) {
      return;
    }
    try {
      var lines = Files.readAllLines(p);
      int keep = 0;
      int inPhase = 0;
      for (String line : lines) {
        JsonObject o = GSON.fromJson(line, JsonObject.class);
        String name = o != null && o.has("phase") ? o.get("phase").getAsString() : "";
        if (before.contains(name)) {
          keep++;
        } else if (name.equals(phase) && inPhase < epochsDone) {
          keep++;
          inPhase++;
        } else {
          break;
        }
      }
      keepFirst(p, keep, lines, notes);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot truncate " + p + ": " + e.getMessage(), e);
    }
  }

  private static void keepFirst(Path p, int epochs, List<String> lines,
      Consumer<String> notes) throws IOException {
    if (lines.size() <= epochs) {
      return;
    }
    Path backup = p.resolveSibling(METRICS + ".bak-1");
    for (int i = 2; Files.exists(backup); i++) {
      backup = p.resolveSibling(METRICS + ".bak-" + i);
    }
    Files.copy(p, backup);
    writeString(p, String.join("\n", lines.subList(0, epochs)) + (epochs > 0 ? "\n" : ""));
    notes.accept(String.format("%s: kept its first %d of %d lines (the epochs the checkpoint"
        + " has done); all %d are in %s", METRICS, epochs, lines.size(), lines.size(),
        backup.getFileName()));
  }

  /**
   * Saves every variable of the session's graph and the state as {@code checkpoint-<step>/},
   * written under a temporary name and renamed into place, then deletes all but the newest {@code
   * keep} checkpoints.
   *
   * @return the checkpoint's directory
   */
  public Path saveCheckpoint(Session session, long step, State state, int keep) {
    Path target = dir.resolve(CHECKPOINT_PREFIX + step);
    ExportDirectory.writeAtomically(target, tmp -> {
      Files.createDirectories(tmp);
      session.save(tmp.resolve(CKPT_PREFIX).toString());
      JsonObject files = new JsonObject();
      for (Path f : filesOf(tmp)) {
        JsonObject sum = new JsonObject();
        sum.addProperty("bytes", Files.size(f));
        sum.addProperty("sha256", sha256(f));
        files.add(tmp.relativize(f).toString(), sum);
      }
      JsonObject json = GSON.toJsonTree(state).getAsJsonObject();
      json.add(FILES, files);
      // Written last: a checkpoint without it was never finished.
      Files.writeString(tmp.resolve(STATE), GSON.toJson(json) + "\n");
    });
    List<Path> all = checkpointDirs();
    for (Path old : all.subList(Math.min(keep, all.size()), all.size())) {
      delete(old);
    }
    return target;
  }

  /**
   * The newest complete checkpoint. Newer ones that fail their check (state.json missing or
   * unreadable, a file missing, shorter or longer than listed, or with another SHA-256) and
   * leftovers of saves that were killed are skipped, each with one line to {@code notes} saying
   * what and why; with {@code tidy} (a resume) the leftovers are deleted and the failed ones
   * renamed {@code <name>.corrupt}, so they are never taken again nor count among the kept ones.
   */
  public Optional<Checkpoint> latestCheckpoint(Consumer<String> notes, boolean tidy) {
    for (Path p : list(UNFINISHED)) {
      if (tidy) {
        delete(p);
      }
      notes.accept("checkpoint: skipped " + p.getFileName() + ": a save that never finished (the"
          + " process was killed while writing it)" + (tidy ? "; deleted it" : ""));
    }
    for (Path p : checkpointDirs()) {
      String problem = problem(p);
      if (problem == null) {
        return Optional.of(new Checkpoint(p, stepOf(p), readState(p)));
      }
      String moved = "";
      if (tidy) {
        Path aside = p.resolveSibling(p.getFileName() + CORRUPT_SUFFIX);
        delete(aside);
        try {
          Files.move(p, aside);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot rename " + p + " to " + aside, e);
        }
        moved = "; renamed it " + aside.getFileName();
      }
      notes.accept("checkpoint: skipped " + p.getFileName() + ": " + problem + moved);
    }
    return Optional.empty();
  }

  /** The state of the newest complete checkpoint, if there is one. */
  public Optional<State> checkpointState() {
    return latestCheckpoint(note -> { }, false).map(Checkpoint::state);
  }

  /** Restores every variable of the session's graph from {@code checkpoint}. */
  public void restoreCheckpoint(Session session, Checkpoint checkpoint) {
    session.restore(checkpoint.dir().resolve(CKPT_PREFIX).toString());
  }

  /**
   * Deletes every checkpoint and leftover of a save (a fresh run in this directory); returns how
   * many checkpoints there were.
   */
  public int removeCheckpoints() {
    List<Path> all = checkpointDirs();
    all.forEach(RunDirectory::delete);
    list(UNFINISHED).forEach(RunDirectory::delete);
    return all.size();
  }

  /** The checkpoint directories, newest (highest step) first; the old {@code checkpoint/} last. */
  List<Path> checkpointDirs() {
    List<Path> all = new ArrayList<>(list(COMPLETE));
    all.sort(Comparator.comparingLong(RunDirectory::stepOf).reversed());
    Path legacy = dir.resolve(CHECKPOINT);
    if (Files.isDirectory(legacy)) {
      all.add(legacy);
    }
    return all;
  }

  private List<Path> list(Pattern names) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isDirectory(p)
          && names.matcher(p.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static long stepOf(Path checkpoint) {
    Matcher m = COMPLETE.matcher(checkpoint.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static State readState(Path checkpoint) {
    try {
      return GSON.fromJson(Files.readString(checkpoint.resolve(STATE)), State.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + checkpoint.resolve(STATE), e);
    }
  }

  /** Why a checkpoint directory cannot be restored, or null when it is complete. */
  static String problem(Path checkpoint) {
    Path statePath = checkpoint.resolve(STATE);
    if (!Files.isRegularFile(statePath)) {
      return "it has no " + STATE + " (never finished)";
    }
    JsonObject json;
    try {
      json = GSON.fromJson(Files.readString(statePath), JsonObject.class);
      GSON.fromJson(json, State.class);
    } catch (IOException | RuntimeException e) {
      return "its " + STATE + " is unreadable (truncated or corrupt)";
    }
    if (json == null) {
      return "its " + STATE + " is empty (truncated)";
    }
    if (!json.has(FILES)) {
      // The old checkpoint/ lists no files.
      return Files.isRegularFile(checkpoint.resolve(CKPT_PREFIX + ".index")) ? null
          : "it has no " + CKPT_PREFIX + ".index";
    }
    try {
      for (var e : json.getAsJsonObject(FILES).entrySet()) {
        Path f = checkpoint.resolve(e.getKey());
        JsonObject want = e.getValue().getAsJsonObject();
        if (!Files.isRegularFile(f)) {
          return e.getKey() + " is missing";
        }
        long bytes = Files.size(f);
        if (bytes != want.get("bytes").getAsLong()) {
          return String.format("%s has %d bytes, %s lists %d (truncated or corrupt)", e.getKey(),
              bytes, STATE, want.get("bytes").getAsLong());
        }
        if (!sha256(f).equals(want.get("sha256").getAsString())) {
          return e.getKey() + " does not match its SHA-256 in " + STATE + " (corrupt)";
        }
      }
    } catch (IOException | RuntimeException e) {
      return "its files cannot be checked: " + e.getMessage();
    }
    return null;
  }

  private static List<Path> filesOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
  }

  private static void delete(Path p) {
    try {
      if (Files.exists(p)) {
        PathUtils.deleteDirectory(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + p, e);
    }
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
