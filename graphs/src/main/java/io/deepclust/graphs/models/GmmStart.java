package io.deepclust.graphs.models;

import java.util.Set;

/**
 * How VaDE's prior starts after pretraining (vade.txt §4.1): {@code restarts} diagonal-GMM fits on
 * the autoencoder's embedding, each seeded by the best of {@code kmeansRestarts} k-means++ runs
 * (scikit-learn's KMeans default of 10, as the original code's GMM did) and refined by EM; the fit
 * whose initialisation has the best objective is kept (the least k-means squared error, ties by the
 * VaDE's −ELBO on the training set; never the labels), the paper's "similar to DEC ... 10 random
 * restarts ... pick the result with the best objective value" (docs/models.md). The
 * prior's π starts {@value #UNIFORM} (the original code sets only μ_c and σ²_c from the GMM) or
 * from the GMM's weights ({@value #FIT}).
 */
public record GmmStart(int restarts, int kmeansRestarts, String weights) {
  public static final String UNIFORM = "uniform";
  public static final String FIT = "fit";

  public GmmStart {
    if (restarts < 1 || kmeansRestarts < 1) {
      throw new IllegalArgumentException("GMM restarts and k-means restarts must be positive");
    }
    if (!Set.of(UNIFORM, FIT).contains(weights)) {
      throw new IllegalArgumentException("GMM start weights must be uniform or fit, got "
          + weights);
    }
  }

  /** The paper's 10 restarts, 10 k-means runs each, π uniform as the original code. */
  public static GmmStart paper() {
    return new GmmStart(10, 10, UNIFORM);
  }
}
