package io.deepclust.inference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TNumber;

/**
 * Builds a tiny SavedModel that meets the contract (H=W=2, C=1, K=3, Z=2), or breaks it on request,
 * and computes the same functions in plain Java for comparison.
 *
 * <pre>
 * logits = flat(x)·A   probs = softmax(logits)   cluster = argmax(logits)
 * z = flat(x)·V        x_hat = sigmoid(z·U)      decode(z, k) = sigmoid(z·U + B[k])
 * prior(k) = (M[k], S[k])   (VAB: mean = sigmoid(M[k]), no stddev)
 * on request: prior_mix(w) = (w·M, exp(w·log S)), so prior_mix(e_k) = prior(k)
 * VAB: bits = [z > 0]  classify_bits(b) = softmax/argmax of b·E
 * </pre>
 */
final class TinyModel {
  static final int H = 2, W = 2, C = 1, D = H * W * C, K = 3, Z = 2;
  static final float[][] A = {
    {0.9f, -0.4f, 0.2f}, {-0.3f, 0.8f, 0.1f}, {0.5f, 0.2f, -0.7f}, {-0.6f, -0.1f, 0.9f}
  };
  static final float[][] V = {{0.7f, -0.5f}, {-0.2f, 0.6f}, {0.4f, 0.3f}, {-0.8f, 0.1f}};
  static final float[][] U = {{0.5f, -0.9f, 0.3f, 0.2f}, {-0.4f, 0.6f, 0.8f, -0.1f}};
  static final float[][] B = {
    {0.1f, 0.2f, -0.3f, 0.0f}, {-0.5f, 0.4f, 0.0f, 0.3f}, {0.2f, -0.2f, 0.6f, -0.4f}
  };
  static final float[][] M = {{-1f, 0.5f}, {0.25f, 2f}, {1.5f, -0.75f}};
  static final float[][] S = {{0.5f, 1f}, {2f, 0.25f}, {1.25f, 0.75f}};
  static final float[][] E = {{1.2f, -0.7f, 0.3f}, {-0.4f, 0.9f, 0.5f}};

  private String model = "vade";
  private final Set<String> omitted = new HashSet<>();
  private boolean probsAsDouble;
  private boolean clusterAsInt32;
  private boolean zWithExtraAxis;
  private boolean probsNotNormalised;
  private boolean clusterNotArgMax;
  private boolean zTwiceAsWideAtRunTime;
  private boolean priorMix;
  private boolean priorMixWeightsAsDouble;
  private boolean priorMixStddevWithExtraAxis;
  private boolean writeJson = true;
  private String jsonText;
  private final List<Consumer<Map<String, Object>>> jsonEdits = new ArrayList<>();

  /** The model name written to deepclust.json; "vab" adds compress and classify_bits. */
  TinyModel model(String name) {
    this.model = name;
    return this;
  }

  /** Leaves signature {@code key} out of the export. */
  TinyModel omit(String key) {
    omitted.add(key);
    return this;
  }

  /** Makes {@code probs} f64 instead of f32. */
  TinyModel probsAsDouble() {
    probsAsDouble = true;
    return this;
  }

  /** Makes the {@code cluster} output i32 instead of i64. */
  TinyModel clusterAsInt32() {
    clusterAsInt32 = true;
    return this;
  }

  /** Makes {@code embed}'s {@code z} rank 3: [-1, 1, Z]. */
  TinyModel zWithExtraAxis() {
    zWithExtraAxis = true;
    return this;
  }

  /** Makes {@code probs} sigmoid(logits): rows that do not sum to 1 (1.5 for x = 0). */
  TinyModel probsNotNormalised() {
    probsNotNormalised = true;
    return this;
  }

  /** Makes {@code cluster} argmin instead of argmax of the logits. */
  TinyModel clusterNotArgMax() {
    clusterNotArgMax = true;
    return this;
  }

  /**
   * Makes {@code embed}'s {@code z} [z, z], 2·Z wide, by a tiling whose factor is computed at run
   * time, so that the static shape is [-1, -1] and only a call shows the width.
   */
  TinyModel zTwiceAsWideAtRunTime() {
    zTwiceAsWideAtRunTime = true;
    return this;
  }

  /** Adds the optional {@code prior_mix} signature. */
  TinyModel priorMix() {
    priorMix = true;
    return this;
  }

  /** Adds {@code prior_mix} with its {@code weights} input f64 instead of f32. */
  TinyModel priorMixWeightsAsDouble() {
    priorMixWeightsAsDouble = true;
    return priorMix();
  }

  /** Adds {@code prior_mix} with its {@code stddev} output rank 3: [-1, 1, Z]. */
  TinyModel priorMixStddevWithExtraAxis() {
    priorMixStddevWithExtraAxis = true;
    return priorMix();
  }

  /** Writes no assets/deepclust.json. */
  TinyModel withoutJson() {
    writeJson = false;
    return this;
  }

  /** Writes this text as deepclust.json instead of the model's description. */
  TinyModel json(String text) {
    jsonText = text;
    return this;
  }

  /** Edits the description (a mutable JSON object) before it is written. */
  TinyModel editJson(Consumer<Map<String, Object>> edit) {
    jsonEdits.add(edit);
    return this;
  }

  /** The description a correct export of this model carries. */
  ModelInfo info() {
    return new ModelInfo(
        Contract.VERSION,
        model,
        K,
        Z,
        new int[] {H, W, C},
        "bernoulli",
        "java",
        "tiny",
        Map.of("seed", 7L),
        Map.of("acc", 0.5));
  }

  /** Exports to {@code dir} and returns it. */
  Path export(Path dir) throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      boolean vab = "vab".equals(model);
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, H, W, C)));
      Operand<TFloat32> flat = tf.reshape(x, tf.constant(new long[] {-1, D}));
      Operand<TFloat32> logits = tf.linalg.matMul(flat, tf.variable(tf.constant(A)));
      Operand<TFloat32> z = tf.linalg.matMul(flat, tf.constant(V));
      Operand<TFloat32> u = tf.constant(U);
      Operand<TFloat32> xHat = image(tf, tf.math.sigmoid(tf.linalg.matMul(z, u)));
      var zIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, Z)));
      var clusterIn = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      var oneHot = tf.oneHot(clusterIn, tf.constant(K), tf.constant(1f), tf.constant(0f));
      Operand<TFloat32> decoded =
          image(
              tf,
              tf.math.sigmoid(
                  tf.math.add(tf.linalg.matMul(zIn, u), tf.linalg.matMul(oneHot, tf.constant(B)))));
      var priorIn = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      Operand<TFloat32> mean = tf.gather(tf.constant(M), priorIn, tf.constant(0));

      List<Signature> sigs = new ArrayList<>();
      sigs.add(assignSignature(tf, Contract.SIG_ASSIGN, Contract.IN_X, x, logits));
      sigs.add(
          Signature.builder()
              .key(Contract.SIG_EMBED)
              .input(Contract.IN_X, x)
              .output(Contract.OUT_Z, embedding(tf, x, z))
              .build());
      sigs.add(
          Signature.builder()
              .key(Contract.SIG_RECONSTRUCT)
              .input(Contract.IN_X, x)
              .output(Contract.OUT_X_HAT, xHat)
              .build());
      sigs.add(
          Signature.builder()
              .key(Contract.SIG_DECODE)
              .input(Contract.IN_Z, zIn)
              .input(Contract.IN_CLUSTER, clusterIn)
              .output(Contract.OUT_X_HAT, decoded)
              .build());
      var prior = Signature.builder().key(Contract.SIG_PRIOR).input(Contract.IN_CLUSTER, priorIn);
      if (vab) {
        prior.output(Contract.OUT_MEAN, tf.math.sigmoid(mean));
      } else {
        prior
            .output(Contract.OUT_MEAN, mean)
            .output(Contract.OUT_STDDEV, tf.gather(tf.constant(S), priorIn, tf.constant(0)));
      }
      sigs.add(prior.build());
      if (priorMix) sigs.add(priorMixSignature(tf));
      if (vab) {
        var bits = tf.dtypes.cast(tf.math.greater(z, tf.constant(0f)), TUint8.class);
        sigs.add(
            Signature.builder()
                .key(Contract.SIG_COMPRESS)
                .input(Contract.IN_X, x)
                .output(Contract.OUT_BITS, bits)
                .build());
        var bitsIn = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, Z)));
        var bitLogits = tf.linalg.matMul(tf.dtypes.cast(bitsIn, TFloat32.class), tf.constant(E));
        sigs.add(
            assignSignature(tf, Contract.SIG_CLASSIFY_BITS, Contract.IN_BITS, bitsIn, bitLogits));
      }
      sigs.removeIf(s -> omitted.contains(s.key()));

      try (Session s = new Session(g)) {
        s.initialize();
        SavedModelBundle.exporter(dir.toString())
            .withSession(s)
            .withSignatures(sigs.toArray(new Signature[0]))
            .export();
      }
    }
    writeDescription(dir);
    return dir;
  }

  private Operand<TFloat32> embedding(Ops tf, Operand<TFloat32> x, Operand<TFloat32> z) {
    if (zWithExtraAxis) return tf.expandDims(z, tf.constant(1));
    if (!zTwiceAsWideAtRunTime) return z;
    // 1 + [sum(x) ≥ -1] = 2 for images in [0, 1], a value no shape inference folds
    Operand<TInt32> two =
        tf.math.add(
            tf.constant(1),
            tf.dtypes.cast(
                tf.math.greaterEqual(
                    tf.reduceSum(x, tf.constant(new int[] {0, 1, 2, 3})), tf.constant(-1f)),
                TInt32.class));
    return tf.tile(z, tf.stack(List.of(tf.constant(1), two)));
  }

  private Signature assignSignature(
      Ops tf, String key, String inKey, Operand<?> in, Operand<TFloat32> logits) {
    Operand<? extends TNumber> probs =
        probsNotNormalised ? tf.math.sigmoid(logits) : tf.nn.softmax(logits);
    if (probsAsDouble) probs = tf.dtypes.cast(probs, TFloat64.class);
    Operand<?> cluster =
        clusterAsInt32
            ? tf.math.argMax(logits, tf.constant(1), TInt32.class)
            : clusterNotArgMax
                ? tf.math.argMin(logits, tf.constant(1), TInt64.class)
                : tf.math.argMax(logits, tf.constant(1), TInt64.class);
    return Signature.builder()
        .key(key)
        .input(inKey, in)
        .output(Contract.OUT_PROBS, probs)
        .output(Contract.OUT_CLUSTER, cluster)
        .build();
  }

  private Signature priorMixSignature(Ops tf) {
    Operand<?> in =
        priorMixWeightsAsDouble
            ? tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(-1, K)))
            : tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, K)));
    Operand<TFloat32> w = tf.dtypes.cast(in, TFloat32.class);
    float[][] logS = new float[K][Z];
    for (int k = 0; k < K; k++) for (int j = 0; j < Z; j++) logS[k][j] = (float) Math.log(S[k][j]);
    Operand<TFloat32> stddev = tf.math.exp(tf.linalg.matMul(w, tf.constant(logS)));
    return Signature.builder()
        .key(Contract.SIG_PRIOR_MIX)
        .input(Contract.IN_WEIGHTS, in)
        .output(Contract.OUT_MEAN, tf.linalg.matMul(w, tf.constant(M)))
        .output(
            Contract.OUT_STDDEV,
            priorMixStddevWithExtraAxis ? tf.expandDims(stddev, tf.constant(1)) : stddev)
        .build();
  }

  private static Operand<TFloat32> image(Ops tf, Operand<TFloat32> rows) {
    return tf.reshape(rows, tf.constant(new long[] {-1, H, W, C}));
  }

  private void writeDescription(Path dir) throws IOException {
    if (!writeJson) return;
    String text = jsonText;
    if (text == null) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map =
          new LinkedHashMap<>((Map<String, Object>) Json.parse(info().toJson()));
      jsonEdits.forEach(e -> e.accept(map));
      text = Json.write(map);
    }
    Path file = ModelInfo.file(dir);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  // --- the same functions in plain Java, in double precision ---

  static float[][] images(int n, long seed) {
    Random r = new Random(seed);
    float[][] x = new float[n][D];
    for (float[] row : x) for (int j = 0; j < D; j++) row[j] = r.nextFloat();
    return x;
  }

  static double[] probs(float[] x) {
    return softmax(times(x, A));
  }

  static int cluster(float[] x) {
    return argMax(times(x, A));
  }

  static double[] z(float[] x) {
    return times(x, V);
  }

  static double[] reconstruct(float[] x) {
    return sigmoid(times(z(x), U));
  }

  static double[] decode(float[] z, int k) {
    double[] zd = new double[z.length];
    for (int i = 0; i < z.length; i++) zd[i] = z[i];
    double[] a = times(zd, U);
    for (int j = 0; j < a.length; j++) a[j] += B[k][j];
    return sigmoid(a);
  }

  /** {@code prior_mix} of one row of weights: {mean, stddev}. */
  static double[][] priorMix(float[] w) {
    double[] mean = times(w, M);
    double[] stddev = new double[Z];
    for (int k = 0; k < K; k++) for (int j = 0; j < Z; j++) stddev[j] += w[k] * Math.log(S[k][j]);
    for (int j = 0; j < Z; j++) stddev[j] = Math.exp(stddev[j]);
    return new double[][] {mean, stddev};
  }

  static byte[] bits(float[] x) {
    double[] z = z(x);
    byte[] b = new byte[Z];
    for (int j = 0; j < Z; j++) b[j] = (byte) (z[j] > 0 ? 1 : 0);
    return b;
  }

  static double[] bitProbs(byte[] bits) {
    double[] b = new double[bits.length];
    for (int i = 0; i < b.length; i++) b[i] = bits[i];
    return softmax(times(b, E));
  }

  static double[] times(float[] x, float[][] m) {
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) xd[i] = x[i];
    return times(xd, m);
  }

  static double[] times(double[] x, float[][] m) {
    double[] out = new double[m[0].length];
    for (int i = 0; i < x.length; i++)
      for (int j = 0; j < out.length; j++) out[j] += x[i] * m[i][j];
    return out;
  }

  static double[] softmax(double[] a) {
    double max = a[argMax(a)];
    double sum = 0;
    double[] p = new double[a.length];
    for (int j = 0; j < a.length; j++) sum += p[j] = Math.exp(a[j] - max);
    for (int j = 0; j < a.length; j++) p[j] /= sum;
    return p;
  }

  static int argMax(double[] a) {
    int best = 0;
    for (int j = 1; j < a.length; j++) if (a[j] > a[best]) best = j;
    return best;
  }

  static double[] sigmoid(double[] a) {
    double[] s = new double[a.length];
    for (int j = 0; j < a.length; j++) s[j] = 1 / (1 + Math.exp(-a[j]));
    return s;
  }
}
