package io.deepclust.training.train;

/** {@code --xla}: XLA auto-clustering of a training session, on, off, or the model's default. */
public enum Xla {
  auto, on, off;

  /**
   * Whether a session of {@code model} (null: not a training session) on {@code device} uses XLA:
   * on, off, or for auto {@link Models#xlaByDefault} on anything but a GPU (measured on the CPU
   * only).
   */
  public boolean use(String model, Device device) {
    return this == on || (this == auto && model != null && Models.xlaByDefault(model)
        && device.kind() != Device.Kind.GPU);
  }
}
