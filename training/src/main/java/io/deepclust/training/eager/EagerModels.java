package io.deepclust.training.eager;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.deepclust.graphs.models.GmvaeGumbel;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.models.Kdvae;
import io.deepclust.graphs.models.KdvaeConfig;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.models.Vab;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.graphs.models.Vade;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.graphs.models.VariationalClustering;
import io.deepclust.graphs.models.VcConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Each model's main training objective (the one its session graph's "adam" minimises: VaDE's and
 * k-DVAE's joint phase) as a {@link StepGraph}, and the feeds of one step.
 */
public final class EagerModels {
  private EagerModels() {}

  /** What one step is fed; a model uses the fields it has inputs for. */
  public record StepInputs(float[] pixels, float[] augmented, int batch, float temperature,
      float reconsScale, float augWeight, long noiseSeed, long t) {}

  /**
   * A model's step graph, the feeds of a step, and the settings eager training needs; {@code
   * trainable} names the weights the step trains (null: all).
   */
  public record EagerModel(StepGraph graph, Function<StepInputs, Map<String, Tensor>> feeds,
      long seed, float adamEpsilon, List<String> trainable) {
    public EagerModel(StepGraph graph, Function<StepInputs, Map<String, Tensor>> feeds, long seed,
        float adamEpsilon) {
      this(graph, feeds, seed, adamEpsilon, null);
    }
  }

  /**
   * The eager step of each phase that has one, by phase name: the main objective (as {@link #of})
   * under the last phase's name, and VaDE's autoencoder pretraining ("pretrain") and k-DVAE's pair
   * pretraining ("pair_pretrain"). k-DVAE's initialising VaDE has none (it runs in session mode).
   */
  public static Map<String, EagerModel> phases(String model, JsonElement config) {
    Gson gson = new Gson();
    Map<String, EagerModel> out = new LinkedHashMap<>();
    switch (model) {
      case Vade.MODEL -> {
        var c = gson.fromJson(config, VadeConfig.class);
        List<String> autoencoder = new java.util.ArrayList<>();
        out.put("pretrain", new EagerModel((tf, p) -> {
          var t = Vade.training(tf, p, c, Vade.imageInput(tf, c, "x"));
          autoencoder.clear();
          autoencoder.addAll(Vade.variables(tf, p, c).autoencoderNames());
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed()), "loss",
              t.pretrainLoss());
        }, in -> feeds(c, in, false, false), c.seed(), c.adamEpsilon(), autoencoder));
        out.put("joint", of(model, config));
      }
      case Kdvae.MODEL -> {
        var c = gson.fromJson(config, KdvaeConfig.class);
        out.put("pair_pretrain", new EagerModel((tf, p) -> {
          var t = Kdvae.training(tf, p, c, Kdvae.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed()), "loss", t.pairLoss());
        }, in -> feeds(c, in, false, false), c.seed(), c.adamEpsilon()));
        out.put("joint", of(model, config));
      }
      case GmvaeGumbel.MODEL, VariationalClustering.MODEL, Vab.MODEL ->
          out.put("train", of(model, config));
      default -> throw new IllegalArgumentException("no eager step for model '" + model + "'");
    }
    return out;
  }

  public static EagerModel of(String model, JsonElement config) {
    Gson gson = new Gson();
    return switch (model) {
      case GmvaeGumbel.MODEL -> {
        var c = gson.fromJson(config, GmvaeGumbelConfig.class);
        yield new EagerModel((tf, p) -> {
          var t = GmvaeGumbel.training(tf, p, c, GmvaeGumbel.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed(), "temperature",
              t.temperature()), "loss", t.loss(), "reconstruction", t.reconstruction(),
              "categorical_kl", t.categoricalKl(), "gaussian_kl", t.gaussianKl());
        }, in -> feeds(c, in, true, false), c.seed(), c.adamEpsilon());
      }
      case Vade.MODEL -> {
        var c = gson.fromJson(config, VadeConfig.class);
        yield new EagerModel((tf, p) -> {
          var t = Vade.training(tf, p, c, Vade.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed()), "loss", t.loss(),
              "reconstruction", t.reconstruction(), "latent_kl", t.latentKl(), "categorical_kl",
              t.categoricalKl());
        }, in -> feeds(c, in, false, false), c.seed(), c.adamEpsilon());
      }
      case Kdvae.MODEL -> {
        var c = gson.fromJson(config, KdvaeConfig.class);
        yield new EagerModel((tf, p) -> {
          var t = Kdvae.training(tf, p, c, Kdvae.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed()), "loss", t.loss());
        }, in -> feeds(c, in, false, false), c.seed(), c.adamEpsilon());
      }
      case VariationalClustering.MODEL -> {
        var c = gson.fromJson(config, VcConfig.class);
        yield new EagerModel((tf, p) -> {
          var t = VariationalClustering.training(tf, p, c,
              VariationalClustering.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "x_aug", t.xAug(), "noise_seed", t.noiseSeed(),
              "recons_scale", t.reconsScale(), "aug_weight", t.augWeight()), "loss", t.loss(),
              "reconstruction", t.reconstruction(), "entropy", t.entropy(), "gaussian_kl",
              t.gaussianKl(), "aug_l2", t.augL2(), "aug_w2", t.augW2());
        }, in -> feeds(c, in, false, true), c.seed(), c.adamEpsilon());
      }
      case Vab.MODEL -> {
        var c = gson.fromJson(config, VabConfig.class);
        yield new EagerModel((tf, p) -> {
          var t = Vab.training(tf, p, c, Vab.imageInput(tf, c, "x"));
          return built(Map.of("x", t.x(), "noise_seed", t.noiseSeed(), "temperature",
              t.temperature()), "loss", t.loss(), "reconstruction", t.reconstruction(),
              "log_p_z", t.logPz(), "log_p_c", t.logPc(), "log_q_z", t.logQz(), "entropy_c",
              t.entropyC());
        }, in -> feeds(c, in, true, false), c.seed(), c.adamEpsilon());
      }
      default -> throw new IllegalArgumentException("no eager step for model '" + model + "'");
    };
  }

  private static StepGraph.Built built(Map<String, Operand<?>> inputs, Object... namedOutputs) {
    Map<String, Operand<TFloat32>> outputs = new LinkedHashMap<>();
    for (int i = 0; i < namedOutputs.length; i += 2) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> o = (Operand<TFloat32>) namedOutputs[i + 1];
      outputs.put((String) namedOutputs[i], o);
    }
    return new StepGraph.Built(new LinkedHashMap<>(inputs), outputs);
  }

  private static Map<String, Tensor> feeds(ModelConfig c, StepInputs in, boolean temperature,
      boolean augmented) {
    int[] s = c.inputShape();
    Shape shape = Shape.of(in.batch(), s[0], s[1], s[2]);
    Map<String, Tensor> f = new LinkedHashMap<>();
    f.put("x", TFloat32.tensorOf(shape, DataBuffers.of(in.pixels(), true, false)));
    f.put("noise_seed", TInt64.vectorOf(in.noiseSeed(), in.t()));
    if (temperature) {
      f.put("temperature", TFloat32.scalarOf(in.temperature()));
    }
    if (augmented) {
      f.put("x_aug", TFloat32.tensorOf(shape, DataBuffers.of(in.augmented(), true, false)));
      f.put("recons_scale", TFloat32.scalarOf(in.reconsScale()));
      f.put("aug_weight", TFloat32.scalarOf(in.augWeight()));
    }
    return f;
  }
}
