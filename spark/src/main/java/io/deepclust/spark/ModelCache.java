package io.deepclust.spark;

import io.deepclust.inference.ClusteringModel;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SavedModels of this JVM (an executor, or the driver in local mode): each loaded once, on the
 * first task that needs it, shared by every task of the JVM (a {@link ClusteringModel} is
 * thread-safe) and closed by a shutdown hook when the JVM exits. Keyed by the model directory's
 * absolute, normalised path.
 */
final class ModelCache {
  private static final Map<Path, ClusteringModel> MODELS = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static volatile boolean hooked;

  private ModelCache() {}

  /** The model at {@code dir}, loaded by the first caller; later callers wait for that load. */
  static ClusteringModel get(String dir) {
    hook();
    return MODELS.computeIfAbsent(key(dir), d -> {
      LOADS.incrementAndGet();
      return ClusteringModel.load(d);
    });
  }

  /** How many models this JVM's cache has loaded so far (tests). */
  static int loads() {
    return LOADS.get();
  }

  /** Whether this JVM holds the model at {@code dir} (tests). */
  static boolean holds(String dir) {
    return MODELS.containsKey(key(dir));
  }

  /** Closes and forgets every model (the shutdown hook; tests). */
  static synchronized void closeAll() {
    for (Path dir : MODELS.keySet()) {
      ClusteringModel model = MODELS.remove(dir);
      if (model != null) {
        model.close();
      }
    }
  }

  /**
   * The local directory that {@code dir} names: a path, or a {@code file:} URI (as Spark writes
   * local paths). TensorFlow reads a SavedModel from the local file system only.
   */
  static Path localPath(String dir) {
    Path p = dir.startsWith("file:") ? Path.of(URI.create(dir)) : Path.of(dir);
    return p.toAbsolutePath().normalize();
  }

  private static Path key(String dir) {
    return localPath(dir);
  }

  private static void hook() {
    if (hooked) {
      return;
    }
    synchronized (ModelCache.class) {
      if (!hooked) {
        Runtime.getRuntime()
            .addShutdownHook(new Thread(ModelCache::closeAll, "deepclust-model-cache-close"));
        hooked = true;
      }
    }
  }
}
