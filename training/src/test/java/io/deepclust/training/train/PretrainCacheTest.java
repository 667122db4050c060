package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** The pretraining cache: round trips, what its key depends on, and corrupt entries refused. */
class PretrainCacheTest {
  static Dataset data(float firstPixel) {
    float[] x = {firstPixel, 0.5f, 1f, 0f, 0.25f, 0.75f, 1f, 0f};
    return new Dataset("toy", x, new int[] {0, 1}, 2, 2, 1, 2);
  }

  static JsonObject recipe(int epochs) {
    JsonObject r = new JsonObject();
    r.addProperty("optimizer", "adam");
    r.addProperty("epochs", epochs);
    return r;
  }

  static PretrainCache.Key key() {
    return PretrainCache.key("vade", recipe(2), data(0.1f), 7L, "fp32");
  }

  static TFloat32 tensor(Shape shape, float... values) {
    return TFloat32.tensorOf(shape, DataBuffers.of(values, true, false));
  }

  static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  /** Stores three weights (a matrix, a vector, a scalar) whose values start at {@code base}. */
  static Path store(PretrainCache cache, float base) {
    Map<String, TFloat32> w = new LinkedHashMap<>();
    w.put("qz_1_kernel", tensor(Shape.of(2, 3), base, -1f, 2.5f, 1e-7f, -0f, 3e8f));
    w.put("qz_1_bias", tensor(Shape.of(3), base + 1, Float.MIN_VALUE, -2f));
    w.put("scale", tensor(Shape.scalar(), base + 2));
    try {
      return cache.store(key(), w, new JsonObject());
    } finally {
      w.values().forEach(TFloat32::close);
    }
  }

  /** Loads the entry of {@link #key}, asserts the values stored from {@code base}, closes them. */
  static void assertLoads(PretrainCache cache, float base) {
    List<String> notes = new ArrayList<>();
    Optional<Map<String, TFloat32>> loaded = cache.load(key(), notes::add);
    assertTrue(loaded.isPresent(), "an entry was just stored; notes " + notes);
    Map<String, TFloat32> w = loaded.get();
    try {
      assertEquals(List.of("qz_1_kernel", "qz_1_bias", "scale"), List.copyOf(w.keySet()));
      assertEquals(Shape.of(2, 3), w.get("qz_1_kernel").shape());
      assertArrayEquals(new float[] {base, -1f, 2.5f, 1e-7f, -0f, 3e8f},
          values(w.get("qz_1_kernel")));
      assertArrayEquals(new float[] {base + 1, Float.MIN_VALUE, -2f}, values(w.get("qz_1_bias")));
      assertEquals(Shape.scalar(), w.get("scale").shape());
      assertEquals(base + 2, w.get("scale").getFloat());
      assertEquals(List.of(), notes);
    } finally {
      w.values().forEach(TFloat32::close);
    }
  }

  static List<String> entries(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void storedWeightsLoadWithTheirValuesAndShapes(@TempDir Path tmp) throws IOException {
    var cache = new PretrainCache(tmp.resolve("cache"));
    Path dir = store(cache, 0.125f);
    assertEquals(tmp.resolve("cache").resolve(key().directoryName()), dir);
    assertLoads(cache, 0.125f);
    assertEquals(List.of(key().directoryName()), entries(cache.root()),
        "no temporary directory is left behind");
  }

  @Test
  void storingTwiceReplacesTheEntry(@TempDir Path tmp) throws IOException {
    var cache = new PretrainCache(tmp);
    store(cache, 1f);
    store(cache, 2f);
    assertLoads(cache, 2f);
    assertEquals(List.of(key().directoryName()), entries(tmp));
  }

  @Test
  void aMissingEntryLoadsEmptyWithoutANote(@TempDir Path tmp) {
    List<String> notes = new ArrayList<>();
    assertTrue(new PretrainCache(tmp.resolve("none")).load(key(), notes::add).isEmpty());
    assertEquals(List.of(), notes);
  }

  @Test
  void theKeyChangesWithEachOfItsPartsAndOnlyWithThem() {
    var base = key();
    assertEquals(base.digest(), PretrainCache.key("vade", recipe(2), data(0.1f), 7L, "fp32")
        .digest(), "equal parts, made anew, give the same key");
    assertEquals(64, base.digest().length());
    List<PretrainCache.Key> others = List.of(
        PretrainCache.key("vade", recipe(3), data(0.1f), 7L, "fp32"),
        PretrainCache.key("vade", recipe(2), data(0.1f), 8L, "fp32"),
        PretrainCache.key("vade", recipe(2), data(0.2f), 7L, "fp32"),
        PretrainCache.key("vade", recipe(2), data(0.1f), 7L, "bf16"),
        PretrainCache.key("kdvae", recipe(2), data(0.1f), 7L, "fp32"));
    for (var other : others) {
      assertNotEquals(base.digest(), other.digest(), other.parts().toString());
      assertNotEquals(base.directoryName(), other.directoryName());
    }
  }

  /** Corrupts the stored entry, then asserts load refuses it with a note naming {@code culprit}. */
  static void assertRefused(Path tmp, String culprit, Corruption corrupt) throws IOException {
    var cache = new PretrainCache(tmp);
    Path dir = store(cache, 1f);
    corrupt.apply(dir);
    List<String> notes = new ArrayList<>();
    assertTrue(cache.load(key(), notes::add).isEmpty(), "a corrupt entry is not loaded");
    assertEquals(1, notes.size(), notes.toString());
    assertTrue(notes.get(0).contains(culprit), "the note names " + culprit + ": " + notes);
    // Pretraining again stores a sound entry over it.
    store(cache, 3f);
    assertLoads(cache, 3f);
  }

  interface Corruption {
    void apply(Path dir) throws IOException;
  }

  @Test
  void aTruncatedWeightFileIsReportedAndIgnored(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, "qz_1_kernel.f32", dir -> {
      Path f = dir.resolve("qz_1_kernel.f32");
      byte[] b = Files.readAllBytes(f);
      Files.write(f, Arrays.copyOf(b, b.length - 4));
    });
  }

  @Test
  void aWeightFileWithAFlippedBitIsReportedAndIgnored(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, "qz_1_bias.f32", dir -> {
      Path f = dir.resolve("qz_1_bias.f32");
      byte[] b = Files.readAllBytes(f);
      b[5] ^= 1;
      Files.write(f, b);
    });
  }

  @Test
  void aMissingWeightFileIsReportedAndIgnored(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, "scale.f32", dir -> Files.delete(dir.resolve("scale.f32")));
  }

  // A broken manifest's note names the entry's directory (its parse error names no file).
  @Test
  void aBrokenManifestIsReportedAndIgnored(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, key().directoryName(), dir -> {
      Path f = dir.resolve("manifest.json");
      String m = Files.readString(f);
      Files.writeString(f, m.substring(0, m.length() / 2));
    });
  }

  @Test
  void anEmptyManifestIsReportedAndIgnored(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, key().directoryName(),
        dir -> Files.writeString(dir.resolve("manifest.json"), ""));
  }
}
