package io.deepclust.graphs.models;

/** What every model's config record states: the image shape and the seed of every random draw. */
public interface ModelConfig {
  int[] inputShape();

  long seed();
}
