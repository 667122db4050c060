package io.deepclust.training.train;

import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Carries out a {@link TrainRequest}: loads the data, opens the model (its paper config with the
 * request's options, or a resumed run's own), trains it with {@link Trainer} and returns what the
 * run ended with. {@link #requestStop} (from any thread) stops it after the current step with a
 * checkpoint; {@link #run} then throws {@link Trainer.Stopped}.
 */
public final class TrainRun {
  /** An option the model's config cannot take (the message names it). */
  public static final class BadOption extends IllegalArgumentException {
    BadOption(String message) {
      super(message);
    }
  }

  /**
   * What a finished run ended with.
   *
   * @param split the evaluation set the result scores ("test", or "all" with --train-on all)
   * @param splitImages its number of images
   * @param test the test split the run evaluated (for the report)
   */
  public record Outcome(Trainer.Result result, String split, int splitImages, Dataset test) {}

  private final TrainRequest request;
  private final Trainer trainer;

  public TrainRun(TrainRequest request) {
    this.request = request;
    this.trainer = new Trainer(new Trainer.Options(request.resume(), request.progress(),
        request.out(), request.config().dataset(), request.checkpointEvery(),
        request.keepCheckpoints()));
  }

  /** Asks a running {@link #run} to stop after its current step ({@link Trainer#requestStop}). */
  public void requestStop() {
    trainer.requestStop();
  }

  public Outcome run() {
    String dataset = request.config().dataset();
    Dataset train = Datasets.byName(dataset, Split.TRAIN);
    Dataset test = Datasets.byName(dataset, Split.TEST);
    if (request.trainLimit() != null) {
      train = train.first(Math.min(request.trainLimit(), train.n()));
    }
    if (request.testLimit() != null) {
      test = test.first(Math.min(request.testLimit(), test.n()));
    }
    Map<String, Dataset> evals = new LinkedHashMap<>();
    if ("all".equals(request.trainOn())) {
      train = Dataset.concat(train, test, dataset + "/all");
      evals.put("all", train);
    }
    evals.put("test", test);
    request.out().printf("training %s on %s: %d training images (--train-on %s), evaluated on"
        + " %s, seed %d%n", request.model(), dataset, train.n(), request.trainOn(),
        evals.keySet(), request.config().seed());
    TrainingModel base = open(new int[] {train.height(), train.width(), train.channels()});
    if (request.pretrainCache() != null) {
      attachCache(base, new PretrainCache(request.pretrainCache()));
    }
    try (TrainingModel m = request.eager() ? EagerTraining.wrap(base) : base) {
      Trainer.Result result = trainer.train(m, train, evals, new RunDirectory(request.runDir()));
      String split = evals.keySet().iterator().next();
      return new Outcome(result, split, evals.get(split).n(), test);
    }
  }

  /** The request's model: a resumed run's own config (epochs applied), or the paper config. */
  private TrainingModel open(int[] shape) {
    JsonObject resumed = request.resumedConfig();
    if (resumed != null) {
      JsonObject config = resumed.getAsJsonObject("config").deepCopy();
      if (request.config().epochs() != null) {
        config.addProperty("epochs", request.config().epochs());
      }
      return Models.open(request.model(), config, request.session());
    }
    try {
      return Models.spec(request.model()).open(request.config().withShape(shape),
          request.session());
    } catch (IllegalArgumentException e) {
      throw new BadOption(e.getMessage());
    }
  }

  /** Gives a VaDE or k-DVAE the pretraining cache (other models have none). */
  private void attachCache(TrainingModel m, PretrainCache cache) {
    String precision = request.session().bf16() ? "bf16" : "fp32";
    if (m instanceof VadeTrainingGraph v) {
      v.usePretrainCache(cache, precision);
    } else if (m instanceof KdvaeTrainingGraph k) {
      k.usePretrainCache(cache, precision);
    }
  }
}
