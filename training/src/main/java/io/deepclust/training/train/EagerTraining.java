package io.deepclust.training.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.eager.EagerModels;
import io.deepclust.training.eager.EagerStep;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * {@code --mode eager}: the model's main objective (its last phase: the only one of GMVAE-Gumbel,
 * vc and VAB; VaDE's and k-DVAE's joint phase) runs as {@link EagerStep}s; earlier phases
 * (pretraining, initialisation) and evaluation, checkpoints and export use the session graph. The
 * weights and Adam slots move from the session graph into the eager variables when the phase
 * starts or resumes, and back after every epoch (before its evaluation and checkpoint), so a run
 * resumes exactly whichever mode wrote its checkpoint.
 */
public final class EagerTraining implements TrainingModel {
  private final TrainingModel model;
  private final GraphModel<?> graph;
  private final EagerTrainable trainable;
  private final EagerModels.EagerModel spec;
  private final EagerStep eager;

  private EagerTraining(TrainingModel model) {
    if (!(model instanceof EagerTrainable t) || !(model instanceof GraphModel<?> g)) {
      throw new IllegalArgumentException("model " + model.modelName() + " has no eager mode");
    }
    this.model = model;
    this.graph = g;
    this.trainable = t;
    this.spec = EagerModels.of(model.modelName(), model.configJson());
    this.eager = new EagerStep(spec.graph(), spec.seed(), spec.adamEpsilon());
  }

  /** Wraps a session-mode training graph; closing the wrapper closes it. */
  public static TrainingModel wrap(TrainingModel sessionModel) {
    return new EagerTraining(sessionModel);
  }

  @Override
  public List<Phase> phases() {
    List<Phase> phases = new ArrayList<>(model.phases());
    Phase main = phases.remove(phases.size() - 1);
    phases.add(new EagerPhase(main));
    return phases;
  }

  /** Session weights and the main optimizer's slots → eager variables. */
  private void toEager() {
    Map<String, TFloat32> weights = graph.params.read(graph.session());
    Map<String, TFloat32> slots = new LinkedHashMap<>();
    Map<String, TFloat32> raw = trainable.mainAdam().slots.read(graph.session());
    // Session slots are <var>_<optimizer>_m; eager ones <var>_adam_m.
    String optimizer = "_" + trainable.mainAdam().name + "_";
    raw.forEach((n, v) -> slots.put(n.replace(optimizer, "_adam_"), v));
    try {
      eager.assign(weights, slots);
    } finally {
      weights.values().forEach(Tensor::close);
      raw.values().forEach(Tensor::close);
    }
  }

  /** Eager variables → session weights and slots (for evaluation, checkpoints, export). */
  private void toSession() {
    Map<String, TFloat32> weights = eager.weights();
    Map<String, TFloat32> slots = eager.slots();
    Map<String, TFloat32> renamed = new LinkedHashMap<>();
    String optimizer = "_" + trainable.mainAdam().name + "_";
    slots.forEach((n, v) -> renamed.put(n.replace("_adam_", optimizer), v));
    try {
      graph.params.assign(graph.session(), weights);
      trainable.mainAdam().slots.assignSome(graph.session(), renamed);
    } finally {
      weights.values().forEach(Tensor::close);
      slots.values().forEach(Tensor::close);
    }
  }

  private final class EagerPhase implements Phase {
    private final Phase session;

    EagerPhase(Phase session) {
      this.session = session;
      if (!session.evaluates()) {
        throw new IllegalStateException("an eager phase syncs back before its evaluation");
      }
    }

    @Override
    public String name() {
      return session.name();
    }

    @Override
    public int epochs() {
      return session.epochs();
    }

    @Override
    public int batchSize() {
      return session.batchSize();
    }

    @Override
    public List<String> termNames() {
      return session.termNames();
    }

    @Override
    public float learningRate(int epoch) {
      return session.learningRate(epoch);
    }

    @Override
    public void begin(Dataset train, PrintStream out) {
      session.begin(train, out);
      toEager();
      out.println(name() + ": eager mode (one compiled function per step, eager Adam)");
    }

    @Override
    public void resume(Dataset train, PrintStream out) {
      session.resume(train, out);
      toEager();
    }

    @Override
    public int[] assign(TrainingModel m, Dataset data) {
      toSession();
      return session.assign(m, data);
    }

    @Override
    public void beforeCheckpoint() {
      // A checkpoint inside an epoch (a stop request) comes before any evaluation's copy.
      toSession();
    }

    @Override
    public float[] step(float[] pixels, int[] indices, int epoch, long t) {
      var inputs = trainable.stepInputs(pixels, indices.length, epoch, t);
      Map<String, Tensor> feeds = spec.feeds().apply(inputs);
      try {
        return eager.step(feeds, learningRate(epoch), t);
      } finally {
        feeds.values().forEach(Tensor::close);
      }
    }
  }

  @Override
  public String modelName() {
    return model.modelName();
  }

  @Override
  public JsonElement configJson() {
    return model.configJson();
  }

  @Override
  public long seed() {
    return model.seed();
  }

  @Override
  public int[] inputShape() {
    return model.inputShape();
  }

  @Override
  public Session session() {
    return model.session();
  }

  @Override
  public SessionSettings sessionSettings() {
    return model.sessionSettings();
  }

  @Override
  public int[] assign(Dataset data) {
    return model.assign(data);
  }

  @Override
  public Map<String, Double> extraMetrics(Dataset data) {
    return model.extraMetrics(data);
  }

  @Override
  public void export(JsonObject info, Path target) {
    model.export(info, target);
  }

  @Override
  public void close() {
    eager.close();
    model.close();
  }
}
