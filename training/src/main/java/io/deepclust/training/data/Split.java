package io.deepclust.training.data;

/** Which part of a dataset: the idx files of MNIST name them {@code train-*} and {@code t10k-*}. */
public enum Split {
  TRAIN("train"),
  TEST("t10k");

  private final String filePrefix;

  Split(String filePrefix) {
    this.filePrefix = filePrefix;
  }

  /** Prefix of this split's idx file names: {@code train} or {@code t10k}. */
  public String filePrefix() {
    return filePrefix;
  }
}
