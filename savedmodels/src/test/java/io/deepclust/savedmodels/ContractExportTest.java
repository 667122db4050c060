package io.deepclust.savedmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Contract;
import io.deepclust.inference.ContractValidator;
import io.deepclust.inference.Prior;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * {@link ContractExport} with and without the optional {@code prior_mix} signature, on a tiny
 * linear model whose prior p(z|ẽ) = N(ẽ·M, exp(ẽ·L)²) is recomputed here from its weights.
 */
class ContractExportTest {
  static final int H = 2, W = 2, C = 1, D = H * W * C, K = 3, Z = 2;
  static final double TOL = 1e-6;

  @TempDir static Path root;
  static Map<String, TFloat32> weights;
  static float[][] means; // M [K, Z]
  static float[][] logStddevs; // L [K, Z]

  @BeforeAll
  static void weights() {
    Random r = new Random(3);
    weights = new LinkedHashMap<>();
    weights.put("assign_kernel", random(r, D, K));
    weights.put("embed_kernel", random(r, D, Z));
    weights.put("decode_kernel", random(r, Z, D));
    means = new float[K][Z];
    logStddevs = new float[K][Z];
    for (int k = 0; k < K; k++) {
      for (int j = 0; j < Z; j++) {
        means[k][j] = (float) r.nextGaussian();
        logStddevs[k][j] = (float) (r.nextGaussian() * 0.5);
      }
    }
    weights.put("prior_mean", TFloat32.tensorOf(StdArrays.ndCopyOf(means)));
    weights.put("prior_log_stddev", TFloat32.tensorOf(StdArrays.ndCopyOf(logStddevs)));
  }

  @AfterAll
  static void close() {
    weights.values().forEach(Tensor::close);
  }

  @Test
  void priorMixIsExportedAndMatchesPlainJava() {
    Path dir = export("vc", true, root.resolve("with"));
    assertEquals("vc", ContractValidator.validate(dir).model());
    try (ClusteringModel m = ClusteringModel.load(dir)) {
      assertTrue(m.hasPriorMix());
      float[][] oneHot = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
      Prior mix = m.priorMix(oneHot);
      Prior prior = m.prior(new int[] {0, 1, 2});
      for (int k = 0; k < K; k++) {
        for (int j = 0; j < Z; j++) {
          assertEquals(prior.mean()[k][j], mix.mean()[k][j], TOL, "mean of e_" + k);
          assertEquals(prior.stddev()[k][j], mix.stddev()[k][j], TOL, "stddev of e_" + k);
          assertEquals(Math.exp(logStddevs[k][j]), mix.stddev()[k][j], TOL, "σ of e_" + k);
        }
      }
      Prior half = m.priorMix(new float[][] {{0.5f, 0.5f, 0}});
      for (int j = 0; j < Z; j++) {
        double mean = 0.5 * means[0][j] + 0.5 * means[1][j];
        double stddev = Math.exp(0.5 * logStddevs[0][j] + 0.5 * logStddevs[1][j]);
        assertEquals(mean, half.mean()[0][j], TOL, "50/50 mean[" + j + "]");
        assertEquals(stddev, half.stddev()[0][j], TOL, "50/50 stddev[" + j + "]");
      }
    }
  }

  @Test
  void withoutExtraSignaturesThereIsNoPriorMix() {
    Path dir = export("vade", false, root.resolve("without"));
    try (ClusteringModel m = ClusteringModel.load(dir)) {
      assertFalse(m.hasPriorMix());
    }
  }

  @Test
  void anExtraSignatureOutsideTheContractIsRefusedAndNothingIsWritten() {
    Path target = root.resolve("refused");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ContractExport.export(
                    description("vc"),
                    (tf, p, in) -> {
                      var out = build(tf, p, in);
                      return out.withSignatures(
                          Signature.builder()
                              .key("sample")
                              .input(Contract.IN_Z, in.z())
                              .output(Contract.OUT_X_HAT, out.decoded())
                              .build());
                    },
                    weights,
                    info(),
                    target));
    assertTrue(e.getMessage().contains("extra signature 'sample'"), e.getMessage());
    assertFalse(Files.exists(target));
  }

  private static Path export(String model, boolean priorMix, Path target) {
    ContractExport.export(
        description(model),
        (tf, p, in) -> {
          ContractExport.Outputs out = build(tf, p, in);
          if (!priorMix) return out;
          var w = ContractExport.priorMixWeights(tf, K);
          return out.withSignatures(
              ContractExport.priorMix(
                  w,
                  tf.linalg.matMul(w, prior(p, "prior_mean")),
                  tf.math.exp(tf.linalg.matMul(w, prior(p, "prior_log_stddev")))));
        },
        weights,
        info(),
        target);
    return target;
  }

  /** logits = flat(x)·A, z = flat(x)·V, x_hat = sigmoid(z·U), prior(k) = (M[k], exp(L[k])). */
  private static ContractExport.Outputs build(Ops tf, Params p, ContractExport.Inputs in) {
    Operand<TFloat32> flat = tf.reshape(in.x(), tf.constant(new long[] {-1, D}));
    var a = p.get("assign_kernel", Shape.of(D, K), Params.Init.ZEROS, true);
    var v = p.get("embed_kernel", Shape.of(D, Z), Params.Init.ZEROS, true);
    var u = p.get("decode_kernel", Shape.of(Z, D), Params.Init.ZEROS, true);
    Operand<TFloat32> logits = tf.linalg.matMul(flat, a);
    Operand<TFloat32> z = tf.linalg.matMul(flat, v);
    var image = tf.constant(new long[] {-1, H, W, C});
    return new ContractExport.Outputs(
        tf.nn.softmax(logits),
        tf.math.argMax(logits, tf.constant(1), TInt64.class),
        z,
        tf.reshape(tf.math.sigmoid(tf.linalg.matMul(z, u)), image),
        tf.reshape(tf.math.sigmoid(tf.linalg.matMul(in.z(), u)), image),
        tf.gather(prior(p, "prior_mean"), in.priorCluster(), tf.constant(0)),
        tf.math.exp(tf.gather(prior(p, "prior_log_stddev"), in.priorCluster(), tf.constant(0))));
  }

  private static Operand<TFloat32> prior(Params p, String name) {
    return p.get(name, Shape.of(K, Z), Params.Init.ZEROS, true);
  }

  private static ContractExport.Description description(String model) {
    return new ContractExport.Description(
        model, new int[] {H, W, C}, K, Z, "bernoulli", 5L, new JsonObject());
  }

  private static JsonObject info() {
    JsonObject info = new JsonObject();
    info.addProperty(Contract.JSON_MADE_BY, "java");
    info.addProperty(Contract.JSON_DATASET, "synthetic");
    return info;
  }

  private static TFloat32 random(Random r, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) for (int j = 0; j < cols; j++) row[j] = (float) r.nextGaussian();
    return TFloat32.tensorOf(StdArrays.ndCopyOf(m));
  }
}
