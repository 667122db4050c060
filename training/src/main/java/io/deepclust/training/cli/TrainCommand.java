package io.deepclust.training.cli;

import com.google.gson.JsonObject;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.report.RunReport;
import io.deepclust.training.train.Device;
import io.deepclust.training.train.ConfigOptions;
import io.deepclust.training.train.Models;
import io.deepclust.training.train.TrainRequest;
import io.deepclust.training.train.TrainRun;
import io.deepclust.training.train.Trainer;
import io.deepclust.training.train.RunDirectory;
import io.deepclust.training.train.Precision;
import io.deepclust.training.train.PretrainCache;
import io.deepclust.training.train.SessionSettings;
import io.deepclust.training.train.Xla;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code deepclust train}: trains a model on the chosen device, checkpoints every N epochs and on
 * Ctrl-C / SIGTERM (after the current step), exports a SavedModel.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model on a dataset's train split, evaluate on its test split after every"
        + " epoch, and export a SavedModel to RUN_DIR/export.")
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "gmvae_gumbel",
      completionCandidates = ModelNames.class,
      description = "Model to train: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  String model;

  /** The registry's names, for the help text and shell completion. */
  static final class ModelNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Models.NAMES.iterator();
    }
  }

  @Option(names = {"--dataset", "--data"}, defaultValue = "mnist",
      description = "mnist or fashion-mnist (alias fashion; default: ${DEFAULT-VALUE}); see "
          + "tools/fetch-data.")
  String dataset;

  @Option(names = "--run-dir",
      description = "Directory for config.json, metrics.jsonl, checkpoint-<step>/ and export/.")
  Path runDir;

  @Option(names = "--epochs", converter = OptionValues.AtLeast1.class,
      description = "Epochs (default: the paper's: 300 for GMVAE-Gumbel and VaDE, 100 for "
          + "k-DVAE and vc).")
  Integer epochs;

  @Option(names = "--pretrain-epochs", converter = OptionValues.AtLeast0.class,
      description = "VaDE (and k-DVAE's initialising VaDE): autoencoder pretraining epochs before"
          + " the GMM fit (default: the recipe's, 300 for dec-keras, 20 for adam-bce).")
  Integer pretrainEpochs;

  enum Recipe { dec_keras, adam_bce }

  @Option(names = "--pretrain-recipe", defaultValue = "dec_keras",
      description = "VaDE / k-DVAE: autoencoder pretraining recipe: dec_keras (SGD lr 1 momentum "
          + "0.9, MSE of a linear output, batch 256, 300 epochs, fan-in init, then 5 epochs "
          + "refitting the decoder to the BCE; default) or adam_bce (Adam 1e-3, BCE, batch 100, "
          + "20 epochs, Glorot init).")
  Recipe pretrainRecipe;

  @Option(names = "--pretrain-loss",
      description = "VaDE / k-DVAE: the recipe's pretraining loss replaced: bce or mse.")
  String pretrainLoss;

  @Option(names = "--refit-epochs", converter = OptionValues.AtLeast0.class,
      description = "VaDE / k-DVAE: epochs refitting the decoder alone to the BCE after the "
          + "pretraining (default: the recipe's, 5 for dec_keras, 0 for adam_bce).")
  Integer refitEpochs;

  @Option(names = "--pretrain-cache", defaultValue = "auto",
      description = "VaDE / k-DVAE: directory of pretrained autoencoders reused across runs "
          + "(auto: $DEEPCLUST_CACHE/pretrained or ~/.cache/deepclust/pretrained; none: off).")
  String pretrainCache;

  @Option(names = "--restarts", converter = OptionValues.AtLeast1.class,
      description = "VaDE / k-DVAE: GMM starts after pretraining, the one with the best training "
          + "objective kept (default 10, the paper's).")
  Integer restarts;

  @Option(names = "--kmeans-restarts", converter = OptionValues.AtLeast1.class,
      description = "VaDE / k-DVAE: k-means runs per GMM start, least squared error kept "
          + "(default 10).")
  Integer kmeansRestarts;

  @Option(names = "--prior-weights",
      description = "VaDE / k-DVAE: the prior's pi at the start: uniform (default, as the "
          + "original code) or fit (the GMM's weights).")
  String priorWeights;

  @Option(names = "--joint-learning-rate", paramLabel = "LR",
      description = "VaDE: the joint phase's initial Adam learning rate, x0.9 every 10 epochs down"
          + " to 2e-4, a rate at or below 2e-4 constant (default 2e-4, measured best; the paper's"
          + " is 2e-3).")
  Float jointLearningRate;

  @Option(names = "--init-vade-epochs", converter = OptionValues.AtLeast0.class,
      description = "k-DVAE: joint epochs of the VaDE whose latent space gives the initial "
          + "clusters (default 300, VaDE's: with the same seed, data and settings a VaDE run's "
          + "trained VaDE is taken from the pretraining cache instead of trained again).")
  Integer initVadeEpochs;

  @Option(names = "--pair-pretrain-epochs", converter = OptionValues.AtLeast0.class,
      description = "k-DVAE: epochs of each pair's VAE on its initial cluster (default 100, "
          + "k-DAE's).")
  Integer pairPretrainEpochs;

  @Option(names = "--initial-clusters", paramLabel = "kmeans|vade",
      description = "k-DVAE: the pairs' initial clusters: kmeans (default, the paper's: k-means "
          + "on the VaDE's latent means) or vade (the VaDE's own clusters).")
  String initialClusters;

  @Option(names = "--batch-size", converter = OptionValues.AtLeast1.class,
      description = "Batch size (default: the paper's: 300 for GMVAE-Gumbel, 100 for VaDE, "
          + "k-DVAE and vc on MNIST).")
  Integer batchSize;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of every random draw.")
  long seed;

  @Option(names = "--train-limit", converter = OptionValues.AtLeast1.class,
      description = "Use only the first N training images (quick runs).")
  Integer trainLimit;

  @Option(names = "--test-limit", converter = OptionValues.AtLeast1.class,
      description = "Evaluate on the first N test images only.")
  Integer testLimit;

  @Option(names = "--train-on", defaultValue = "train",
      description = "train: the train split, evaluated on the test split; all: train and test "
          + "splits together (VaDE's protocol), evaluated on all of them and on the test split.")
  String trainOn;

  @Option(names = "--resume", arity = "0..1", paramLabel = "RUN_DIR", fallbackValue = "",
      description = "Continue from the newest complete checkpoint in RUN_DIR, at the exact step "
          + "it was saved (Ctrl-C saves one). `--resume RUN_DIR` alone takes the model, dataset, "
          + "config, --train-on and limits from RUN_DIR/config.json (--epochs N extends it); "
          + "with --run-dir, the options given.")
  String resumeFrom;

  /** Whether this run continues a checkpoint (either form of --resume). */
  boolean resume;

  @Option(names = "--checkpoint-every", converter = OptionValues.AtLeast1.class,
      defaultValue = "1", paramLabel = "N",
      description = "A checkpoint every N epochs and at the end of each phase (default: "
          + "${DEFAULT-VALUE}); Ctrl-C or SIGTERM saves one after the current step.")
  int checkpointEvery;

  @Option(names = "--keep-checkpoints", converter = OptionValues.AtLeast1.class,
      defaultValue = "2", paramLabel = "K",
      description = "Keep the newest K checkpoints (default: ${DEFAULT-VALUE}).")
  int keepCheckpoints;

  @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|gpu[:N]",
      description = "Where to compute: auto (a GPU when the native library has CUDA and one is "
          + "found, else the CPU), cpu, or gpu / gpu:N (fails when there is none); default: "
          + "${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--threads", converter = OptionValues.AtLeast1.class, paramLabel = "N",
      description = "TensorFlow's intra- and inter-op threads (default: TensorFlow's choice).")
  Integer threads;

  @Option(names = "--xla", defaultValue = "auto", paramLabel = "auto|on|off",
      description = "XLA auto-clustering of the training session: auto (on for kdvae on the CPU,"
          + " where it measured faster; off for the others), on or off; default: "
          + "${DEFAULT-VALUE}. On a CPU TensorFlow also needs TF_XLA_FLAGS="
          + Models.XLA_CPU_FLAG + ", which ./deepclust sets.")
  Xla xla;

  @Option(names = "--precision", defaultValue = "auto", paramLabel = "auto|fp32|bf16",
      description = "Arithmetic of the training session on the CPU: fp32, or bf16 (oneDNN's "
          + "bfloat16 auto mixed precision: matmuls and convolutions in bfloat16, variables and "
          + "optimizer in float32; measured faster only on CPUs with AMX); auto is bf16 for vc "
          + "on a CPU with AMX (amx_bf16), fp32 otherwise (README, Performance); default: "
          + "${DEFAULT-VALUE}. Recorded in the run's provenance.")
  Precision precision;

  @Option(names = "--log-device-placement",
      description = "TensorFlow logs the device of every op (stderr).")
  boolean logDevicePlacement;

  @Option(names = "--recons-scale", paramLabel = "V0[,E1,V1...]", split = ",",
      description = "vc: the λ_recons schedule, V0 from epoch 0, V1 from epoch E1, ... (default: "
          + "the dataset's, 0.5 for MNIST and Fashion-MNIST, docs/models.md).")
  float[] reconsScale;

  @Option(names = "--aug-stop-gradient",
      description = "vc: the clean image's posterior is a fixed target in the augmentation loss "
          + "(gradient through the augmented branch only); default: through both.")
  boolean augStopGradient;

  @Option(names = "--posterior-from-pixels", description = "vc reading: q(z|x,k) is its own MLP "
      + "on the pixels and e_k (Table II(b)'s q_ψ), not on the conv trunk's features.")
  boolean posteriorFromPixels;

  @Option(names = "--elbo-on-augmented", description = "vc reading: the ELBO on x and on the "
      + "augmented x̂ (§IV-D), each half of the ELBO term.")
  boolean elboOnAugmented;

  @Option(names = "--softplus-variance", description = "vc reading: softplus gives σ² (the "
      + "paper's), not σ, for q(z|x,k) and p(z|k).")
  boolean softplusVariance;

  @Option(names = "--no-progress", description = "No progress bar.")
  boolean noProgress;

  @Option(names = "--no-report", description = "Do not write RUN_DIR/report/ after training.")
  boolean noReport;

  @Option(names = "--bits", converter = OptionValues.Bits.class,
      description = "vab: code bits d per image, 1..65535 (default 28; BPP = d / pixels).")
  Integer bits;

  @Option(names = "--temperature-anneal-epochs", converter = OptionValues.AtLeast1.class,
      paramLabel = "E", description = "vab: τ reaches its floor 0.5 after E epochs (τ(e) = "
          + "max(0.5, exp(−e·ln 2 / E)); default 100; the public code's ×0.956 per epoch is about "
          + "15).")
  Integer temperatureAnnealEpochs;

  @Option(names = "--warmup-steps", converter = OptionValues.AtLeast0.class, paramLabel = "N",
      description = "vab: the learning rate rises linearly over the first N steps (default 600, "
          + "one epoch; 0: none, as before the warm-up existed).")
  Integer warmupSteps;

  @Option(names = "--hidden", split = ",", paramLabel = "W1,W2,...",
      description = "vab: encoder hidden widths, the decoder their mirror (default 512,256; the "
          + "public code's joint-mixture script uses 500,500,2000).")
  int[] hidden;

  @Option(names = "--straight-through", description = "vab, gmvae_gumbel: straight-through "
      + "Gumbel estimator (hard bits or one-hot category forward, soft gradient).")
  boolean straightThrough;

  @Option(names = "--uniform-prior", description = "vab: the public code's variant: a uniform "
      + "Bernoulli(½) prior in training, the Bernoulli mixture fitted by EM to the training bits "
      + "after each epoch (session mode only).")
  boolean uniformPrior;

  @Option(names = "--backbone", paramLabel = "mlp|conv", description = "The image end of the "
      + "encoder and decoder. vab, gmvae_gumbel, vade, kdvae: mlp (the paper's dense nets, "
      + "default) or conv (a compact conv net, InfoGAN's MNIST networks without batch norm, "
      + "before the encoder's and after the decoder's dense layers); vc: conv (the paper's "
      + "Table II nets, default) or mlp (dense 500-500-2000 nets); docs/models.md.")
  String backbone;

  @Option(names = "--aug", paramLabel = "none|w2", description = "The augmentation loss (issue "
      + "20): w2 adds λ_aug·(L2 between the cluster posteriors of x and of its augmented copy x̂ + "
      + "the 2-Wasserstein distance of their Gaussian posteriors), Variational Clustering's Eq. "
      + "14-17 with its λ_aug schedule and per-dataset augmentation; none drops it. Default: the "
      + "paper's (w2 for vc, none elsewhere). vab takes the Bernoulli analogue.")
  String aug;

  @Option(names = "--gaussian-weight", paramLabel = "W",
      description = "gmvae_gumbel: the weight w_G of the Gaussian KL (default 5, the paper's).")
  Float gaussianWeight;

  @Option(names = "--binarize", negatable = true, description = "gmvae_gumbel: train on "
      + "dynamically binarised images (x_b ~ Bernoulli(x) per step, input and target; inference "
      + "takes x); on by default, --no-binarize trains on the grey images.")
  Boolean binarize;

  @Option(names = "--feature-bn-relu", negatable = true, description = "gmvae_gumbel reading: "
      + "the feature layer x̂ is followed by batch norm + ReLU like the hidden layers; on by "
      + "default, --no-feature-bn-relu makes x̂ linear.")
  Boolean featureBnRelu;

  @Option(names = "--joint-bn-relu", negatable = true, description = "gmvae_gumbel reading: "
      + "the decoder's input linear(z) + linear(c) is followed by batch norm + ReLU; off by "
      + "default.")
  Boolean jointBnRelu;

  enum Mode { session, eager }

  @Option(names = "--mode", defaultValue = "session",
      description = "session (default): each step is one session run of the training graph; "
          + "eager: the weights live in eager resource variables and each step is one call of a "
          + "compiled function that reads them, takes the batch and applies Adam (every phase "
          + "but k-DVAE's initialising VaDE; the same numbers).")
  Mode mode;

  /** Exit code of a run stopped by Ctrl-C (128 + SIGINT), its checkpoint saved. */
  static final int STOPPED = 130;

  /** The options that shape the model's config (the image shape comes with the data). */
  private ConfigOptions configOptions() {
    return new ConfigOptions(dataset, null, seed, mode == Mode.eager, epochs, batchSize,
        straightThrough, pretrainRecipe.name(), pretrainEpochs, pretrainLoss, refitEpochs,
        restarts, kmeansRestarts, priorWeights, jointLearningRate, initVadeEpochs,
        pairPretrainEpochs, initialClusters, reconsScale, augStopGradient, posteriorFromPixels,
        elboOnAugmented, softplusVariance, bits, temperatureAnnealEpochs, warmupSteps, hidden,
        uniformPrior, gaussianWeight, binarize, featureBnRelu, jointBnRelu, backbone, aug);
  }

  /** config.json of the run that {@code --resume RUN_DIR} continues (null otherwise). */
  private JsonObject saved;

  /** Resolves --run-dir / --resume RUN_DIR; a bare --resume RUN_DIR adopts the run's settings. */
  private void resolveRun() {
    resume = resumeFrom != null;
    if (resumeFrom != null && !resumeFrom.isEmpty()) {
      Path dir = Path.of(resumeFrom);
      if (runDir != null && !runDir.equals(dir)) {
        throw new ParameterException(new CommandLine(this),
            "--run-dir " + runDir + " and --resume " + dir + " name different runs");
      }
      runDir = dir;
      saved = new RunDirectory(dir).readConfig().orElseThrow(() -> new IllegalArgumentException(
          dir + " has no " + RunDirectory.CONFIG + ": not a training run to resume"));
      model = saved.get("model").getAsString();
      dataset = saved.get("dataset").getAsString();
      trainOn = saved.has("all_size") ? "all" : "train";
      if (trainLimit == null && "train".equals(trainOn)) {
        trainLimit = saved.get("train_size").getAsInt();
      }
      if (testLimit == null && saved.has("test_size")) {
        testLimit = saved.get("test_size").getAsInt();
      }
    }
    if (runDir == null) {
      throw new ParameterException(new CommandLine(this),
          "give --run-dir DIR (a new or existing run) or --resume RUN_DIR");
    }
  }

  @Override
  public Integer call() {
    resolveRun();
    if (!Models.NAMES.contains(model)) {
      throw new ParameterException(new CommandLine(this), "--model must be one of "
          + Models.NAMES + ", not '" + model + "'");
    }
    dataset = Datasets.canonicalName(dataset);
    DeepclustCli.requireDataset(this, dataset);
    if (!Device.isValidSpec(device)) {
      throw new ParameterException(new CommandLine(this),
          "--device must be auto, cpu, gpu or gpu:N, not '" + device + "'");
    }
    Device chosen = Device.resolve(device);
    System.out.println(chosen.logLine());
    boolean useXla = xla.use(model, chosen);
    if (useXla) {
      System.out.println("XLA auto-clustering: on" + (xla == Xla.auto ? " (" + model
          + "'s default on the CPU; --xla off turns it off)" : ""));
      if (chosen.kind() != Device.Kind.GPU && !Models.xlaCpuFlagSet()) {
        System.out.println("  note: TF_XLA_FLAGS lacks " + Models.XLA_CPU_FLAG + ", so TensorFlow"
            + " will not cluster on the CPU (./deepclust sets it)");
      }
    }
    boolean bf16 = precision.use(model, chosen);
    if (bf16) {
      boolean amx = Precision.cpuFlags().contains(Precision.AMX_FLAG);
      System.out.println("precision: bf16 (oneDNN auto mixed precision"
          + (precision == Precision.auto ? "; auto: " + model + " on a CPU with AMX)" : ")")
          + (amx ? "" : Precision.cpuHasBf16() ? "; note: this CPU has avx512_bf16 but no AMX,"
          + " where bf16 measured slower than fp32" : "; note: this CPU has no avx512_bf16 or"
          + " amx_bf16, so oneDNN emulates bfloat16, slower than fp32"));
    }
    SessionSettings session = new SessionSettings(chosen, threads != null ? threads : 0,
        logDevicePlacement, useXla, bf16);
    if (!"train".equals(trainOn) && !"all".equals(trainOn)) {
      throw new ParameterException(new CommandLine(this),
          "--train-on must be train or all, not '" + trainOn + "'");
    }
    Path cache = "none".equals(pretrainCache) ? null
        : "auto".equals(pretrainCache) ? PretrainCache.defaultRoot() : Path.of(pretrainCache);
    var run = new TrainRun(new TrainRequest(model, configOptions(), saved, runDir, resume,
        trainLimit, testLimit, trainOn, checkpointEvery, keepCheckpoints, !noProgress, session,
        mode == Mode.eager, cache, System.out));
    // Ctrl-C / SIGTERM: the JVM runs this hook and exits when it returns, so it waits until
    // training has saved the checkpoint of its current step.
    CountDownLatch finished = new CountDownLatch(1);
    Thread onSignal = new Thread(() -> {
      System.err.println("deepclust train: stopping after the current step to save a checkpoint");
      run.requestStop();
      try {
        finished.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "deepclust-stop");
    Runtime.getRuntime().addShutdownHook(onSignal);
    TrainRun.Outcome outcome;
    try {
      outcome = run.run();
    } catch (TrainRun.BadOption e) {
      throw new ParameterException(new CommandLine(this), e.getMessage());
    } catch (Trainer.Stopped stopped) {
      System.out.println(stopped.getMessage());
      return STOPPED;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: the JVM exits once it returns.
      }
    }
    Trainer.Result result = outcome.result();
    System.out.printf("%s ACC %.4f  NMI %.4f  ARI %.4f  (%s %s split, %d images)%n",
        outcome.split(), result.testAcc(), result.testNmi(), result.testAri(), dataset,
        outcome.split(), outcome.splitImages());
    System.out.printf("%.1f s per epoch%n", result.secondsPerEpoch());
    System.out.println("SavedModel: " + result.export());
    if (!noReport) {
      // The run and its export are complete: a report that fails is a warning, not a failed run.
      try {
        System.out.println("report: " + RunReport.write(runDir, outcome.test()).markdown());
      } catch (RuntimeException e) {
        System.err.println("deepclust train: no report (" + e.getMessage() + "); retry with "
            + "./deepclust report " + runDir);
      }
    }
    return 0;
  }
}
