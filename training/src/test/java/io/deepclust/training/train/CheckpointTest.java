package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.deepclust.graphs.models.GmvaeGumbelConfig;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.training.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints as users meet them: a stop request mid-epoch, keep-last-K, and a resume past a
 * truncated checkpoint or the leftover of a killed save, each giving the uninterrupted run's
 * metrics lines.
 */
class CheckpointTest {
  /** 96 images in batches of 16: 6 steps per epoch. */
  static final Dataset TRAIN = TrainerTest.twoPrototypes(96, 11);
  static final Dataset TEST = TrainerTest.twoPrototypes(32, 12);
  static final GmvaeGumbelConfig CONFIG = TrainerTest.CONFIG;

  /** Trains {@code model} (closing it); {@code out} gets the trainer's lines. */
  static Trainer.Result train(TrainingModel model, Trainer trainer, Dataset train,
      RunDirectory run) {
    try (model) {
      return trainer.train(model, train, TEST, run);
    }
  }

  static Trainer trainer(boolean resume, PrintStream out, int every, int keep) {
    return new Trainer(new Trainer.Options(resume, false, out, "toy", every, keep));
  }

  /**
   * {@code model} whose phases call {@code afterStep} after every optimizer step (a proxy: every
   * other call goes to the model and its phases as they are).
   */
  static TrainingModel afterEachStep(TrainingModel model, Runnable afterStep) {
    return proxy(TrainingModel.class, model, (name, result) -> name.equals("phases")
        ? ((List<?>) result).stream().map(p -> proxy(Phase.class, (Phase) p, (n, r) -> {
          if (n.equals("step")) {
            afterStep.run();
          }
          return r;
        })).toList() : result);
  }

  interface After {
    Object apply(String method, Object result);
  }

  static <T> T proxy(Class<T> type, T target, After after) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (self, method, args) -> {
          try {
            return after.apply(method.getName(), method.invoke(target, args));
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        }));
  }

  /** The metrics lines without their timings. */
  static List<JsonObject> lines(RunDirectory run) throws Exception {
    return Files.readAllLines(run.path().resolve(RunDirectory.METRICS)).stream().map(l -> {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      o.remove("train_seconds");
      o.remove("seconds");
      return o;
    }).toList();
  }

  static List<String> checkpointNames(RunDirectory run) throws Exception {
    try (Stream<Path> s = Files.list(run.path())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint"))
          .sorted().toList();
    }
  }

  static String text(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  static void assertSameExport(RunDirectory a, RunDirectory b) {
    try (var m1 = ClusteringModel.load(a.exportPath());
        var m2 = ClusteringModel.load(b.exportPath())) {
      float[][] rows = {TEST.image(0), TEST.image(7)};
      assertArrayEquals(m1.assign(rows).probs()[1], m2.assign(rows).probs()[1], 0f);
      assertArrayEquals(m1.embed(rows)[0], m2.embed(rows)[0], 0f);
    }
  }

  @Test
  void aStopRequestMidEpochSavesThatStepAndTheResumeRepeatsTheUninterruptedRun(
      @TempDir Path tmp) throws Exception {
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        straight);

    var stopped = new RunDirectory(tmp.resolve("stopped"));
    Trainer first = trainer(false, TrainerTest.QUIET, 1, 2);
    AtomicInteger steps = new AtomicInteger();
    // Stop after 8 steps: epoch 2, batch 2 of 6.
    var stop = assertThrows(Trainer.Stopped.class, () -> train(afterEachStep(
        new GmvaeGumbelTrainingGraph(CONFIG), () -> {
          if (steps.incrementAndGet() == 8) {
            first.requestStop();
          }
        }), first, TRAIN, stopped));
    assertEquals(stopped.path().resolve("checkpoint-8"), stop.checkpoint());
    assertTrue(stop.getMessage().contains("after batch 2 of 6 (step 8)"), stop.getMessage());
    var state = stopped.checkpointState().orElseThrow();
    assertEquals(new RunDirectory.State(0, 1, 8, 2, state.termSums()), state);
    assertEquals(4, state.termSums().length, "loss and its three terms");
    assertEquals(1, lines(stopped).size(), "no line for the epoch it stopped inside");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(true, new PrintStream(out), 1, 2), TRAIN,
        stopped);
    assertTrue(text(out).contains("batch 2 of the next epoch) from checkpoint-8"), text(out));
    assertEquals(lines(straight), lines(stopped));
    assertSameExport(straight, stopped);
  }

  @Test
  void vadeStoppedInsideItsFirstJointEpochResumesWithoutRefittingTheGmm(@TempDir Path tmp)
      throws Exception {
    // 64 images in batches of 16: 4 steps per epoch, 2 pretraining epochs, then joint.
    Dataset train = TrainerTest.twoPrototypes(64, 13);
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new VadeTrainingGraph(MultiPhaseTrainingTest.VADE),
        trainer(false, TrainerTest.QUIET, 1, 2), train, straight);
    var stopped = new RunDirectory(tmp.resolve("stopped"));
    Trainer first = trainer(false, TrainerTest.QUIET, 1, 2);
    AtomicInteger steps = new AtomicInteger();
    var stop = assertThrows(Trainer.Stopped.class, () -> train(afterEachStep(
        new VadeTrainingGraph(MultiPhaseTrainingTest.VADE), () -> {
          if (steps.incrementAndGet() == 10) {
            first.requestStop();
          }
        }), first, train, stopped));
    assertTrue(stop.getMessage().startsWith("stopped in joint epoch 1/2 after batch 2 of 4"),
        stop.getMessage());
    train(new VadeTrainingGraph(MultiPhaseTrainingTest.VADE),
        trainer(true, TrainerTest.QUIET, 1, 2), train, stopped);
    assertEquals(lines(straight), lines(stopped));
  }

  @Test
  void eagerModeStoppedMidEpochSavesItsEagerWeightsAndResumesExactly(@TempDir Path tmp)
      throws Exception {
    // VAB: 64 images in batches of 16, 4 steps per epoch; stop after 6 (epoch 2, batch 2).
    Dataset train = TrainerTest.twoPrototypes(64, 14);
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(EagerTraining.wrap(new VabTrainingGraph(VabTrainingTest.tiny(2))),
        trainer(false, TrainerTest.QUIET, 1, 2), train, straight);
    var stopped = new RunDirectory(tmp.resolve("stopped"));
    Trainer first = trainer(false, TrainerTest.QUIET, 1, 2);
    AtomicInteger steps = new AtomicInteger();
    assertThrows(Trainer.Stopped.class, () -> train(afterEachStep(
        EagerTraining.wrap(new VabTrainingGraph(VabTrainingTest.tiny(2))), () -> {
          if (steps.incrementAndGet() == 6) {
            first.requestStop();
          }
        }), first, train, stopped));
    assertEquals(2, stopped.checkpointState().orElseThrow().batchesDone());
    train(EagerTraining.wrap(new VabTrainingGraph(VabTrainingTest.tiny(2))),
        trainer(true, TrainerTest.QUIET, 1, 2), train, stopped);
    assertEquals(lines(straight), lines(stopped));
  }

  @Test
  void onlyTheNewestKCheckpointsAreKept(@TempDir Path tmp) throws Exception {
    var run = new RunDirectory(tmp.resolve("run"));
    train(new GmvaeGumbelTrainingGraph(CONFIG.withEpochs(4)),
        trainer(false, TrainerTest.QUIET, 1, 2), TRAIN, run);
    assertEquals(List.of("checkpoint-18", "checkpoint-24"), checkpointNames(run));

    var sparse = new RunDirectory(tmp.resolve("sparse"));
    // Every 3 epochs, and at the end: epochs 3 and 4.
    train(new GmvaeGumbelTrainingGraph(CONFIG.withEpochs(4)),
        trainer(false, TrainerTest.QUIET, 3, 5), TRAIN, sparse);
    assertEquals(List.of("checkpoint-18", "checkpoint-24"), checkpointNames(sparse));
    try (Stream<Path> s = Files.list(sparse.path())) {
      assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".")),
          "no temporaries left");
    }
  }

  @Test
  void aTruncatedNewestCheckpointIsSkippedForThePreviousOneWithOneLineSayingWhy(
      @TempDir Path tmp) throws Exception {
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        straight);
    var run = new RunDirectory(tmp.resolve("run"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        run);
    Path data = run.path().resolve("checkpoint-18/ckpt.data-00000-of-00001");
    long size = Files.size(data);
    try (var ch = Files.newByteChannel(data, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(size / 2);
    }

    ByteArrayOutputStream notes = new ByteArrayOutputStream();
    Path again = CheckpointExport.latest(run, tmp.resolve("again"), new PrintStream(notes));
    assertTrue(text(notes).contains("skipped checkpoint-18: ckpt.data-00000-of-00001 has "
        + size / 2 + " bytes, state.json lists " + size + " (truncated or corrupt)\n"
        + "exporting checkpoint-12 (phase 0, epoch 2, step 12)"), text(notes));
    assertTrue(Files.isDirectory(run.path().resolve("checkpoint-18")), "export changes nothing");
    var twoEpochs = new RunDirectory(tmp.resolve("two"));
    train(new GmvaeGumbelTrainingGraph(CONFIG.withEpochs(2)),
        trainer(false, TrainerTest.QUIET, 1, 2), TRAIN, twoEpochs);
    try (var m1 = ClusteringModel.load(twoEpochs.exportPath());
        var m2 = ClusteringModel.load(again)) {
      float[][] rows = {TEST.image(3)};
      assertArrayEquals(m1.assign(rows).probs()[0], m2.assign(rows).probs()[0], 0f);
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(true, new PrintStream(out), 1, 2), TRAIN,
        run);
    List<String> said = text(out).lines().toList();
    assertEquals("checkpoint: skipped checkpoint-18: ckpt.data-00000-of-00001 has " + size / 2
        + " bytes, state.json lists " + size + " (truncated or corrupt); renamed it"
        + " checkpoint-18.corrupt", said.get(0));
    assertTrue(said.get(1).endsWith("from checkpoint-12"), said.get(1));
    assertEquals("metrics.jsonl: kept its first 2 of 3 lines (the epochs the checkpoint has done);"
        + " all 3 are in metrics.jsonl.bak-1", said.get(2));
    assertEquals(3, Files.readAllLines(run.path().resolve("metrics.jsonl.bak-1")).size());
    assertEquals(lines(straight), lines(run));
    assertEquals(List.of("checkpoint-12", "checkpoint-18", "checkpoint-18.corrupt"),
        checkpointNames(run));
    assertSameExport(straight, run);
  }

  @Test
  void theLeftoverOfAKilledSaveIsSkippedAndDeleted(@TempDir Path tmp) throws Exception {
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        straight);
    var run = new RunDirectory(tmp.resolve("run"));
    train(new GmvaeGumbelTrainingGraph(CONFIG.withEpochs(2)),
        trainer(false, TrainerTest.QUIET, 1, 2), TRAIN, run);
    // What a save killed before its rename leaves: the variables, no state.json.
    Path leftover = run.path().resolve(".checkpoint-18.tmp-5f0c");
    Files.createDirectories(leftover);
    Files.copy(run.path().resolve("checkpoint-12/ckpt.index"), leftover.resolve("ckpt.index"));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(true, new PrintStream(out), 1, 2), TRAIN,
        run);
    List<String> said = text(out).lines().toList();
    assertEquals("checkpoint: skipped .checkpoint-18.tmp-5f0c: a save that never finished (the"
        + " process was killed while writing it); deleted it", said.get(0));
    assertTrue(said.get(1).endsWith("from checkpoint-12"), said.get(1));
    assertFalse(Files.exists(leftover));
    assertEquals(lines(straight), lines(run));
  }

  @Test
  void aCheckpointWithoutItsStateIsNeverTaken(@TempDir Path tmp) throws Exception {
    var run = new RunDirectory(tmp.resolve("run"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        run);
    Path state = run.path().resolve("checkpoint-18").resolve(RunDirectory.STATE);
    String json = Files.readString(state);
    Files.writeString(state, json.substring(0, json.length() / 2));
    List<String> notes = new java.util.ArrayList<>();
    var latest = run.latestCheckpoint(notes::add, false).orElseThrow();
    assertEquals("checkpoint-12", latest.name());
    assertEquals(List.of("checkpoint: skipped checkpoint-18: its state.json is unreadable"
        + " (truncated or corrupt)"), notes);
    Files.delete(state);
    notes.clear();
    run.latestCheckpoint(notes::add, false);
    assertEquals(List.of("checkpoint: skipped checkpoint-18: it has no state.json (never"
        + " finished)"), notes);
  }

  @Test
  void aRunWithTheOldSingleCheckpointDirectoryStillResumes(@TempDir Path tmp) throws Exception {
    var straight = new RunDirectory(tmp.resolve("straight"));
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(false, TrainerTest.QUIET, 1, 2), TRAIN,
        straight);
    var run = new RunDirectory(tmp.resolve("run"));
    train(new GmvaeGumbelTrainingGraph(CONFIG.withEpochs(2)),
        trainer(false, TrainerTest.QUIET, 1, 1), TRAIN, run);
    // The layout before checkpoint-<step>/: checkpoint/ with {phase, epochsDone, steps} only.
    Files.move(run.path().resolve("checkpoint-12"), run.path().resolve(RunDirectory.CHECKPOINT));
    Files.writeString(run.path().resolve(RunDirectory.CHECKPOINT).resolve(RunDirectory.STATE),
        "{\"phase\": 0, \"epochsDone\": 2, \"steps\": 12}\n");
    train(new GmvaeGumbelTrainingGraph(CONFIG), trainer(true, TrainerTest.QUIET, 1, 2), TRAIN,
        run);
    assertEquals(lines(straight), lines(run));
    assertEquals(List.of(RunDirectory.CHECKPOINT, "checkpoint-18"), checkpointNames(run));
  }
}
