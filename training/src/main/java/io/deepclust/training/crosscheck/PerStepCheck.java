package io.deepclust.training.crosscheck;

import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.training.crosscheck.NamedTensors.Entry;
import io.deepclust.training.train.CrossCheckable;
import io.deepclust.training.train.StepTap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Per-step training parity: for t = 1..T, Java loads Python's full training state before step t
 * (weights, batch-norm statistics, Adam slots; t gives the bias correction), takes step t on the
 * same batch and noise seed, and is compared with Python's state after it. Rows: the gradients
 * Java's update applied against Python's ({@link CrossCheck#gradientGate}); each trained
 * variable and its two slots against the per-entry bound of {@link AdamBound}; every other
 * variable (batch-norm statistics) tensor-relative at {@link CrossCheck#FORWARD}. Each row is the
 * worst of the T steps.
 */
final class PerStepCheck {
  private final Path ref;
  private final Variant variant;
  private final String model;
  private final JsonObject perStep;
  private final CrossCheckable m;
  private final CrossCheck.TrainingRows xTrain;
  private final int steps;
  private final AdamStep adam;
  private final Map<String, Worst> worst = new LinkedHashMap<>();
  private List<float[]> lastApplied;

  PerStepCheck(Path ref, Variant variant, String model, JsonObject manifest, CrossCheckable m,
      CrossCheck.TrainingRows xTrain) {
    this.ref = ref;
    this.variant = variant;
    this.model = model;
    this.perStep = manifest.getAsJsonObject("per_step");
    if (perStep == null) {
      throw new IllegalArgumentException(ref.resolve("manifest.json") + " has no per_step "
          + "states (an older reference): rerun python -m deepclust_ref.crosscheck make");
    }
    this.m = m;
    this.xTrain = xTrain;
    this.steps = manifest.get("steps").getAsInt();
    this.adam = m.adam();
    if (perStep.get("files").getAsInt() != steps + 1) {
      throw new IllegalArgumentException(ref.resolve("manifest.json") + ": per_step has "
          + perStep.get("files") + " files for " + steps + " steps (want steps + 1)");
    }
  }

  /** Runs the T steps; returns the rows, each the worst of its T measures. */
  List<Comparison> run(float learningRate, float temperature, long noiseSeed) {
    JsonObject hyper = perStep.getAsJsonObject("adam");
    double beta1 = hyper.get("beta1").getAsDouble();
    double beta2 = hyper.get("beta2").getAsDouble();
    double epsilon = hyper.get("epsilon").getAsDouble();
    List<String> trainable = m.gradientNames();
    Map<String, Entry> current = read(1, true);
    for (int t = 1; t <= steps; t++) {
      Map<String, Entry> next = read(t + 1, t < steps);
      Map<String, float[]> java = step(current, t, learningRate, temperature, noiseSeed);
      List<float[]> applied = lastApplied;
      AdamBound.Step step = new AdamBound.Step(learningRate, beta1, beta2, epsilon, t);
      List<float[]> python = new ArrayList<>();
      for (String n : trainable) {
        python.add(state(current, "grad__" + n));
      }
      double modelScale = CrossCheck.scale(python);
      for (int i = 0; i < trainable.size(); i++) {
        String n = trainable.get(i);
        float[] gPython = python.get(i);
        worst("per-step gradient", n).add(applied.get(i), gPython,
            CrossCheck.gradientGate(gPython, modelScale));
        String mn = slot(n, "m");
        String vn = slot(n, "v");
        AdamBound.Outcome o = AdamBound.measure(step, state(current, "state__" + n),
            state(current, "state__" + mn), state(current, "state__" + vn), applied.get(i),
            gPython, java.get(n), java.get(mn), java.get(vn), state(next, "state__" + n),
            state(next, "state__" + mn), state(next, "state__" + vn));
        worst("per-step training", n).add(o.weight());
        worst("per-step training", mn).add(o.m());
        worst("per-step training", vn).add(o.v());
      }
      for (String n : m.params().variables().keySet()) {
        if (!trainable.contains(n)) {
          float[] py = state(next, "state__" + n);
          worst("per-step training", n).add(java.get(n), py, CrossCheck.FORWARD);
        }
      }
      current = next;
    }
    String label = " (" + steps + " steps)";
    List<Comparison> rows = new ArrayList<>();
    worst.forEach((key, w) -> rows.add(w.row(model, key.substring(0, key.indexOf('|'))
        + label, key.substring(key.indexOf('|') + 1))));
    return rows;
  }

  /** Loads Python's state at step t into Java, takes step t, returns Java's state after it. */
  private Map<String, float[]> step(Map<String, Entry> state, long t, float learningRate,
      float temperature, long noiseSeed) {
    long stateT = state.get("t").longs()[0];
    if (stateT != t) {
      throw new IllegalArgumentException(file(t) + " holds step " + stateT + ", not " + t);
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, Shape> shapes = new LinkedHashMap<>();
    m.params().variables().forEach((n, v) -> {
      values.put(n, state(state, "state__" + n));
      shapes.put(n, v.shape());
    });
    variant.loaded(values, shapes);
    Map<String, float[]> slots = new LinkedHashMap<>();
    adam.slots.variables().keySet().forEach(n -> slots.put(n, state(state, "state__" + n)));
    load(m.params(), values);
    load(adam.slots, slots);
    List<Tensor> owned = new ArrayList<>();
    StepTap tap = new StepTap(r -> variant.feeds(m, r, owned), variant.gradients());
    m.tapMainStep(tap);
    try {
      m.crossCheckStep(xTrain.step(t), xTrain.batch(), learningRate, temperature, noiseSeed, t);
    } finally {
      m.tapMainStep(null);
      owned.forEach(Tensor::close);
    }
    lastApplied = tap.applied();
    Map<String, float[]> after = new LinkedHashMap<>();
    for (Params p : List.of(m.params(), adam.slots)) {
      Map<String, TFloat32> read = p.read(m.session());
      try {
        read.forEach((n, v) -> after.put(n, CrossCheck.values(v)));
      } finally {
        read.values().forEach(Tensor::close);
      }
    }
    return after;
  }

  private void load(Params p, Map<String, float[]> values) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try {
      p.variables().forEach((n, v) -> tensors.put(n,
          TFloat32.tensorOf(v.shape(), DataBuffers.of(values.get(n), true, false))));
      p.assign(m.session(), tensors);
    } finally {
      tensors.values().forEach(Tensor::close);
    }
  }

  private String slot(String variable, String moment) {
    return variable + "_" + adam.name + "_" + moment;
  }

  private Worst worst(String check, String quantity) {
    return worst.computeIfAbsent(check + "|" + quantity, k -> new Worst());
  }

  private Path file(long t) {
    return ref.resolve(perStep.get("dir").getAsString()).resolve(String.format("step-%03d", t));
  }

  /** Step file t: its state, and (when {@code withGradients}) the gradients of step t. */
  private Map<String, Entry> read(long t, boolean withGradients) {
    Map<String, String> dtypes = new LinkedHashMap<>();
    dtypes.put("t", "int64");
    perStep.getAsJsonObject("state").entrySet().forEach(e -> dtypes.put(e.getKey(),
        e.getValue().getAsJsonObject().get("dtype").getAsString()));
    if (withGradients) {
      perStep.getAsJsonObject("gradients").entrySet().forEach(e -> dtypes.put(e.getKey(),
          e.getValue().getAsJsonObject().get("dtype").getAsString()));
    }
    return NamedTensors.read(file(t), dtypes);
  }

  private float[] state(Map<String, Entry> entries, String name) {
    Entry e = entries.get(name);
    if (e == null || !e.isFloat()) {
      throw new IllegalArgumentException("the per-step states have no float tensor '" + name
          + "' (" + ref.resolve(perStep.get("dir").getAsString()) + ")");
    }
    return e.floats();
  }

  /** The worst of a row's T per-step measures. */
  private static final class Worst {
    private double maxAbs;
    private double maxRel;
    private double ofGate;
    private boolean nan;

    /** A tensor-relative measure of {@code actual} against {@code reference}. */
    void add(float[] actual, float[] reference, double threshold) {
      double abs = Comparison.maxAbs(actual, reference);
      double rel = Comparison.relative(abs, reference);
      add(new AdamBound.Measure(abs, rel, rel / threshold));
    }

    void add(AdamBound.Measure measure) {
      if (Double.isNaN(measure.maxAbs()) || Double.isNaN(measure.ofGate())) {
        nan = true;
        return;
      }
      maxAbs = Math.max(maxAbs, measure.maxAbs());
      maxRel = Math.max(maxRel, measure.maxRel());
      ofGate = Math.max(ofGate, measure.ofGate());
    }

    Comparison row(String model, String check, String quantity) {
      return nan ? Comparison.failed(model, check, quantity + " (not finite)")
          : new Comparison(model, check, quantity, maxAbs, maxRel, ofGate, true, ofGate <= 1);
    }
  }
}
