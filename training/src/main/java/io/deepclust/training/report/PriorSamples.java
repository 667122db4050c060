package io.deepclust.training.report;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.Prior;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Images generated from a model's prior, one row per cluster, as in §VI-D (Fig. 6) and §VI-E
 * (Fig. 7) of variational-clustering-w2; {@code deepclust generate} and the run report draw them.
 *
 * <p>Samples: row k holds decodes, under k, of z drawn from p(z|k) = N(mean_k, stddev_k²) of the
 * {@code prior} signature (VAB: z_j ~ Bernoulli(mean_k,j)). z-interpolation: row k decodes, under
 * k, z = (1−α)·z_a + α·z_b for two draws z_a, z_b of p(z|k). k-interpolation (models with {@code
 * prior_mix}): row k decodes the mean of p(z|ẽ), ẽ = (1−α)·e_k + α·e_(k+1 mod K), under cluster k
 * while α &lt; 1/2 and k+1 from α = 1/2 on. Column j has α = j/(cols−1).
 *
 * <p>Draws are reproducible: row k draws from the k-th {@link SplittableRandom#split()} of {@code
 * new SplittableRandom(seed)} (taken in row order), z_j = mean_j + stddev_j·{@code nextGaussian()}
 * for j = 0..Z−1, one z after another (z_a before z_b).
 */
public final class PriorSamples {
  /** What the columns of a grid vary. */
  public enum Mode {
    /** Independent draws of p(z|k). */
    SAMPLES,
    /** z-interpolation between two draws of p(z|k). */
    Z,
    /** k-interpolation between the one-hot vectors of clusters k and k+1. */
    K
  }

  /** The tiles of a grid, rows of H·W·C floats, and the cluster each was decoded under. */
  public record Grid(float[][][] tiles, int[][] clusters) {
    public int rows() {
      return tiles.length;
    }

    public int cols() {
      return tiles[0].length;
    }
  }

  private PriorSamples() {}

  /**
   * The grid of {@code mode} with {@code cols} columns and one row per cluster (see the class
   * comment for what each holds and how z is drawn).
   *
   * @param cols samples per row, or steps of an interpolation (≥ 2)
   * @throws UnsupportedOperationException for {@link Mode#K} if the model has no prior_mix
   */
  public static Grid generate(ClusteringModel model, Mode mode, int cols, long seed) {
    int k = model.info().clusters();
    float[][] z = new float[k * cols][];
    int[] clusters = new int[k * cols];
    if (mode == Mode.K) {
      float[][] weights = new float[k * cols][k];
      for (int row = 0; row < k; row++) {
        int next = (row + 1) % k;
        for (int j = 0; j < cols; j++) {
          double alpha = alpha(j, cols);
          weights[row * cols + j][row] += (float) (1 - alpha);
          weights[row * cols + j][next] += (float) alpha;
          clusters[row * cols + j] = alpha < 0.5 ? row : next;
        }
      }
      z = model.priorMix(weights).mean();
    } else {
      Prior prior = model.prior(IntStream.range(0, k).toArray());
      SplittableRandom root = new SplittableRandom(seed);
      for (int row = 0; row < k; row++) {
        SplittableRandom rng = root.split();
        float[] mean = prior.mean()[row];
        float[] stddev = prior.stddev() == null ? null : prior.stddev()[row];
        float[] za = mode == Mode.Z ? draw(mean, stddev, rng) : null;
        float[] zb = mode == Mode.Z ? draw(mean, stddev, rng) : null;
        for (int j = 0; j < cols; j++) {
          z[row * cols + j] =
              mode == Mode.Z ? mix(za, zb, alpha(j, cols)) : draw(mean, stddev, rng);
          clusters[row * cols + j] = row;
        }
      }
    }
    float[][] decoded = model.decode(z, clusters);
    float[][][] tiles = new float[k][cols][];
    int[][] tileClusters = new int[k][cols];
    for (int i = 0; i < decoded.length; i++) {
      tiles[i / cols][i % cols] = decoded[i];
      tileClusters[i / cols][i % cols] = clusters[i];
    }
    return new Grid(tiles, tileClusters);
  }

  /** One z of p(z|k): Gaussian, or (no stddev, VAB) Bernoulli bits with probabilities mean. */
  public static float[] draw(float[] mean, float[] stddev, SplittableRandom rng) {
    float[] z = new float[mean.length];
    for (int j = 0; j < z.length; j++) {
      z[j] = stddev == null
          ? (rng.nextDouble() < mean[j] ? 1f : 0f)
          : (float) (mean[j] + stddev[j] * rng.nextGaussian());
    }
    return z;
  }

  /** α of column j of n: j/(n−1), so the first column is 0 and the last exactly 1. */
  public static double alpha(int j, int n) {
    return j == n - 1 ? 1.0 : (double) j / (n - 1);
  }

  /** (1−α)·a + α·b, exactly a at α = 0 and b at α = 1. */
  private static float[] mix(float[] a, float[] b, double alpha) {
    float[] z = new float[a.length];
    for (int j = 0; j < z.length; j++) {
      z[j] = (float) ((1 - alpha) * a[j] + alpha * b[j]);
    }
    return z;
  }
}
