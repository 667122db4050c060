package io.deepclust.training.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lines of a run's {@code metrics.jsonl} (one per epoch, as the trainer writes them) and what
 * they hold: loss terms, evaluated sets, phases.
 *
 * <p>A loss term is a numeric key other than the bookkeeping ones ({@link #NOT_TERMS}) and the
 * evaluation ones: {@code <set>_acc}, {@code _nmi}, {@code _ari}, {@code _psnr}, or anything
 * else prefixed by an evaluated set's name.
 */
public final class MetricsLog {
  /** Numeric keys that are not loss terms. */
  public static final Set<String> NOT_TERMS =
      Set.of("epoch", "phase_epoch", "step", "learning_rate", "seconds", "train_seconds");

  private static final Pattern EVALUATION = Pattern.compile("(.+)_(acc|nmi|ari|psnr)");

  private final List<JsonObject> lines;

  public MetricsLog(List<JsonObject> lines) {
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("no metrics lines: no epoch has finished");
    }
    this.lines = List.copyOf(lines);
  }

  /**
   * Reads {@code metrics.jsonl}, skipping blank lines.
   *
   * @throws IllegalArgumentException naming the file and line if one is not a JSON object
   */
  public static MetricsLog read(Path file) {
    List<String> text;
    try {
      text = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<JsonObject> lines = new ArrayList<>();
    for (int i = 0; i < text.size(); i++) {
      if (text.get(i).isBlank()) {
        continue;
      }
      try {
        lines.add(JsonParser.parseString(text.get(i)).getAsJsonObject());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + " is not a JSON object");
      }
    }
    if (lines.isEmpty()) {
      throw new IllegalArgumentException(file + " is empty: no epoch has finished");
    }
    return new MetricsLog(lines);
  }

  public List<JsonObject> lines() {
    return lines;
  }

  public JsonObject last() {
    return lines.get(lines.size() - 1);
  }

  /** The names of the evaluated sets ({@code test}, {@code all}, ...) in order of appearance. */
  public List<String> evaluatedSets() {
    Set<String> sets = new LinkedHashSet<>();
    for (JsonObject line : lines) {
      for (String key : line.keySet()) {
        Matcher m = EVALUATION.matcher(key);
        if (m.matches() && m.group(2).equals("acc")) {
          sets.add(m.group(1));
        }
      }
    }
    return new ArrayList<>(sets);
  }

  /** The loss terms, in order of appearance. */
  public List<String> lossTerms() {
    List<String> sets = evaluatedSets();
    Set<String> terms = new LinkedHashSet<>();
    for (JsonObject line : lines) {
      for (Map.Entry<String, JsonElement> e : line.entrySet()) {
        String key = e.getKey();
        if (isNumber(e.getValue()) && !NOT_TERMS.contains(key)
            && !EVALUATION.matcher(key).matches()
            && sets.stream().noneMatch(s -> key.startsWith(s + "_"))) {
          terms.add(key);
        }
      }
    }
    return new ArrayList<>(terms);
  }

  /** A phase of consecutive lines: its name and first and last (overall) epochs. */
  public record Phase(String name, int firstEpoch, int lastEpoch) {}

  /** The phases, in order; consecutive lines of the same phase name form one. */
  public List<Phase> phases() {
    List<Phase> phases = new ArrayList<>();
    for (JsonObject line : lines) {
      String name = line.has("phase") ? line.get("phase").getAsString() : "";
      int epoch = epoch(line);
      Phase last = phases.isEmpty() ? null : phases.get(phases.size() - 1);
      if (last != null && last.name().equals(name)) {
        phases.set(phases.size() - 1, new Phase(name, last.firstEpoch(), epoch));
      } else {
        phases.add(new Phase(name, epoch, epoch));
      }
    }
    return phases;
  }

  /** The line's overall epoch (1-based). */
  public static int epoch(JsonObject line) {
    return line.get("epoch").getAsInt();
  }

  /** The line's value of {@code key}, or NaN when it has none or it is not a number. */
  public static double value(JsonObject line, String key) {
    JsonElement v = line.get(key);
    return isNumber(v) ? v.getAsDouble() : Double.NaN;
  }

  private static boolean isNumber(JsonElement v) {
    return v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber();
  }
}
