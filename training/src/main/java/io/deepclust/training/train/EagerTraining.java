package io.deepclust.training.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.train.AdamStep;
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
 * {@code --mode eager}: every phase with an eager step ({@link EagerModels#phases}: all phases of
 * GMVAE-Gumbel, vc and VAB, VaDE's pretraining and joint phase, k-DVAE's pair pretraining and
 * joint phase) runs as {@link EagerStep}s; k-DVAE's initialising VaDE, the mixture fits, evaluation,
 * checkpoints and export use the session graph. The weights and the phase's Adam slots move from
 * the session graph into the eager variables when the phase starts or resumes, and back before
 * every evaluation and checkpoint, so a run resumes exactly whichever mode wrote its checkpoint.
 */
public final class EagerTraining implements TrainingModel {
  private final TrainingModel model;
  private final GraphModel<?> graph;
  private final EagerTrainable trainable;
  private final Map<String, EagerModels.EagerModel> specs;
  private final Map<String, EagerStep> steps = new LinkedHashMap<>();

  private EagerTraining(TrainingModel model) {
    if (!(model instanceof EagerTrainable t) || !(model instanceof GraphModel<?> g)) {
      throw new IllegalArgumentException("model " + model.modelName() + " has no eager mode");
    }
    this.model = model;
    this.graph = g;
    this.trainable = t;
    this.specs = Models.spec(model.modelName()).eagerPhases(model.configJson());
    specs.forEach((phase, spec) -> steps.put(phase,
        new EagerStep(spec.graph(), spec.seed(), spec.adamEpsilon(), spec.trainable(),
            model.sessionSettings().configProto())));
  }

  /** Wraps a session-mode training graph; closing the wrapper closes it. */
  public static TrainingModel wrap(TrainingModel sessionModel) {
    return new EagerTraining(sessionModel);
  }

  @Override
  public List<Phase> phases() {
    List<Phase> phases = new ArrayList<>();
    for (Phase p : model.phases()) {
      phases.add(steps.containsKey(p.name()) ? new EagerPhase(p, specs.get(p.name()),
          steps.get(p.name())) : p);
    }
    return phases;
  }

  /** Session weights and the phase optimizer's slots → the phase's eager variables. */
  private void toEager(String phase, EagerStep eager) {
    AdamStep adam = trainable.adamOf(phase);
    Map<String, TFloat32> weights = graph.params.read(graph.session());
    Map<String, TFloat32> slots = new LinkedHashMap<>();
    Map<String, TFloat32> raw = adam.slots.read(graph.session());
    // Session slots are <var>_<optimizer>_m; eager ones <var>_adam_m.
    String optimizer = "_" + adam.name + "_";
    raw.forEach((n, v) -> slots.put(n.replace(optimizer, "_adam_"), v));
    try {
      eager.assign(weights, slots);
    } finally {
      weights.values().forEach(Tensor::close);
      raw.values().forEach(Tensor::close);
    }
  }

  /** A phase's eager variables → session weights and slots (evaluation, checkpoints, export). */
  private void toSession(String phase, EagerStep eager) {
    AdamStep adam = trainable.adamOf(phase);
    Map<String, TFloat32> weights = eager.weights();
    Map<String, TFloat32> slots = eager.slots();
    Map<String, TFloat32> renamed = new LinkedHashMap<>();
    String optimizer = "_" + adam.name + "_";
    slots.forEach((n, v) -> renamed.put(n.replace("_adam_", optimizer), v));
    try {
      graph.params.assign(graph.session(), weights);
      adam.slots.assignSome(graph.session(), renamed);
    } finally {
      weights.values().forEach(Tensor::close);
      slots.values().forEach(Tensor::close);
    }
  }

  private final class EagerPhase implements Phase {
    private final Phase session;
    private final EagerModels.EagerModel spec;
    private final EagerStep eager;

    EagerPhase(Phase session, EagerModels.EagerModel spec, EagerStep eager) {
      this.session = session;
      this.spec = spec;
      this.eager = eager;
    }

    @Override
    public boolean evaluates() {
      return session.evaluates();
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
      toEager(name(), eager);
      out.println(name() + ": eager mode (one compiled function per step, Adam inside it)");
    }

    @Override
    public void resume(Dataset train, PrintStream out) {
      session.resume(train, out);
      toEager(name(), eager);
    }

    @Override
    public int[] assign(TrainingModel m, Dataset data) {
      toSession(name(), eager);
      return session.assign(m, data);
    }

    @Override
    public void beforeCheckpoint() {
      // Every checkpoint (each epoch's, a phase end's, a stop request's) gets the eager state;
      // the next phase's begin (e.g. VaDE's GMM fit on the embeddings) reads the session's.
      toSession(name(), eager);
    }

    @Override
    public float[] step(float[] pixels, int[] indices, int epoch, long t) {
      var inputs = trainable.stepInputs(name(), pixels, indices, epoch, t);
      Map<String, Tensor> feeds = spec.feeds().apply(inputs);
      try {
        return eager.step(feeds, session.learningRate(epoch, t), t);
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
    steps.values().forEach(EagerStep::close);
    model.close();
  }
}
