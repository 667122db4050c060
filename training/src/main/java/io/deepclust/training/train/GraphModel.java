package io.deepclust.training.train;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.AugmentationBranch;
import io.deepclust.graphs.models.ClusterInference;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.graphs.train.AdamStep;
import io.deepclust.graphs.train.MomentumStep;
import io.deepclust.training.data.Augment;
import io.deepclust.training.data.Dataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * What every model's training graph shares: its config, graph and session, variables, image input,
 * evaluation by its inference branch's clusters, and export of its variables. A subclass builds
 * its branches and optimizers in its constructor, then calls {@link #start}.
 *
 * @param <C> the model's config record
 */
abstract class GraphModel<C extends ModelConfig> implements TrainingModel, CrossCheckable {
  public final C config;
  public final Graph graph;
  public final Params params;
  private final boolean ownsGraph;
  private Session session;
  private SessionSettings sessionSettings = SessionSettings.DEFAULTS;
  /** Tensors fed by {@link #feed}, closed with the model. */
  protected final List<Tensor> feedTensors = new ArrayList<>();
  /** The augmentation loss's branch and x̂'s transform, where the config has the loss. */
  private AugmentationBranch augBranch;
  private Augment augment;
  /** The cross-check's x̂ batches and λ_aug (a model with the augmentation loss). */
  protected final CrossCheckAug crossCheckAug = new CrossCheckAug();

  /**
   * @param scoped ops of another model's graph (a sub-scope keeps op names apart), or null for a
   *     graph of its own
   */
  GraphModel(C config, Graph graph, Ops scoped, long seed) {
    this.config = config;
    this.graph = graph;
    this.ownsGraph = scoped == null;
    this.params = new Params(scoped != null ? scoped : Ops.create(graph), seed);
  }

  /** The ops that build this model (a sub-scope when it lives in another model's graph). */
  protected Ops ops() {
    return params.ops();
  }

  /** Opens and initialises the session once every op is built (own graph only). */
  protected final void start() {
    start(SessionSettings.DEFAULTS);
  }

  /** {@link #start()} with a device, thread pools and placement logging. */
  protected final void start(SessionSettings settings) {
    sessionSettings = settings;
    ConfigProto proto = settings.configProto();
    session = proto == null ? new Session(graph) : new Session(graph, proto);
    session.initialize();
  }

  /** The session of the graph this model was built in, when another model owns it. */
  final void bind(Session shared) {
    this.session = shared;
  }

  private Placeholder<TFloat32> input;
  private Placeholder<TInt64> noiseSeedInput;
  private Placeholder<TFloat32> temperatureInput;
  private ClusterInference inferenceBranch;
  private AdamStep mainAdam;
  private StepTap mainStepTap;

  /**
   * Names what the shared code feeds and fetches: the image input, the training branch's noise
   * seed and (where it has one, else null) Gumbel temperature, the inference branch, and the main
   * objective's optimizer (cross-check gradients, eager slots). Called by each constructor.
   */
  protected final void wire(Placeholder<TFloat32> x, Placeholder<TInt64> noiseSeed,
      Placeholder<TFloat32> temperature, ClusterInference inference, AdamStep adam) {
    this.input = x;
    this.noiseSeedInput = noiseSeed;
    this.temperatureInput = temperature;
    this.inferenceBranch = inference;
    this.mainAdam = adam;
  }

  /** The image input placeholder. */
  protected Placeholder<TFloat32> input() {
    return input;
  }

  /** The training branch's noise seed placeholder ([s, t], int64). */
  protected Placeholder<TInt64> noiseSeed() {
    return noiseSeedInput;
  }

  /** The main objective's optimizer. */
  protected AdamStep mainAdam() {
    return mainAdam;
  }

  /** Gradients of the main loss, in the order of the trainable variables. */
  @Override
  public List<Output<TFloat32>> gradients() {
    return mainAdam.gradients;
  }

  @Override
  public AdamStep adam() {
    return mainAdam;
  }

  @Override
  public void tapMainStep(StepTap tap) {
    this.mainStepTap = tap;
  }

  /**
   * Runs one update of {@code adam} at step t (from 1) and {@code learningRate}, with the feeds that
   * {@code inputs} adds to the runner (images, noise seed, schedules); returns the values of
   * {@code terms}, in their order, computed before the update.
   */
  protected final float[] adamStep(AdamStep adam, float learningRate, long t,
      UnaryOperator<Session.Runner> inputs, LossTerms lossTerms) {
    List<Operand<TFloat32>> terms = lossTerms.operands();
    float[] powers = adam.betaPowers(t);
    try (TFloat32 lr = TFloat32.scalarOf(learningRate);
        TFloat32 b1 = TFloat32.scalarOf(powers[0]);
        TFloat32 b2 = TFloat32.scalarOf(powers[1])) {
      UnaryOperator<Session.Runner> feeds = r -> inputs.apply(r).feed(adam.learningRate, lr)
          .feed(adam.beta1Power, b1).feed(adam.beta2Power, b2);
      StepTap tap = adam == mainAdam ? mainStepTap : null;
      if (tap != null) {
        return tappedStep(adam, r -> tap.feed(feeds.apply(r)), tap, terms);
      }
      return runStep(feeds.apply(session.runner()), adam.step, terms);
    }
  }

  /** Runs {@code step} with {@code runner}'s feeds; the terms' values, fetched before it. */
  private static float[] runStep(Session.Runner runner, Op step, List<Operand<TFloat32>> terms) {
    runner.addTarget(step);
    terms.forEach(runner::fetch);
    try (Result r = runner.run()) {
      return scalars(r, 0, terms.size());
    }
  }

  /**
   * Runs one update of {@code sgd} at {@code learningRate} with the feeds {@code inputs} adds;
   * returns the values of {@code lossTerms}, computed before the update.
   */
  protected final float[] momentumStep(MomentumStep sgd, float learningRate,
      UnaryOperator<Session.Runner> inputs, LossTerms lossTerms) {
    List<Operand<TFloat32>> terms = lossTerms.operands();
    try (TFloat32 lr = TFloat32.scalarOf(learningRate)) {
      return runStep(inputs.apply(session.runner()).feed(sgd.learningRate, lr), sgd.step, terms);
    }
  }

  /**
   * The cross-check's step ({@link StepTap}): the update with the tap's feeds, its gradients
   * replaced by the tap's change of them when it has one (computed by a first run with the same
   * feeds, then fed in place of the graph's gradient outputs), and the gradients it applied
   * recorded.
   */
  private float[] tappedStep(AdamStep adam, UnaryOperator<Session.Runner> feeds, StepTap tap,
      List<Operand<TFloat32>> terms) {
    List<Tensor> replaced = new ArrayList<>();
    try {
      Session.Runner runner = feeds.apply(session.runner());
      List<float[]> changed = null;
      if (tap.changesGradients()) {
        Session.Runner first = feeds.apply(session.runner());
        adam.gradients.forEach(first::fetch);
        try (Result r = first.run()) {
          changed = tap.change(floats(r, 0, adam.gradients.size()));
        }
        for (int i = 0; i < changed.size(); i++) {
          Output<TFloat32> g = adam.gradients.get(i);
          // A variable's gradient has the variable's (static) shape.
          TFloat32 value = TFloat32.tensorOf(g.shape(),
              DataBuffers.of(changed.get(i), true, false));
          replaced.add(value);
          runner.feed(g, value);
        }
      }
      runner.addTarget(adam.step);
      terms.forEach(runner::fetch);
      if (changed == null) {
        adam.gradients.forEach(runner::fetch);
      }
      try (Result r = runner.run()) {
        tap.applied(changed != null ? changed : floats(r, terms.size(), adam.gradients.size()));
        return scalars(r, 0, terms.size());
      }
    } finally {
      replaced.forEach(Tensor::close);
    }
  }

  private static float[] scalars(Result r, int from, int count) {
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = ((TFloat32) r.get(from + i)).getFloat();
    }
    return out;
  }

  private static List<float[]> floats(Result r, int from, int count) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TFloat32 t = (TFloat32) r.get(from + i);
      float[] v = new float[(int) t.shape().size()];
      t.asRawTensor().data().asFloats().read(v);
      out.add(v);
    }
    return out;
  }

  /**
   * Wires the augmentation loss ({@code branch}, null where the config has none) and the
   * transform that makes x̂ ({@link Augment#named}); {@link #feed} and {@link #crossCheckInputs}
   * then feed and read it.
   */
  protected final void wireAugmentation(AugmentationBranch branch, String transform) {
    augBranch = branch;
    augment = branch == null ? null : Augment.named(transform, config.inputShape());
  }

  /** x̂ of the batch at step t: the batch itself without the loss (or without a transform). */
  protected final float[] augmented(float[] pixels, int batch, long t) {
    return augment == null ? pixels : augment.apply(pixels, batch, config.seed(), t);
  }

  /** x̂ as a tensor where the model has the augmentation loss, else null (the caller closes it). */
  protected final TFloat32 augmentedImages(float[] augmented, int batch) {
    return augBranch == null ? null : images(augmented, batch);
  }

  /** Feeds x̂ and λ_aug where the model has the augmentation loss; {@code r} otherwise. */
  protected final Session.Runner feedAugmentation(Session.Runner r, TFloat32 xAug,
      TFloat32 weight) {
    return augBranch == null ? r : r.feed(augBranch.xAug(), xAug).feed(augBranch.weight(), weight);
  }

  /** With the augmentation loss: the reference's fixed x̂ batches and λ_aug. */
  @Override
  public void crossCheckInputs(JsonObject manifest, Map<String, float[]> inputs) {
    if (augBranch != null) {
      crossCheckAug.read(manifest, inputs, modelName());
    }
  }

  /** A batch of images (NHWC, flattened) as a tensor of the model's input shape. */
  protected TFloat32 images(float[] pixels, int batch) {
    int[] d = config.inputShape();
    return TFloat32.tensorOf(Shape.of(batch, d[0], d[1], d[2]),
        DataBuffers.of(pixels, true, false));
  }

  /**
   * Feeds images, the noise seed [noiseSeed, t], the temperature where the model has one and x̂
   * and λ_aug where it has the augmentation loss; a model with more inputs adds them.
   */
  @Override
  public Session.Runner feed(Session.Runner runner, TFloat32 images, long noiseSeed, long t,
      float temperature) {
    TInt64 seed = TInt64.vectorOf(noiseSeed, t);
    feedTensors.add(seed);
    Session.Runner r = runner.feed(input(), images).feed(noiseSeed(), seed);
    if (temperatureInput != null) {
      TFloat32 temp = TFloat32.scalarOf(temperature);
      feedTensors.add(temp);
      r.feed(temperatureInput, temp);
    }
    if (augBranch != null) {
      TFloat32 augmented = images;
      if (crossCheckAug.forward() != null) {
        augmented = images(crossCheckAug.forward(), (int) images.shape().size(0));
        feedTensors.add(augmented);
      }
      TFloat32 weight = TFloat32.scalarOf(crossCheckAug.weight());
      feedTensors.add(weight);
      r = feedAugmentation(r, augmented, weight);
    }
    return r;
  }

  /** The inference branch: probs, cluster, embedding, reconstruction. */
  protected ClusterInference inference() {
    return inferenceBranch;
  }

  /** Writes the SavedModel of these weights (the model's exporter). */
  protected abstract void exportWeights(Map<String, TFloat32> weights, JsonObject info,
      Path target);

  @Override
  public long seed() {
    return config.seed();
  }

  @Override
  public int[] inputShape() {
    return config.inputShape();
  }

  @Override
  public Map<String, Operand<?>> inferenceOutputs() {
    ClusterInference inf = inference();
    return Map.of("probs", inf.probs(), "cluster", inf.cluster(), "z", inf.embedding(), "x_hat",
        inf.reconstruction());
  }

  @Override
  public JsonElement configJson() {
    return new Gson().toJsonTree(config);
  }

  @Override
  public Session session() {
    return session;
  }

  @Override
  public SessionSettings sessionSettings() {
    return sessionSettings;
  }

  @Override
  public Params params() {
    return params;
  }

  @Override
  public int[] assign(Dataset data) {
    return Assignments.run(session, input(), inference().cluster(), data);
  }

  @Override
  public void export(JsonObject info, Path target) {
    Map<String, TFloat32> weights = params.read(session);
    try {
      exportWeights(weights, info, target);
    } finally {
      weights.values().forEach(Tensor::close);
    }
  }

  @Override
  public void close() {
    feedTensors.forEach(Tensor::close);
    feedTensors.clear();
    if (ownsGraph) {
      session.close();
      graph.close();
    }
  }
}
