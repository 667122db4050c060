package io.deepclust.training.crosscheck;

import com.google.gson.JsonObject;
import io.deepclust.training.train.CrossCheckable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;

/**
 * A deliberate change to the Java side of the cross-check. Tests use them to prove that the check
 * fails for a wrong model or optimizer, and passes for differences the size of rounding; {@code
 * deepclust crosscheck --gradient-noise} runs one at any model size.
 */
public interface Variant {
  /** The config (JSON) the Java graph is built from. */
  default JsonObject config(JsonObject config) {
    return config;
  }

  /**
   * The weights as Java loads them, at the start and at every per-step state: values by variable
   * name (changed in place), with their shapes.
   */
  default void loaded(Map<String, float[]> values, Map<String, Shape> shapes) {}

  /**
   * Feeds added to Java's optimizer steps (e.g. another value for one of Adam's constants); tensors
   * it makes go to {@code owned}, which the caller closes after the step.
   */
  default Session.Runner feeds(CrossCheckable model, Session.Runner runner, List<Tensor> owned) {
    return runner;
  }

  /** Java's gradients as its per-step updates apply them, or null to leave them alone. */
  default UnaryOperator<List<float[]>> gradients() {
    return null;
  }

  /** A short description for messages. */
  String describe();

  /** The Java model as it is. */
  Variant NONE = () -> "none";

  /** Java's config changed by {@code change} (e.g. another KL weight). */
  static Variant config(String description, UnaryOperator<JsonObject> change) {
    return new Variant() {
      @Override
      public JsonObject config(JsonObject config) {
        return change.apply(config);
      }

      @Override
      public String describe() {
        return description;
      }
    };
  }

  /**
   * Java's gradients with noise the size of rounding added: each entry of a variable's gradient g
   * gets relative · max|g| · u, u uniform in [−1, 1) (seeded), i.e. noise relative to the tensor's
   * scale, the way the rounding of a sum depends on the size of its terms, not of its result.
   */
  static Variant gradientNoise(double relative, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return new Variant() {
      @Override
      public UnaryOperator<List<float[]>> gradients() {
        return gs -> {
          List<float[]> out = new ArrayList<>();
          for (float[] g : gs) {
            double scale = 0;
            for (float x : g) {
              scale = Math.max(scale, Math.abs(x));
            }
            float[] noisy = new float[g.length];
            for (int i = 0; i < g.length; i++) {
              noisy[i] = (float) (g[i] + relative * scale * (2 * random.nextDouble() - 1));
            }
            out.add(noisy);
          }
          return out;
        };
      }

      @Override
      public String describe() {
        return "gradient noise " + relative + " of each tensor's max |g|";
      }
    };
  }

  /** Java's optimizer with another β₂ (Adam's constant fed in place of the graph's). */
  static Variant adamBeta2(float beta2) {
    return new Variant() {
      @Override
      public Session.Runner feeds(CrossCheckable model, Session.Runner runner,
          List<Tensor> owned) {
        TFloat32 value = TFloat32.scalarOf(beta2);
        owned.add(value);
        return runner.feed(model.adam().beta2Input, value);
      }

      @Override
      public String describe() {
        return "Adam beta2 " + beta2;
      }
    };
  }

  /**
   * Java's copy of one dense kernel laid out wrongly, as a bug in loading or in the graph would:
   * the first square rank-2 weight in creation order transposed, or, where no kernel is square,
   * the rows of the first rank-2 weight in reverse order.
   */
  static Variant misplacedKernel() {
    return new Variant() {
      @Override
      public void loaded(Map<String, float[]> values, Map<String, Shape> shapes) {
        String square = null;
        String any = null;
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
          Shape s = e.getValue();
          if (s.numDimensions() == 2 && values.containsKey(e.getKey())) {
            any = any == null ? e.getKey() : any;
            if (s.size(0) == s.size(1) && square == null) {
              square = e.getKey();
            }
          }
        }
        String name = square != null ? square : any;
        if (name == null) {
          throw new IllegalArgumentException("the model has no rank-2 weight");
        }
        int rows = (int) shapes.get(name).size(0);
        int cols = (int) shapes.get(name).size(1);
        float[] a = values.get(name);
        float[] b = new float[a.length];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            b[r * cols + c] = square != null ? a[c * cols + r] : a[(rows - 1 - r) * cols + c];
          }
        }
        values.put(name, b);
      }

      @Override
      public String describe() {
        return "one kernel transposed (or its rows reversed)";
      }
    };
  }
}
