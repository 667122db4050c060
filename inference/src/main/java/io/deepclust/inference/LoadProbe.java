package io.deepclust.inference;

import java.util.Arrays;
import java.util.Random;

/**
 * The invariants a model must keep on a probe batch before {@link ClusteringModel#load} returns it,
 * beyond the static signature check of {@link ContractValidator}: every signature returns the rows
 * and widths that {@code deepclust.json}'s K, Z and input shape say (a non-batch dimension may be
 * -1 in a signature, so only a call shows it), each row of {@code probs} sums to 1 within {@link
 * #SUM_TOLERANCE}, and {@code cluster} is the argmax of {@code probs} (a tie within {@link
 * #TIE_TOLERANCE} of the maximum counts as the argmax).
 *
 * <p>The probe: {@link #ROWS} images, all zeros, all ones, all ½, then uniform values from a fixed
 * seed; the latent codes {@code embed} gives them; every cluster for {@code prior} and, where
 * present, its one-hot rows for {@code prior_mix}; for VAB the bits {@code compress} gives them.
 */
final class LoadProbe {
  /** Images in the probe batch. */
  static final int ROWS = 8;

  /** |Σ_k probs − 1| allowed per row. */
  static final double SUM_TOLERANCE = 1e-4;

  /** How far below the row's maximum the assigned cluster's probability may be (float ties). */
  static final double TIE_TOLERANCE = 1e-6;

  private static final long SEED = 20240611L;

  private LoadProbe() {}

  /** The probe images for a model of {@code info}'s input shape: rows of H·W·C values in [0, 1]. */
  static float[][] images(ModelInfo info) {
    float[][] x = new float[ROWS][info.pixels()];
    Arrays.fill(x[1], 1f);
    Arrays.fill(x[2], 0.5f);
    Random random = new Random(SEED);
    for (int i = 3; i < ROWS; i++)
      for (int j = 0; j < x[i].length; j++) x[i][j] = random.nextFloat();
    return x;
  }

  /**
   * Runs the probe on {@code model}.
   *
   * @throws ContractException one line naming the directory, the signature, the row and the numbers
   */
  static void check(ClusteringModel model) {
    ModelInfo info = model.info();
    String where = model.directory() + ": probe batch of " + ROWS + " images: ";
    try {
      float[][] x = images(info);
      Assignment assigned = model.assign(x);
      checkAssignment(Contract.SIG_ASSIGN, assigned);
      float[][] z = model.embed(x);
      model.reconstruct(x);
      model.decode(z, assigned.clusters());
      int[] every = new int[info.clusters()];
      Arrays.setAll(every, k -> k);
      model.prior(every);
      if (model.hasPriorMix()) {
        float[][] oneHot = new float[info.clusters()][info.clusters()];
        for (int k = 0; k < oneHot.length; k++) oneHot[k][k] = 1f;
        model.priorMix(oneHot);
      }
      if (info.isVab())
        checkAssignment(Contract.SIG_CLASSIFY_BITS, model.classifyBits(model.compress(x)));
    } catch (ContractException e) {
      throw new ContractException(
          where
              + e.getMessage()
              + " (deepclust.json: K = "
              + info.clusters()
              + ", Z = "
              + info.latentDim()
              + ", input_shape "
              + Arrays.toString(info.inputShape())
              + ")",
          e);
    } catch (IllegalArgumentException e) {
      // our own probe inputs are valid, so a refusal of them means the outputs broke a rule
      throw new ContractException(where + e.getMessage(), e);
    }
  }

  /** Each row's probs sum to 1 and its cluster is their argmax. */
  private static void checkAssignment(String sig, Assignment a) {
    for (int i = 0; i < a.size(); i++) {
      float[] p = a.probs()[i];
      double sum = 0;
      int argMax = 0;
      for (int k = 0; k < p.length; k++) {
        sum += p[k];
        if (p[k] > p[argMax]) argMax = k;
      }
      if (!(Math.abs(sum - 1) <= SUM_TOLERANCE)) {
        throw new ContractException(
            sig
                + " row "
                + i
                + ": probs sum to "
                + sum
                + ", not 1 ± "
                + SUM_TOLERANCE
                + " (probs "
                + Arrays.toString(p)
                + ")");
      }
      int cluster = a.clusters()[i];
      if (!(p[cluster] >= p[argMax] - TIE_TOLERANCE)) {
        throw new ContractException(
            sig
                + " row "
                + i
                + ": cluster "
                + cluster
                + " is not the argmax of probs "
                + Arrays.toString(p)
                + " (argmax "
                + argMax
                + ")");
      }
    }
  }
}
