package io.deepclust.training.perf;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.train.Device;
import io.deepclust.training.train.EagerTraining;
import io.deepclust.training.train.ConfigOptions;
import io.deepclust.training.train.Models;
import io.deepclust.training.train.Phase;
import io.deepclust.training.train.SessionSettings;
import io.deepclust.training.train.TrainingModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * The Java side of {@code bench/perf}: one process holding one model (or one SavedModel) that times
 * what the orchestrator asks on stdin, one command per line, answering one line on stdout, so that
 * the Java and Python workers can take turns on an otherwise idle machine.
 *
 * <pre>
 *   train N       → "times NS..."  N optimizer steps of the model's main phase on the fixed batch
 *   infer B N     → "times NS..."  N calls of serving_default (ClusteringModel.assign) on B images
 *   matmul N R    → "times NS..."  R fp32 N×N by N×N matmuls in a session
 *   export DIR    → "ok"           the model's SavedModel (its current weights) at DIR
 *   rss           → "rss PEAK_KB CURRENT_KB"   VmHWM and VmRSS of this process
 *   quit
 * </pre>
 *
 * At start it prints {@code ready JSON} (role, model, mode, phase, batch, threads, config). The
 * training batch is the first B images of MNIST's training set, the inference images the first ones
 * of its test set; steps count t from 1 at epoch 0 of the phase, as a run's first epoch.
 */
public final class PerfWorker implements AutoCloseable {
  private final TrainingModel model;
  private final Phase phase;
  private final float[] pixels;
  private final int[] indices;
  private final ClusteringModel served;
  private final float[][] images;
  private final ConfigProto config;
  private final boolean xla;
  private long t;

  private PerfWorker(TrainingModel model, Phase phase, float[] pixels, int[] indices,
      ClusteringModel served, float[][] images, ConfigProto config, boolean xla) {
    this.model = model;
    this.phase = phase;
    this.pixels = pixels;
    this.indices = indices;
    this.served = served;
    this.images = images;
    this.config = config;
    this.xla = xla;
  }

  /** The paper's MNIST config of a model (as {@code train} makes it without options), as JSON. */
  public static JsonElement defaultConfig(String model, long seed) {
    return Models.spec(model).configJson(ConfigOptions.mnist(seed));
  }

  /** The session config every worker uses: CPU, {@code threads} intra- and inter-op threads. */
  static SessionSettings settings(int threads, boolean xla) {
    return new SessionSettings(Device.DEFAULT, threads, false, xla);
  }

  /** A worker that trains {@code model} (mode "session" or "eager") at its config's batch size. */
  public static PerfWorker training(String model, String mode, int threads, boolean xla) {
    SessionSettings settings = settings(threads, xla);
    TrainingModel m = Models.open(model, defaultConfig(model, 1), settings);
    try {
      if (mode.equals("eager")) {
        m = EagerTraining.wrap(m);
      } else if (!mode.equals("session")) {
        throw new IllegalArgumentException("mode is session or eager, not '" + mode + "'");
      }
      List<Phase> phases = m.phases();
      Phase main = phases.get(phases.size() - 1);
      Dataset train = Datasets.byName(Datasets.MNIST, Split.TRAIN);
      int[] idx = IntStream.range(0, main.batchSize()).toArray();
      return new PerfWorker(m, main, Batcher.gatherPixels(train, idx), idx, null, null,
          settings.configProto(), xla);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** A worker that serves the SavedModel at {@code dir} through the inference module. */
  public static PerfWorker inference(Path dir, int maxBatch, int threads, boolean xla) {
    ConfigProto proto = settings(threads, xla).configProto();
    ClusteringModel served = ClusteringModel.load(dir, maxBatch, proto);
    try {
      Dataset test = Datasets.byName(Datasets.MNIST, Split.TEST);
      float[][] rows = new float[maxBatch][];
      for (int i = 0; i < maxBatch; i++) {
        rows[i] = Batcher.gatherPixels(test, new int[] {i % test.n()});
      }
      return new PerfWorker(null, null, null, null, served, rows, proto, xla);
    } catch (RuntimeException e) {
      served.close();
      throw e;
    }
  }

  /** What the worker says when it is ready. */
  public JsonObject describe(String role, String mode, int threads) {
    JsonObject o = new JsonObject();
    o.addProperty("role", role);
    o.addProperty("threads", threads);
    o.addProperty("xla", xla);
    if (model != null) {
      o.addProperty("model", model.modelName());
      o.addProperty("mode", mode);
      o.addProperty("phase", phase.name());
      o.addProperty("batch", phase.batchSize());
      o.add("config", model.configJson());
    } else {
      o.addProperty("model", served.info().model());
      o.addProperty("max_batch", images.length);
    }
    return o;
  }

  /** Times n optimizer steps (nanoseconds each). */
  long[] train(int n) {
    requireTraining();
    long[] times = new long[n];
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      float[] terms = phase.step(pixels, indices, 0, ++t);
      times[i] = System.nanoTime() - start;
      if (!Float.isFinite(terms[0])) {
        throw new IllegalStateException(phase.name() + " loss became " + terms[0] + " at step " + t);
      }
    }
    return times;
  }

  /** Times n calls of serving_default on the first b images. */
  long[] infer(int b, int n) {
    if (served == null) {
      throw new IllegalStateException("this worker trains; start one with --savedmodel to infer");
    }
    if (b < 1 || b > images.length) {
      throw new IllegalArgumentException("batch " + b + " outside [1, " + images.length + "]");
    }
    float[][] batch = java.util.Arrays.copyOf(images, b);
    long[] times = new long[n];
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      int[] clusters = served.assign(batch).clusters();
      times[i] = System.nanoTime() - start;
      if (clusters.length != b) {
        throw new IllegalStateException(clusters.length + " clusters for " + b + " images");
      }
    }
    return times;
  }

  /** Times r products of two random N×N fp32 matrices (2N³ flops each), inputs fed, output kept. */
  long[] matmul(int size, int r) {
    SplittableRandom random = new SplittableRandom(7);
    float[] values = new float[size * size];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    long[] times = new long[r];
    try (Graph g = new Graph();
        Session s = config == null ? new Session(g) : new Session(g, config);
        TFloat32 a = TFloat32.tensorOf(Shape.of(size, size), DataBuffers.of(values, true, false));
        TFloat32 b = TFloat32.tensorOf(Shape.of(size, size), DataBuffers.of(values, true, false))) {
      Ops tf = Ops.create(g);
      var pa = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(size, size)));
      var pb = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(size, size)));
      var product = tf.linalg.matMul(pa, pb);
      for (int i = 0; i < r; i++) {
        long start = System.nanoTime();
        s.runner().feed(pa, a).feed(pb, b).addTarget(product).run().close();
        times[i] = System.nanoTime() - start;
      }
    }
    return times;
  }

  void export(Path dir) {
    requireTraining();
    JsonObject info = new JsonObject();
    info.addProperty(io.deepclust.inference.Contract.JSON_MADE_BY, "java");
    info.addProperty(io.deepclust.inference.Contract.JSON_DATASET, Datasets.MNIST);
    phase.beforeCheckpoint();
    model.export(info, dir);
  }

  private void requireTraining() {
    if (model == null) {
      throw new IllegalStateException("this worker serves a SavedModel; start one with --model to"
          + " train");
    }
  }

  /** VmHWM and VmRSS of this process in kB (Linux), -1 where /proc is not there. */
  static long[] rss() {
    long[] out = {-1, -1};
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          out[0] = Long.parseLong(line.replaceAll("[^0-9]", ""));
        } else if (line.startsWith("VmRSS:")) {
          out[1] = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Not Linux: the orchestrator records -1.
    }
    return out;
  }

  /** Answers the commands on {@code in} until "quit" or its end. */
  void serve(BufferedReader in, PrintStream out) {
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] w = line.trim().split("\\s+");
        try {
          switch (w[0]) {
            case "train" -> out.println(times(train(Integer.parseInt(w[1]))));
            case "infer" -> out.println(times(infer(Integer.parseInt(w[1]),
                Integer.parseInt(w[2]))));
            case "matmul" -> out.println(times(matmul(Integer.parseInt(w[1]),
                Integer.parseInt(w[2]))));
            case "export" -> {
              export(Path.of(w[1]));
              out.println("ok");
            }
            case "rss" -> {
              long[] r = rss();
              out.println("rss " + r[0] + " " + r[1]);
            }
            case "quit" -> {
              return;
            }
            default -> out.println("error unknown command '" + w[0] + "'");
          }
        } catch (RuntimeException e) {
          out.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String times(long[] ns) {
    StringBuilder b = new StringBuilder("times");
    for (long v : ns) {
      b.append(' ').append(v);
    }
    return b.toString();
  }

  /** Reads commands from stdin, answers on stdout (everything else goes to stderr). */
  public static void run(PerfWorker worker, JsonObject ready) {
    PrintStream out = System.out;
    out.println("ready " + ready);
    out.flush();
    worker.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
  }

  @Override
  public void close() {
    if (model != null) {
      model.close();
    }
    if (served != null) {
      served.close();
    }
  }
}
