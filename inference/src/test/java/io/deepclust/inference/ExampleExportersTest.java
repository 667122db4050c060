package io.deepclust.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worked examples of docs/contract.md ({@code docs/examples/export_*.py}) export SavedModels
 * that this module loads as {@code generic} models and that give, through TF-Java, the numbers
 * TensorFlow's Python runtime gives for the same export and inputs.
 *
 * <p>Runs the Python reference's venv ({@code tools/python/.venv}, which {@code tools/test}
 * installs before Maven runs) or the interpreter named by {@code DEEPCLUST_PYTHON}; without either
 * it fails, naming what to run, rather than skip.
 */
class ExampleExportersTest {
  private static final double TOL = 1e-5;
  private static final int N = 6;
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  /**
   * Exports with the example (argv[1]) to argv[2], then writes to argv[3] what Python's
   * tf.saved_model.load gives for the inputs {@link #images} and {@link #latents} describe.
   */
  private static final String EXPORT_AND_RUN =
      """
      import importlib.util, json, sys
      import numpy as np
      import tensorflow as tf
      spec = importlib.util.spec_from_file_location("example", sys.argv[1])
      example = importlib.util.module_from_spec(spec)
      spec.loader.exec_module(example)
      path = example.export(sys.argv[2])
      info = json.load(open(path + "/assets/deepclust.json"))
      (h, w, c), k, zd, n = info["input_shape"], info["clusters"], info["latent_dim"], %d
      i, j = np.meshgrid(np.arange(n), np.arange(h * w * c), indexing="ij")
      x = (((i * 31 + j * 7) %% 101) / 100.0).astype(np.float32).reshape(n, h, w, c)
      i, j = np.meshgrid(np.arange(n), np.arange(zd), indexing="ij")
      z = (((i * 5 + j * 3) %% 11) / 5.0 - 1.0).astype(np.float32)
      cl = (np.arange(n) %% k).astype(np.int32)
      s = tf.saved_model.load(path).signatures
      a, e = s["serving_default"](x=tf.constant(x)), s["embed"](x=tf.constant(x))
      r = s["reconstruct"](x=tf.constant(x))
      d = s["decode"](z=tf.constant(z), cluster=tf.constant(cl))
      p = s["prior"](cluster=tf.constant(np.arange(k, dtype=np.int32)))
      out = {"probs": a["probs"], "cluster": a["cluster"], "z": e["z"], "reconstruct": r["x_hat"],
             "decode": d["x_hat"], "mean": p["mean"], "stddev": p["stddev"]}
      json.dump({key: v.numpy().reshape(v.shape[0], -1).tolist() if len(v.shape) > 1
                 else v.numpy().tolist() for key, v in out.items()}, open(sys.argv[3], "w"))
      """
          .formatted(N);

  @TempDir Path dir;

  @Test
  void tfModuleExampleLoadsAsAGenericModelWithPythonsNumbers() throws Exception {
    assertLoadsWithPythonsNumbers("export_tf_module.py");
  }

  @Test
  void kerasExampleLoadsAsAGenericModelWithPythonsNumbers() throws Exception {
    assertLoadsWithPythonsNumbers("export_keras.py");
  }

  private void assertLoadsWithPythonsNumbers(String example) throws Exception {
    Path export = dir.resolve("export");
    Path expected = dir.resolve("expected.json");
    python(ROOT.resolve("docs/examples").resolve(example), export, expected);
    @SuppressWarnings("unchecked")
    Map<String, Object> want =
        (Map<String, Object>) Json.parse(Files.readString(expected, StandardCharsets.UTF_8));
    try (ClusteringModel m = ClusteringModel.load(export)) {
      ModelInfo info = m.info();
      assertEquals(Contract.MODEL_GENERIC, info.model());
      assertArrayEquals(new int[] {28, 28, 1}, info.inputShape());
      int k = info.clusters();
      float[][] x = images(N, info.pixels());
      float[][] z = latents(N, info.latentDim());
      int[] clusters = new int[N];
      for (int i = 0; i < N; i++) clusters[i] = i % k;
      int[] every = new int[k];
      for (int i = 0; i < k; i++) every[i] = i;
      Assignment a = m.assign(x);
      Prior prior = m.prior(every);
      assertClose(want.get("probs"), a.probs(), "probs");
      assertArrayEquals(longs(want.get("cluster")), a.clusters(), "cluster");
      assertClose(want.get("z"), m.embed(x), "z");
      assertClose(want.get("reconstruct"), m.reconstruct(x), "reconstruct");
      assertClose(want.get("decode"), m.decode(z, clusters), "decode");
      assertClose(want.get("mean"), prior.mean(), "prior mean");
      assertClose(want.get("stddev"), prior.stddev(), "prior stddev");
    }
    // a Python (TF2) export keeps its weights in variables/ too: without it, refused at load
    try (var files = Files.walk(export.resolve("variables"))) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
    ContractException e = assertThrows(ContractException.class, () -> ClusteringModel.load(export));
    assertTrue(
        e.getMessage().startsWith(export.resolve("variables") + ": missing"), e.getMessage());
  }

  /** Row i, value j: ((31i + 7j) mod 101) / 100, in [0, 1]; the script builds the same. */
  private static float[][] images(int n, int pixels) {
    float[][] x = new float[n][pixels];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < pixels; j++) x[i][j] = (float) (((i * 31 + j * 7) % 101) / 100.0);
    return x;
  }

  /** Row i, value j: ((5i + 3j) mod 11) / 5 − 1; the script builds the same. */
  private static float[][] latents(int n, int width) {
    float[][] z = new float[n][width];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < width; j++) z[i][j] = (float) (((i * 5 + j * 3) % 11) / 5.0 - 1.0);
    return z;
  }

  private static void python(Path example, Path export, Path expected) throws Exception {
    Path log = export.resolveSibling("python.log");
    Process p =
        new ProcessBuilder(
                interpreter(),
                "-c",
                EXPORT_AND_RUN,
                example.toString(),
                export.toString(),
                expected.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    p.getOutputStream().close();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(example + " ran past 300 s");
    }
    assertEquals(0, p.exitValue(), example + " failed:\n" + Files.readString(log));
  }

  /** {@code DEEPCLUST_PYTHON}, else the reference's venv; fails naming both if neither exists. */
  private static String interpreter() {
    String env = System.getenv("DEEPCLUST_PYTHON");
    if (env != null && !env.isEmpty()) return env;
    Path venv = ROOT.resolve("tools/python/.venv/bin/python");
    assertTrue(
        Files.isExecutable(venv),
        venv
            + " missing: run tools/python/setup-venv (tools/test does) or set DEEPCLUST_PYTHON to a"
            + " Python with TensorFlow 2.18");
    return venv.toString();
  }

  private static void assertClose(Object want, float[][] got, String what) {
    List<?> rows = (List<?>) want;
    assertEquals(rows.size(), got.length, what + " rows");
    for (int i = 0; i < got.length; i++) {
      List<?> row = (List<?>) rows.get(i);
      assertEquals(row.size(), got[i].length, what + " row " + i + " width");
      for (int j = 0; j < got[i].length; j++) {
        double w = ((Number) row.get(j)).doubleValue();
        assertEquals(w, got[i][j], TOL, what + "[" + i + "][" + j + "]");
      }
    }
  }

  private static int[] longs(Object want) {
    return ((List<?>) want).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
  }
}
