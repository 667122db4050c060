package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.assertOneLineError;
import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.deepclust.training.data.Datasets;
import io.deepclust.training.data.Split;
import io.deepclust.training.train.Device;
import io.deepclust.training.train.RunFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code deepclust train}'s device, thread and checkpoint options. */
class TrainCommandTest {
  @Test
  void gpuOnAMachineWithoutOneFailsAtOnceWithOneLine(@TempDir Path tmp) {
    assumeFalse(Device.cudaBuild(), "the native library is the CUDA build");
    var r = run("train", "--run-dir", tmp.resolve("run").toString(), "--device", "gpu");
    assertOneLineError(r, 1, "--device gpu: no GPU: the native library is the CPU build");
    assertFalse(Files.exists(tmp.resolve("run")), "nothing written");
  }

  @Test
  void anUnknownDeviceIsAUsageError(@TempDir Path tmp) {
    assertOneLineError(run("train", "--run-dir", tmp.toString(), "--device", "tpu"), 2, "tpu");
  }

  @Test
  void checkpointsEveryZeroEpochsIsAUsageError(@TempDir Path tmp) {
    assertOneLineError(run("train", "--run-dir", tmp.toString(), "--checkpoint-every", "0"), 2,
        "option '--checkpoint-every': must be at least 1, not 0");
    assertOneLineError(run("train", "--run-dir", tmp.toString(), "--threads", "0"), 2,
        "option '--threads': must be at least 1, not 0");
  }

  @Test
  void autoTrainsOnTheCpuAndSaysSoInItsFirstLine(@TempDir Path tmp) throws Exception {
    assumeFalse(Device.cudaBuild(), "the native library is the CUDA build");
    Path cache = Datasets.defaultCacheDir();
    assumeTrue(Files.isRegularFile(Datasets.imagesFile(cache, Datasets.MNIST, Split.TRAIN)),
        "MNIST not in " + cache + "; run tools/fetch-data mnist");
    Path runDir = tmp.resolve("run");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    DeepclustCliTest.Run r;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
      r = run("train", "--run-dir", runDir.toString(), "--device", "auto", "--threads", "1",
          "--epochs", "1", "--batch-size", "100", "--train-limit", "200", "--test-limit", "100",
          "--no-progress", "--no-report");
    } finally {
      System.setOut(stdout);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, r.code(), r.err() + out);
    assertEquals("device: cpu (no GPU: the native library is the CPU build)",
        out.lines().findFirst().orElseThrow());
    var provenance = JsonParser.parseString(Files.readString(runDir.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("provenance");
    assertEquals("cpu", provenance.get("device").getAsString());
    assertEquals(1, provenance.get("threads").getAsInt());
    assertEquals(1, Files.readAllLines(runDir.resolve("metrics.jsonl")).size());
  }

  @Test
  void reconsScaleSetsVcsLambdaScheduleAndABadOneIsAUsageError(@TempDir Path tmp)
      throws Exception {
    var config = trainTiny(tmp.resolve("run"), "vc", "1", "--recons-scale", "1,3,0.25",
        "--posterior-from-pixels", "--elbo-on-augmented", "--softplus-variance");
    assertEquals("[1.0,3.0,0.25]", config.get("reconsScale").toString());
    for (String key : List.of("posteriorFromPixels", "elboOnAugmented", "softplusVariance")) {
      assertTrue(config.get(key).getAsBoolean(), key);
    }
    var bad = run("train", "--model", "vc", "--run-dir", tmp.resolve("bad").toString(),
        "--recons-scale", "1,0,2", "--no-progress", "--no-report");
    assertOneLineError(bad, 2, "--recons-scale");
  }

  @Test
  void temperatureAnnealAndWarmupSetVabsSchedulesAndAZeroAnnealIsAUsageError(@TempDir Path tmp)
      throws Exception {
    var config = trainTiny(tmp.resolve("run"), "vab", "2", "--temperature-anneal-epochs", "1",
        "--warmup-steps", "0");
    assertEquals(1, config.get("temperatureAnnealEpochs").getAsInt());
    assertEquals(0, config.get("warmupSteps").getAsInt());
    assertEquals(28, config.get("bits").getAsInt(), "the other settings stay the defaults");
    var bad = run("train", "--model", "vab", "--run-dir", tmp.resolve("bad").toString(),
        "--temperature-anneal-epochs", "0", "--no-progress", "--no-report");
    assertOneLineError(bad, 2, "--temperature-anneal-epochs");
  }

  @Test
  void gmvaeReadingsSwitchesDefaultToBinarisedAndRefuseANegativeWeight(@TempDir Path tmp)
      throws Exception {
    var config = trainTiny(tmp.resolve("run"), "gmvae_gumbel", "1", "--gaussian-weight", "2.5",
        "--binarize", "--straight-through", "--feature-bn-relu", "--joint-bn-relu");
    assertEquals(2.5, config.get("gaussianWeight").getAsDouble(), 0.0);
    assertTrue(config.get("binarize").getAsBoolean());
    assertTrue(config.get("straightThrough").getAsBoolean());
    assertTrue(config.get("featureBnRelu").getAsBoolean());
    assertTrue(config.get("jointBnRelu").getAsBoolean());
    var plain = trainTiny(tmp.resolve("plain"), "gmvae_gumbel", "1");
    assertEquals(5.0, plain.get("gaussianWeight").getAsDouble(), 0.0, "the paper's w_G");
    assertTrue(plain.get("binarize").getAsBoolean(), "binarised images are the default");
    assertFalse(plain.get("straightThrough").getAsBoolean());
    assertTrue(plain.get("featureBnRelu").getAsBoolean(), "x̂ batch norm + ReLU by default");
    assertFalse(plain.get("jointBnRelu").getAsBoolean(), "the decoder's input as it is");
    var grey = trainTiny(tmp.resolve("grey"), "gmvae_gumbel", "1", "--no-binarize",
        "--no-feature-bn-relu");
    assertFalse(grey.get("binarize").getAsBoolean());
    assertFalse(grey.get("featureBnRelu").getAsBoolean());
    var bad = run("train", "--model", "gmvae_gumbel", "--run-dir", tmp.resolve("bad").toString(),
        "--gaussian-weight", "-1", "--no-progress", "--no-report");
    assertOneLineError(bad, 2, "--gaussian-weight");
  }

  @Test
  void hiddenSetsVabsEncoderAndTheMirroredDecoderAndAZeroWidthIsAUsageError(@TempDir Path tmp)
      throws Exception {
    var config = trainTiny(tmp.resolve("run"), "vab", "1", "--hidden", "30,20,50");
    assertEquals("[30,20,50]", config.get("encoderHidden").toString());
    assertEquals("[50,20,30]", config.get("decoderHidden").toString());
    var bad = run("train", "--model", "vab", "--run-dir", tmp.resolve("bad").toString(),
        "--hidden", "30,0", "--no-progress", "--no-report");
    assertOneLineError(bad, 2, "--hidden");
  }

  @Test
  void backboneSetsEveryModelsBackboneAndAnUnknownOneIsAUsageError(@TempDir Path tmp)
      throws Exception {
    for (String model : List.of("vab", "gmvae_gumbel", "vade", "kdvae")) {
      // VaDE (and k-DVAE's initialising VaDE): a pretraining batch (100) and enough images for
      // a GMM of 10 components; k-DVAE's pair pretraining takes K batches (here 10 × 10).
      var config = switch (model) {
        case "vade" -> train(tmp.resolve(model), "--model", model, "--epochs", "1",
            "--train-limit", "100", "--test-limit", "2", "--pretrain-recipe", "adam_bce",
            "--pretrain-epochs", "1", "--backbone", "conv");
        case "kdvae" -> train(tmp.resolve(model), "--model", model, "--epochs", "1",
            "--batch-size", "10", "--train-limit", "100", "--test-limit", "2",
            "--pretrain-recipe", "adam_bce", "--pretrain-epochs", "1", "--init-vade-epochs", "1",
            "--pair-pretrain-epochs", "1", "--backbone", "conv");
        default -> trainTiny(tmp.resolve(model), model, "1", "--backbone", "conv");
      };
      assertEquals("conv", config.get("backbone").getAsString(), model);
    }
    var unknown = run("train", "--model", "vab", "--run-dir", tmp.resolve("x").toString(),
        "--backbone", "resnet", "--no-progress", "--no-report");
    assertOneLineError(unknown, 2, "--backbone");
    var vc = trainTiny(tmp.resolve("vc"), "vc", "1", "--backbone", "mlp");
    assertEquals("mlp", vc.get("backbone").getAsString());
  }

  @Test
  void augW2AddsTheAugmentationLossToEveryModelAndAnUnknownValueIsAUsageError(@TempDir Path tmp)
      throws Exception {
    for (String model : List.of("gmvae_gumbel", "vab")) {
      var config = trainTiny(tmp.resolve(model), model, "1", "--aug", "w2");
      assertEquals("w2", config.get("aug").getAsString(), model);
      assertEquals("rotation", config.get("augmentation").getAsString(), model);
      var metrics = Files.readAllLines(tmp.resolve(model).resolve("metrics.jsonl"));
      assertTrue(metrics.get(0).contains("\"aug_w2\""), metrics.get(0));
    }
    var vade = train(tmp.resolve("vade"), "--model", "vade", "--epochs", "1", "--train-limit",
        "100", "--test-limit", "2", "--pretrain-recipe", "adam_bce", "--pretrain-epochs", "1",
        "--aug", "w2");
    assertEquals("w2", vade.get("aug").getAsString());
    var vc = trainTiny(tmp.resolve("vc"), "vc", "1", "--aug", "none");
    assertEquals(0f, vc.getAsJsonArray("augWeight").get(0).getAsFloat());
    var kdvae = train(tmp.resolve("kdvae"), "--model", "kdvae", "--epochs", "1", "--batch-size",
        "10", "--train-limit", "100", "--test-limit", "2", "--pretrain-recipe", "adam_bce",
        "--pretrain-epochs", "1", "--init-vade-epochs", "1", "--pair-pretrain-epochs", "1",
        "--aug", "w2");
    assertEquals("w2", kdvae.get("aug").getAsString());
    var bad = run("train", "--model", "kdvae", "--run-dir", tmp.resolve("y").toString(),
        "--aug", "l1", "--no-progress", "--no-report");
    assertOneLineError(bad, 2, "--aug: aug must be none or w2, not l1");
  }

  /**
   * Trains {@code model} for {@code epochs} on 2 MNIST images (batch 2, stdout muted) with the
   * extra options; returns the run's config (skipped when MNIST is not installed).
   */
  private static JsonObject trainTiny(Path runDir, String model, String epochs, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("--model", model, "--epochs", epochs,
        "--batch-size", "2", "--train-limit", "2", "--test-limit", "2"));
    args.addAll(List.of(extra));
    return train(runDir, args.toArray(String[]::new));
  }

  /** {@code train --run-dir runDir options} on MNIST, stdout muted; returns the run's config. */
  private static JsonObject train(Path runDir, String... options) throws Exception {
    Path cache = Datasets.defaultCacheDir();
    assumeTrue(Files.isRegularFile(Datasets.imagesFile(cache, Datasets.MNIST, Split.TRAIN)),
        "MNIST not in " + cache + "; run tools/fetch-data mnist");
    List<String> args = new ArrayList<>(List.of("train", "--run-dir", runDir.toString(),
        "--no-progress", "--no-report"));
    args.addAll(List.of(options));
    PrintStream stdout = System.out;
    DeepclustCliTest.Run r;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      r = run(args.toArray(String[]::new));
    } finally {
      System.setOut(stdout);
    }
    assertEquals(0, r.code(), r.err());
    return JsonParser.parseString(Files.readString(runDir.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("config");
  }

  @Test
  void resumeRunDirAloneContinuesTheRunWithItsOwnSettings(@TempDir Path tmp) throws Exception {
    Path cache = Datasets.defaultCacheDir();
    assumeTrue(Files.isRegularFile(Datasets.imagesFile(cache, Datasets.MNIST, Split.TRAIN)),
        "MNIST not in " + cache + "; run tools/fetch-data mnist");
    String[] common = {"--model", "vab", "--bits", "6", "--batch-size", "50", "--train-limit",
        "200", "--test-limit", "100", "--no-progress", "--no-report"};
    Path straight = tmp.resolve("straight");
    Path resumed = tmp.resolve("resumed");
    PrintStream stdout = System.out;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      assertEquals(0, run(concat(common, "--run-dir", straight.toString(), "--epochs", "2"))
          .code());
      assertEquals(0, run(concat(common, "--run-dir", resumed.toString(), "--epochs", "1"))
          .code());
      // No --model, --bits, limits: they come from RUN_DIR/config.json; --epochs extends it.
      var r = run("train", "--resume", resumed.toString(), "--epochs", "2", "--no-progress",
          "--no-report");
      assertEquals(0, r.code(), r.err());
    } finally {
      System.setOut(stdout);
    }
    var a = Files.readAllLines(straight.resolve("metrics.jsonl"));
    var b = Files.readAllLines(resumed.resolve("metrics.jsonl"));
    assertEquals(2, b.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(JsonParser.parseString(a.get(i)).getAsJsonObject().get("loss"),
          JsonParser.parseString(b.get(i)).getAsJsonObject().get("loss"), "epoch " + (i + 1));
    }
  }

  @Test
  void dataFashionIsFashionMnist(@TempDir Path tmp) throws Exception {
    Path cache = Datasets.defaultCacheDir();
    assumeTrue(Files.isRegularFile(Datasets.imagesFile(cache, Datasets.FASHION_MNIST,
        Split.TRAIN)), "Fashion-MNIST not in " + cache + "; run tools/fetch-data fashion-mnist");
    Path runDir = tmp.resolve("run");
    PrintStream stdout = System.out;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      var r = run("train", "--model", "vab", "--bits", "6", "--data", "fashion", "--run-dir",
          runDir.toString(), "--epochs", "1", "--train-limit", "100", "--test-limit", "50",
          "--no-progress", "--no-report");
      assertEquals(0, r.code(), r.err());
    } finally {
      System.setOut(stdout);
    }
    assertEquals("fashion-mnist", JsonParser.parseString(Files.readString(
        runDir.resolve("config.json"))).getAsJsonObject().get("dataset").getAsString());
  }

  @Test
  void trainLimitZeroLeavesTheEarlierRunAsItWas(@TempDir Path tmp) throws Exception {
    Path runDir = earlierRun(tmp);
    var before = RunFiles.snapshot(runDir);
    var r = run("train", "--model", "vab", "--bits", "6", "--run-dir", runDir.toString(),
        "--train-limit", "0", "--no-progress", "--no-report");
    assertOneLineError(r, 2, "option '--train-limit': must be at least 1, not 0");
    RunFiles.assertUnchanged(before, RunFiles.snapshot(runDir));
  }

  @Test
  void aBatchLargerThanTheTrainingSetLeavesTheEarlierRunAsItWas(@TempDir Path tmp)
      throws Exception {
    Path runDir = earlierRun(tmp);
    var before = RunFiles.snapshot(runDir);
    var r = quietly(() -> run("train", "--model", "vab", "--bits", "6", "--run-dir",
        runDir.toString(), "--epochs", "1", "--train-limit", "50", "--batch-size", "100",
        "--test-limit", "100", "--no-progress", "--no-report"));
    assertOneLineError(r, 1, "has 50 images, fewer than one batch of 100");
    RunFiles.assertUnchanged(before, RunFiles.snapshot(runDir));
  }

  /** A finished one-epoch VAB run on 200 MNIST images (skips the test without MNIST). */
  private static Path earlierRun(Path tmp) {
    Path cache = Datasets.defaultCacheDir();
    assumeTrue(Files.isRegularFile(Datasets.imagesFile(cache, Datasets.MNIST, Split.TRAIN)),
        "MNIST not in " + cache + "; run tools/fetch-data mnist");
    Path runDir = tmp.resolve("run");
    var r = quietly(() -> run("train", "--model", "vab", "--bits", "6", "--batch-size", "50",
        "--epochs", "1", "--train-limit", "200", "--test-limit", "100", "--run-dir",
        runDir.toString(), "--no-progress", "--no-report"));
    assertEquals(0, r.code(), r.err());
    return runDir;
  }

  /** Runs {@code command} with stdout (training's progress lines) discarded. */
  private static DeepclustCliTest.Run quietly(Supplier<DeepclustCliTest.Run> command) {
    PrintStream stdout = System.out;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      return command.get();
    } finally {
      System.setOut(stdout);
    }
  }

  @Test
  void neitherRunDirNorResumeIsAUsageError() {
    assertOneLineError(run("train"), 2, "give --run-dir DIR");
  }

  private static String[] concat(String[] common, String... more) {
    String[] out = new String[common.length + more.length + 1];
    out[0] = "train";
    System.arraycopy(common, 0, out, 1, common.length);
    System.arraycopy(more, 0, out, 1 + common.length, more.length);
    return out;
  }
}
