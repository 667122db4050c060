package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.commons.io.file.PathUtils;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Pretrained autoencoders kept between runs, so the seeds of a benchmark (and k-DVAE's initialising
 * VaDE) pay for pretraining once. An entry is a directory {@code <model>-<key>/} under the cache
 * root holding {@code manifest.json} (what the key was made of, each weight's shape, file size and
 * SHA-256) and one raw little-endian float32 file per weight, {@code <name>.f32}. The key is the
 * SHA-256 of the architecture, the recipe, the training data's pixels, the seed and the precision:
 * anything that changes the pretrained weights changes the key.
 *
 * <p>An entry is written under a hidden temporary name and renamed into place once complete; an
 * entry that fails its check (a file missing, a size or digest that differs) is reported and
 * ignored, and the pretraining runs again.
 */
public final class PretrainCache {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
  private static final String MANIFEST = "manifest.json";

  private final Path root;

  public PretrainCache(Path root) {
    this.root = root;
  }

  /** {@code $DEEPCLUST_CACHE/pretrained}, else {@code ~/.cache/deepclust/pretrained}. */
  public static Path defaultRoot() {
    String env = System.getenv("DEEPCLUST_CACHE");
    Path base = env != null && !env.isBlank() ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".cache", "deepclust");
    return base.resolve("pretrained");
  }

  public Path root() {
    return root;
  }

  /** What identifies one pretraining: its parts in the manifest, their digest as the key. */
  public record Key(String model, JsonObject parts, String digest) {
    public String directoryName() {
      return model + "-" + digest.substring(0, 24);
    }
  }

  /**
   * The key of pretraining {@code model} with {@code recipe} (architecture and recipe settings, as
   * JSON) on {@code data} from {@code seed} at {@code precision}.
   */
  public static Key key(String model, JsonObject recipe, Dataset data, long seed,
      String precision) {
    JsonObject parts = new JsonObject();
    // Format 2: initial weights seeded by variable name (format 1 drew them by creation index).
    parts.addProperty("format", 2);
    parts.addProperty("model", model);
    parts.add("recipe", recipe);
    parts.addProperty("data", data.name());
    parts.addProperty("data_n", data.n());
    parts.addProperty("data_sha256", pixelDigest(data));
    parts.addProperty("seed", seed);
    parts.addProperty("precision", precision);
    String digest = sha256(GSON.toJson(parts).getBytes(StandardCharsets.UTF_8));
    return new Key(model, parts, digest);
  }

  /** The cached weights of {@code key}, or empty (with a note when an entry was unusable). */
  public Optional<Map<String, TFloat32>> load(Key key, Consumer<String> notes) {
    Path dir = root.resolve(key.directoryName());
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    Map<String, TFloat32> out = new LinkedHashMap<>();
    try {
      JsonObject manifest = readManifest(dir.resolve(MANIFEST));
      if (!key.digest().equals(manifest.get("key").getAsString())) {
        throw new IOException("its key differs from this run's");
      }
      for (var e : manifest.getAsJsonObject("weights").entrySet()) {
        JsonObject w = e.getValue().getAsJsonObject();
        Path file = dir.resolve(e.getKey() + ".f32");
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != w.get("bytes").getAsLong()
            || !sha256(bytes).equals(w.get("sha256").getAsString())) {
          throw new IOException(file.getFileName() + " has a size or SHA-256 other than its"
              + " manifest's");
        }
        long[] dims = GSON.fromJson(w.get("shape"), long[].class);
        float[] values = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        out.put(e.getKey(), TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(values, true,
            false)));
      }
      return Optional.of(out);
    } catch (IOException | RuntimeException e) {
      out.values().forEach(TFloat32::close);
      notes.accept("pretraining cache: ignored " + dir + ": " + e.getMessage()
          + "; pretraining again");
      return Optional.empty();
    }
  }

  /** An entry's manifest, or an IOException naming the file and what is wrong with it. */
  private static JsonObject readManifest(Path file) throws IOException {
    JsonObject manifest;
    try {
      manifest = GSON.fromJson(Files.readString(file), JsonObject.class);
    } catch (RuntimeException e) {
      throw new IOException(MANIFEST + " is not JSON (" + e.getMessage() + ")");
    }
    if (manifest == null || !manifest.has("key") || !manifest.has("weights")) {
      throw new IOException(MANIFEST + " is empty or lacks \"key\" and \"weights\"");
    }
    return manifest;
  }

  /**
   * Stores {@code weights} as the entry of {@code key} (replacing an unusable one); {@code info}
   * (e.g. the recipe's last loss) goes into the manifest. Returns the entry's directory.
   */
  public Path store(Key key, Map<String, TFloat32> weights, JsonObject info) {
    Path dir = root.resolve(key.directoryName());
    Path tmp = root.resolve("." + key.directoryName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(root);
      if (Files.exists(tmp)) {
        PathUtils.deleteDirectory(tmp);
      }
      Files.createDirectories(tmp);
      JsonObject entries = new JsonObject();
      for (var e : weights.entrySet()) {
        TFloat32 t = e.getValue();
        float[] values = new float[(int) t.shape().size()];
        t.asRawTensor().data().asFloats().read(values);
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        Files.write(tmp.resolve(e.getKey() + ".f32"), bytes.array());
        JsonObject w = new JsonObject();
        w.add("shape", GSON.toJsonTree(t.shape().asArray()));
        w.addProperty("bytes", bytes.array().length);
        w.addProperty("sha256", sha256(bytes.array()));
        entries.add(e.getKey(), w);
      }
      JsonObject manifest = new JsonObject();
      manifest.addProperty("key", key.digest());
      manifest.add("parts", key.parts());
      manifest.add("info", info);
      manifest.add("weights", entries);
      Files.writeString(tmp.resolve(MANIFEST), GSON.toJson(manifest) + "\n");
      if (Files.exists(dir)) {
        PathUtils.deleteDirectory(dir);
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the pretraining cache entry " + dir, e);
    }
  }

  /** SHA-256 of the pixels' float32 bits, little-endian (the data part of a key). */
  static String pixelDigest(Dataset data) {
    MessageDigest md = digest();
    float[] pixels = data.pixels();
    ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : pixels) {
      if (!chunk.hasRemaining()) {
        md.update(chunk.array(), 0, chunk.position());
        chunk.clear();
      }
      chunk.putFloat(v);
    }
    md.update(chunk.array(), 0, chunk.position());
    return HexFormat.of().formatHex(md.digest());
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
