package io.deepclust.training.cli;

import io.deepclust.inference.Contract;
import io.deepclust.inference.ModelInfo;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * A tiny VAB-style SavedModel of the contract (H×W×C = 4×3×1, K = 3, d = Z = 10 bits, so a code
 * spans two bytes with six padding bits), built as the real VAB's inference is (docs/models.md,
 * VAB), and q(c|b) recomputed in plain Java:
 *
 * <pre>
 * l = flat(x)·Wq + bq        compress(x) = [l &gt; 0]   (uint8)
 * classify_bits(b): logits_c = log π_c + Σ_j b_j log μ_cj + (1 − b_j) log(1 − μ_cj),
 *                   π = softmax(pc), μ = sigmoid(P)
 * serving_default(x) = classify_bits(compress(x))   (the same subgraph on the same bits)
 * embed = sigmoid(l)   reconstruct = sigmoid(compress(x)·Wd)   decode(z, c) = sigmoid(z·Wd)
 * prior(c): mean = μ_c, no stddev
 * </pre>
 */
final class TinyVab {
  static final int H = 4, W = 3, C = 1, D = H * W * C, K = 3, Z = 10;

  final float[][] wq = new float[D][Z];
  final float[] bq = new float[Z];
  final float[][] p = new float[K][Z];
  final float[] pc = new float[K];
  final float[][] wd = new float[Z][D];
  private final Set<String> omitted = new HashSet<>();

  /** Random weights; bq centres l on images of mean 1/2, so bits are about half ones. */
  TinyVab(long seed) {
    Random r = new Random(seed);
    for (int j = 0; j < Z; j++) {
      for (int i = 0; i < D; i++) {
        wq[i][j] = (float) r.nextGaussian();
        bq[j] -= 0.5f * wq[i][j];
      }
    }
    for (int c = 0; c < K; c++) {
      pc[c] = (float) (0.5 * r.nextGaussian());
      for (int j = 0; j < Z; j++) {
        p[c][j] = (float) (2 * r.nextGaussian());
      }
    }
    for (float[] row : wd) {
      for (int i = 0; i < D; i++) {
        row[i] = (float) r.nextGaussian();
      }
    }
  }

  /** Leaves signature {@code key} out of the export (a model that breaks the contract). */
  TinyVab omit(String key) {
    omitted.add(key);
    return this;
  }

  /** Exports the model (tag serve, assets/deepclust.json with model "vab") to {@code dir}. */
  Path export(Path dir) throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, H, W, C)));
      Operand<TFloat32> flat = tf.reshape(x, tf.constant(new long[] {-1, D}));
      Operand<TFloat32> l = tf.math.add(tf.linalg.matMul(flat, tf.variable(tf.constant(wq))),
          tf.variable(tf.constant(bq)));
      Operand<TUint8> bits = tf.dtypes.cast(tf.math.greater(l, tf.constant(0f)), TUint8.class);
      Operand<TFloat32> decoder = tf.variable(tf.constant(wd));
      Operand<TFloat32> pLogits = tf.variable(tf.constant(p));
      Operand<TFloat32> pcLogits = tf.variable(tf.constant(pc));
      var bitsIn = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, Z)));
      var zIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, Z)));
      var decodeCluster = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      var priorCluster = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));

      List<Signature> sigs = new ArrayList<>();
      sigs.add(assign(tf, Contract.SIG_ASSIGN, Contract.IN_X, x,
          classify(tf, bits, pLogits, pcLogits)));
      sigs.add(assign(tf, Contract.SIG_CLASSIFY_BITS, Contract.IN_BITS, bitsIn,
          classify(tf, bitsIn, pLogits, pcLogits)));
      sigs.add(Signature.builder().key(Contract.SIG_COMPRESS).input(Contract.IN_X, x)
          .output(Contract.OUT_BITS, bits).build());
      sigs.add(Signature.builder().key(Contract.SIG_EMBED).input(Contract.IN_X, x)
          .output(Contract.OUT_Z, tf.math.sigmoid(l)).build());
      sigs.add(Signature.builder().key(Contract.SIG_RECONSTRUCT).input(Contract.IN_X, x)
          .output(Contract.OUT_X_HAT, image(tf, tf.math.sigmoid(tf.linalg.matMul(
              tf.dtypes.cast(bits, TFloat32.class), decoder)))).build());
      // p(x|z) does not depend on the cluster; the input is there because the contract has it.
      sigs.add(Signature.builder().key(Contract.SIG_DECODE).input(Contract.IN_Z, zIn)
          .input(Contract.IN_CLUSTER, decodeCluster)
          .output(Contract.OUT_X_HAT, image(tf, tf.math.sigmoid(tf.linalg.matMul(zIn, decoder))))
          .build());
      sigs.add(Signature.builder().key(Contract.SIG_PRIOR).input(Contract.IN_CLUSTER, priorCluster)
          .output(Contract.OUT_MEAN,
              tf.math.sigmoid(tf.gather(pLogits, priorCluster, tf.constant(0))))
          .build());
      sigs.removeIf(sig -> omitted.contains(sig.key()));
      try (Session s = new Session(g)) {
        s.initialize();
        SavedModelBundle.exporter(dir.toString()).withTags(Contract.TAG).withSession(s)
            .withSignatures(sigs.toArray(new Signature[0])).export();
      }
    }
    new ModelInfo(Contract.VERSION, "vab", K, Z, new int[] {H, W, C}, "bernoulli", "java", "tiny",
        Map.of("seed", 11L), Map.of()).write(dir);
    return dir;
  }

  /** log π_c + log p(b|c) [B, K] of bits b (uint8) under π = softmax(pc), μ = sigmoid(P). */
  private static Operand<TFloat32> classify(Ops tf, Operand<TUint8> b, Operand<TFloat32> pLogits,
      Operand<TFloat32> pcLogits) {
    Operand<TFloat32> bf = tf.dtypes.cast(b, TFloat32.class);
    Operand<TFloat32> logMu = tf.math.neg(tf.math.softplus(tf.math.neg(pLogits)));
    Operand<TFloat32> logOneMinusMu = tf.math.neg(tf.math.softplus(pLogits));
    Operand<TFloat32> logPi = tf.nn.logSoftmax(tf.expandDims(pcLogits, tf.constant(0)));
    Operand<TFloat32> zeros = tf.math.sub(tf.constant(1f), bf);
    return tf.math.add(logPi, tf.math.add(
        tf.linalg.matMul(bf, logMu, MatMul.transposeB(true)),
        tf.linalg.matMul(zeros, logOneMinusMu, MatMul.transposeB(true))));
  }

  private static Signature assign(Ops tf, String key, String inKey, Operand<?> in,
      Operand<TFloat32> logits) {
    return Signature.builder().key(key).input(inKey, in)
        .output(Contract.OUT_PROBS, tf.nn.softmax(logits))
        .output(Contract.OUT_CLUSTER, tf.math.argMax(logits, tf.constant(1), TInt64.class))
        .build();
  }

  private static Operand<TFloat32> image(Ops tf, Operand<TFloat32> rows) {
    return tf.reshape(rows, tf.constant(new long[] {-1, H, W, C}));
  }

  // --- the same in plain Java, in double precision ---

  /** q(c|b) of one code: softmax of log π_c + Σ_j log Bernoulli(b_j; μ_cj). */
  double[] bitProbs(byte[] b) {
    double[] logits = new double[K];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < K; c++) {
      max = Math.max(max, pc[c]);
    }
    double norm = 0;
    for (int c = 0; c < K; c++) {
      norm += Math.exp(pc[c] - max);
    }
    for (int c = 0; c < K; c++) {
      logits[c] = pc[c] - max - Math.log(norm);
      for (int j = 0; j < Z; j++) {
        double mu = 1 / (1 + Math.exp(-p[c][j]));
        logits[c] += b[j] == 1 ? Math.log(mu) : Math.log(1 - mu);
      }
    }
    double top = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      top = Math.max(top, v);
    }
    double sum = 0;
    double[] probs = new double[K];
    for (int c = 0; c < K; c++) {
      sum += probs[c] = Math.exp(logits[c] - top);
    }
    for (int c = 0; c < K; c++) {
      probs[c] /= sum;
    }
    return probs;
  }

  /** An idx images file of {@code n} random H×W images (pixel bytes uniform in 0..255). */
  static byte[] writeIdx(Path file, int n, long seed) throws IOException {
    byte[] pixels = new byte[n * H * W];
    new Random(seed).nextBytes(pixels);
    try (var out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(0x00000803);
      out.writeInt(n);
      out.writeInt(H);
      out.writeInt(W);
      out.write(pixels);
    }
    return pixels;
  }

  /** The idx pixels as rows of H·W floats in [0, 1], as the contract feeds them. */
  static float[][] rows(byte[] pixels, int n) {
    float[][] x = new float[n][D];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < D; j++) {
        x[i][j] = (pixels[i * D + j] & 0xff) / 255f;
      }
    }
    return x;
  }
}
