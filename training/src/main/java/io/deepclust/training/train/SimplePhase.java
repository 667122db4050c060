package io.deepclust.training.train;

import java.util.List;
import java.util.function.IntFunction;

/** A {@link Phase} whose settings are given up front; subclasses supply the step. */
abstract class SimplePhase implements Phase {
  private final String name;
  private final int epochs;
  private final int batchSize;
  private final List<String> terms;
  private final IntFunction<Float> learningRate;
  private final boolean evaluates;

  SimplePhase(String name, int epochs, int batchSize, List<String> terms,
      IntFunction<Float> learningRate, boolean evaluates) {
    this.name = name;
    this.epochs = epochs;
    this.batchSize = batchSize;
    this.terms = terms;
    this.learningRate = learningRate;
    this.evaluates = evaluates;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int epochs() {
    return epochs;
  }

  @Override
  public int batchSize() {
    return batchSize;
  }

  @Override
  public List<String> termNames() {
    return terms;
  }

  @Override
  public float learningRate(int epoch) {
    return learningRate.apply(epoch);
  }

  @Override
  public boolean evaluates() {
    return evaluates;
  }
}
