package io.deepclust.inference;

/**
 * The prior p(z|k) of a batch of clusters: the {@code prior} signature's outputs, one row per
 * requested cluster id; or p(z|ẽ) of soft one-hot rows ẽ, the {@code prior_mix} outputs, one row
 * per row of weights.
 *
 * @param mean the mean of z given k, Z values per row (VAB: the Bernoulli probabilities)
 * @param stddev the standard deviation of z given k, Z values per row; {@code null} when the model
 *     has none (VAB)
 */
public record Prior(float[][] mean, float[][] stddev) {}
