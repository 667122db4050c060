package io.deepclust.training.train;

import io.deepclust.graphs.models.TrainingBranch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The scalars one training step fetches and logs, named once and kept in one order: the phase's
 * term names (the metrics log's keys), the operands the step fetches, and the head of the
 * cross-check's training outputs all come from here.
 */
final class LossTerms {
  private final Map<String, Operand<TFloat32>> terms = new LinkedHashMap<>();

  /** The terms of a model's training branch, in its order ({@code TrainingBranch.terms}). */
  static LossTerms of(Map<String, Operand<TFloat32>> named) {
    LossTerms t = new LossTerms();
    named.forEach(t::add);
    return t;
  }

  /** A phase that logs its objective alone, as "loss". */
  static LossTerms loss(Operand<TFloat32> loss) {
    return new LossTerms().add(TrainingBranch.LOSS, loss);
  }

  /** Adds the term {@code name}; names are unique. */
  LossTerms add(String name, Operand<TFloat32> term) {
    if (terms.putIfAbsent(name, term) != null) {
      throw new IllegalArgumentException("loss term '" + name + "' named twice");
    }
    return this;
  }

  /** The names, in the order of {@link #operands}. */
  List<String> names() {
    return List.copyOf(terms.keySet());
  }

  /** The scalars to fetch, in the order of {@link #names}. */
  List<Operand<TFloat32>> operands() {
    return new ArrayList<>(terms.values());
  }

  /** The terms by name, in order, as a new map the cross-check adds its other outputs to. */
  Map<String, Operand<?>> outputs() {
    return new LinkedHashMap<>(terms);
  }
}
