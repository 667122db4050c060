package io.deepclust.training.cli;

import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.graphs.models.KdvaeConfig;
import io.deepclust.graphs.models.VabConfig;
import io.deepclust.graphs.models.VadeConfig;
import io.deepclust.graphs.models.VcConfig;
import io.deepclust.training.data.Dataset;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.train.GmvaeGumbelTrainingGraph;
import io.deepclust.training.train.KdvaeTrainingGraph;
import io.deepclust.training.train.Trainer;
import io.deepclust.training.train.TrainingModel;
import io.deepclust.training.train.VabTrainingGraph;
import io.deepclust.training.train.VadeTrainingGraph;
import io.deepclust.training.train.VcTrainingGraph;
import io.deepclust.training.train.RunDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code deepclust train}: trains a model, checkpoints every epoch, exports a SavedModel. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model on a dataset's train split, evaluate on its test split after every"
        + " epoch, and export a SavedModel to RUN_DIR/export.")
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "gmvae_gumbel",
      description = "Model to train: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  ModelName model;

  @Option(names = {"--dataset", "--data"}, defaultValue = "mnist",
      description = "mnist or fashion-mnist (default: ${DEFAULT-VALUE}); see tools/fetch-data.")
  String dataset;

  @Option(names = "--run-dir", required = true,
      description = "Directory for config.json, metrics.jsonl, checkpoint/ and export/.")
  Path runDir;

  @Option(names = "--epochs", description = "Epochs (default: the paper's: 300 for "
          + "GMVAE-Gumbel and VaDE, 100 for k-DVAE and vc).")
  Integer epochs;

  @Option(names = "--pretrain-epochs",
      description = "VaDE (and k-DVAE's initialising VaDE): autoencoder pretraining epochs before"
          + " the GMM fit (default 20).")
  Integer pretrainEpochs;

  @Option(names = "--init-vade-epochs",
      description = "k-DVAE: joint epochs of the VaDE whose latent space gives the initial "
          + "clusters (default 30).")
  Integer initVadeEpochs;

  @Option(names = "--pair-pretrain-epochs",
      description = "k-DVAE: epochs of each pair's VAE on its initial cluster (default 20).")
  Integer pairPretrainEpochs;

  @Option(names = "--batch-size",
      description = "Batch size (default: the paper's: 300 for GMVAE-Gumbel, 100 for VaDE, "
          + "k-DVAE and vc on MNIST).")
  Integer batchSize;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of every random draw.")
  long seed;

  @Option(names = "--train-limit",
      description = "Use only the first N training images (quick runs).")
  Integer trainLimit;

  @Option(names = "--test-limit", description = "Evaluate on the first N test images only.")
  Integer testLimit;

  @Option(names = "--train-on", defaultValue = "train",
      description = "train: the train split, evaluated on the test split; all: train and test "
          + "splits together (VaDE's protocol), evaluated on all of them and on the test split.")
  String trainOn;

  @Option(names = "--resume", description = "Continue from RUN_DIR/checkpoint if there is one.")
  boolean resume;

  @Option(names = "--aug-stop-gradient",
      description = "vc: the clean image's posterior is a fixed target in the augmentation loss "
          + "(gradient through the augmented branch only); default: through both.")
  boolean augStopGradient;

  @Option(names = "--no-progress", description = "No progress bar.")
  boolean noProgress;

  @Option(names = "--bits",
      description = "vab: code bits d per image (default 28; BPP = d / pixels).")
  Integer bits;

  @Option(names = "--straight-through",
      description = "vab: straight-through Gumbel estimator (hard bits forward, soft gradient).")
  boolean straightThrough;

  enum ModelName { gmvae_gumbel, vade, kdvae, vc, vab }

  /** The model's training graph with the paper's MNIST config and the options applied. */
  private TrainingModel open(int[] shape) {
    switch (model) {
      case vade: {
        VadeConfig c = VadeConfig.mnist(seed);
        c = c.withEpochs(pretrainEpochs != null ? pretrainEpochs : c.pretrainEpochs(),
            epochs != null ? epochs : c.epochs());
        return new VadeTrainingGraph(batchSize != null ? c.withBatchSize(batchSize) : c);
      }
      case kdvae: {
        KdvaeConfig c = KdvaeConfig.mnist(seed);
        c = c.withEpochs(pretrainEpochs != null ? pretrainEpochs : c.initVadePretrainEpochs(),
            initVadeEpochs != null ? initVadeEpochs : c.initVadeEpochs(),
            pairPretrainEpochs != null ? pairPretrainEpochs : c.pairPretrainEpochs(),
            epochs != null ? epochs : c.epochs());
        return new KdvaeTrainingGraph(batchSize != null ? c.withBatchSize(batchSize) : c);
      }
      case vab: {
        VabConfig c = VabConfig.mnist(seed);
        return new VabTrainingGraph(c.with(bits != null ? bits : c.bits(),
            epochs != null ? epochs : c.epochs(), batchSize != null ? batchSize : c.batchSize(),
            straightThrough));
      }
      case vc: {
        VcConfig c = VcConfig.forShape(shape, seed).forDataset(dataset);
        return new VcTrainingGraph(c.withTraining(epochs != null ? epochs : c.epochs(),
            batchSize != null ? batchSize : c.batchSize(), augStopGradient, c.augmentation()));
      }
      case gmvae_gumbel:
      default: {
        GmvaeGumbelConfig c = GmvaeGumbelConfig.mnist(seed);
        c = epochs != null ? c.withEpochs(epochs) : c;
        return new GmvaeGumbelTrainingGraph(batchSize != null ? c.withBatchSize(batchSize) : c);
      }
    }
  }

  @Override
  public Integer call() {
    DeepclustCli.requireDataset(this, dataset);
    Dataset train = Datasets.byName(dataset, Split.TRAIN);
    Dataset test = Datasets.byName(dataset, Split.TEST);
    if (trainLimit != null) {
      train = train.first(Math.min(trainLimit, train.n()));
    }
    if (testLimit != null) {
      test = test.first(Math.min(testLimit, test.n()));
    }
    Map<String, Dataset> evals = new LinkedHashMap<>();
    switch (trainOn) {
      case "train" -> evals.put("test", test);
      case "all" -> {
        train = Dataset.concat(train, test, dataset + "/all");
        evals.put("all", train);
        evals.put("test", test);
      }
      default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--train-on must be train or all, not '" + trainOn + "'");
    }
    System.out.printf("training %s on %s: %d training images (--train-on %s), evaluated on %s,"
        + " seed %d%n", model, dataset, train.n(), trainOn, evals.keySet(), seed);
    var trainer = new Trainer(new Trainer.Options(resume, !noProgress, System.out, dataset));
    Trainer.Result result;
    try (TrainingModel m = open(new int[] {train.height(), train.width(), train.channels()})) {
      result = trainer.train(m, train, evals, new RunDirectory(runDir));
    }
    String primary = evals.keySet().iterator().next();
    System.out.printf("%s ACC %.4f  NMI %.4f  ARI %.4f  (%s %s split, %d images)%n", primary,
        result.testAcc(), result.testNmi(), result.testAri(), dataset, primary,
        evals.get(primary).n());
    System.out.printf("%.1f s per epoch%n", result.secondsPerEpoch());
    System.out.println("SavedModel: " + result.export());
    return 0;
  }
}
