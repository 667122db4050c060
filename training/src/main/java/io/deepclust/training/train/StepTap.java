package io.deepclust.training.train;

import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Session;

/**
 * What the cross-check changes in, and reads from, a model's main optimizer step
 * (docs/crosscheck.md, per-step training parity): feeds it adds to the step (e.g. another value
 * for a constant of the update), a change to the gradients before the update uses them (e.g.
 * rounding-sized noise), and the gradients the update applied, in the order of the trainable
 * variables.
 *
 * <p>Set with {@link CrossCheckable#tapMainStep}; training never uses one.
 */
public final class StepTap {
  private final UnaryOperator<Session.Runner> feeds;
  private final UnaryOperator<List<float[]>> gradients;
  private List<float[]> applied;

  /**
   * @param feeds adds feeds to the step's runner (identity for none)
   * @param gradients maps the model's gradients to those the update applies, or null to leave the
   *     graph's gradients in place
   */
  public StepTap(UnaryOperator<Session.Runner> feeds, UnaryOperator<List<float[]>> gradients) {
    this.feeds = feeds;
    this.gradients = gradients;
  }

  /** A tap that changes nothing and records the gradients applied. */
  public static StepTap observe() {
    return new StepTap(UnaryOperator.identity(), null);
  }

  Session.Runner feed(Session.Runner runner) {
    return feeds.apply(runner);
  }

  boolean changesGradients() {
    return gradients != null;
  }

  List<float[]> change(List<float[]> computed) {
    return gradients.apply(computed);
  }

  void applied(List<float[]> values) {
    this.applied = values;
  }

  /** The gradients the last tapped step applied (the fed ones when they were changed). */
  public List<float[]> applied() {
    if (applied == null) {
      throw new IllegalStateException("no tapped step has run");
    }
    return applied;
  }
}
