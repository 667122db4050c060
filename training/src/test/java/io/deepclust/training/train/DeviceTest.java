package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.google.gson.JsonObject;
import io.deepclust.training.data.Dataset;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/** Devices, threads and placement logging: the ConfigProto of each, detection, provenance. */
class DeviceTest {
  static final Device CPU = new Device(Device.Kind.CPU, -1, "--device cpu");

  @Test
  void tensorflowDefaultsMeanNoConfigProto() {
    assertNull(SessionSettings.DEFAULTS.configProto());
  }

  @Test
  void cpuHidesEveryGpu() {
    ConfigProto c = new SessionSettings(CPU, 0, false).configProto();
    assertEquals(0, c.getDeviceCountOrThrow("GPU"));
    assertFalse(c.hasGpuOptions());
    assertEquals(0, c.getIntraOpParallelismThreads());
    assertFalse(c.getLogDevicePlacement());
  }

  @Test
  void gpuNShowsOnlyThatGpuAndGrowsItsMemory() {
    ConfigProto c = new SessionSettings(new Device(Device.Kind.GPU, 1, "test"), 0, false)
        .configProto();
    assertEquals("1", c.getGpuOptions().getVisibleDeviceList());
    assertTrue(c.getGpuOptions().getAllowGrowth());
    assertFalse(c.containsDeviceCount("GPU"));
  }

  @Test
  void threadsSetBothThreadPoolsAndLoggingSetsPlacementLogging() {
    ConfigProto c = new SessionSettings(Device.DEFAULT, 3, true).configProto();
    assertEquals(3, c.getIntraOpParallelismThreads());
    assertEquals(3, c.getInterOpParallelismThreads());
    assertTrue(c.getLogDevicePlacement());
    assertFalse(c.containsDeviceCount("GPU"));
    assertThrows(IllegalArgumentException.class, () -> new SessionSettings(CPU, -1, false));
  }

  @Test
  void specsAreAutoCpuGpuOrGpuN() {
    for (String ok : new String[] {"auto", "cpu", "gpu", "gpu:0", "GPU:12"}) {
      assertTrue(Device.isValidSpec(ok), ok);
    }
    for (String bad : new String[] {"tpu", "gpu:", "gpu:x", "cpu:0", ""}) {
      assertFalse(Device.isValidSpec(bad), bad);
    }
    assertEquals(CPU, Device.resolve("cpu"));
    assertEquals("device: cpu (--device cpu)", Device.resolve("cpu").logLine());
  }

  @Test
  void autoOnTheCpuBuildIsTheCpuAndSaysWhy() {
    assumeFalse(Device.cudaBuild(), "the native library is the CUDA build");
    Device d = Device.resolve("auto");
    assertEquals(Device.Kind.CPU, d.kind());
    assertEquals("device: cpu (no GPU: the native library is the CPU build)", d.logLine());
    assertEquals("cpu", Device.DEFAULT.provenanceName());
  }

  @Test
  void gpuOnTheCpuBuildFailsAtOnceSayingWhy() {
    assumeFalse(Device.cudaBuild(), "the native library is the CUDA build");
    var e = assertThrows(IllegalStateException.class, () -> Device.resolve("gpu:1"));
    assertTrue(e.getMessage().startsWith("--device gpu:1: no GPU: the native library is the CPU"
        + " build"), e.getMessage());
  }

  @Test
  void oneThreadTrainsAndConfigJsonRecordsDeviceAndThreads(@TempDir Path tmp) {
    Dataset train = TrainerTest.twoPrototypes(64, 21);
    Dataset test = TrainerTest.twoPrototypes(32, 22);
    var run = new RunDirectory(tmp.resolve("run"));
    var settings = new SessionSettings(Device.resolve("cpu"), 1, false);
    try (var model = new GmvaeGumbelTrainingGraph(TrainerTest.CONFIG.withEpochs(1), settings)) {
      assertEquals(settings, model.sessionSettings());
      var result = new Trainer(new Trainer.Options(false, false, TrainerTest.QUIET, "toy"))
          .train(model, train, test, run);
      assertTrue(Double.isFinite(result.testAcc()));
    }
    JsonObject provenance = run.readConfig().orElseThrow().getAsJsonObject("provenance");
    assertEquals("cpu", provenance.get("device").getAsString());
    assertEquals(1, provenance.get("threads").getAsInt());
    assertEquals("fp32", provenance.get("precision").getAsString());
  }

  @Test
  void bf16TurnsOnOneDnnsBfloat16MixedPrecisionAndKeepsXla() {
    ConfigProto c = new SessionSettings(CPU, 0, false, true, true).configProto();
    assertEquals(RewriterConfig.Toggle.ON,
        c.getGraphOptions().getRewriteOptions().getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(OptimizerOptions.GlobalJitLevel.ON_1,
        c.getGraphOptions().getOptimizerOptions().getGlobalJitLevel());
    ConfigProto fp32 = new SessionSettings(CPU, 0, false, false, false).configProto();
    assertFalse(fp32.hasGraphOptions());
  }

  @Test
  void precisionIsBf16WhenAskedOrByDefaultForVcWithAmxAndNeverOnAGpu() {
    Device gpu = new Device(Device.Kind.GPU, 0, "--device gpu");
    Set<String> amx = Set.of("avx512f", "avx512_bf16", "amx_bf16", "amx_tile");
    Set<String> avx512Bf16 = Set.of("avx512f", "avx512_bf16");
    assertTrue(Precision.bf16.use("vc", CPU, avx512Bf16));
    assertTrue(Precision.bf16.use("vade", CPU, Set.of()));
    assertFalse(Precision.bf16.use("vc", gpu, amx));
    assertFalse(Precision.fp32.use("vc", CPU, amx));
    // auto: bf16 only where it measured faster and harmless (vc, AMX).
    assertTrue(Precision.auto.use("vc", CPU, amx));
    assertFalse(Precision.auto.use("vc", CPU, avx512Bf16));
    assertFalse(Precision.auto.use("vc", gpu, amx));
    for (String model : Models.NAMES) {
      assertEquals(model.equals("vc"), Precision.auto.use(model, CPU, amx), model);
    }
    assertFalse(Precision.auto.use(null, CPU, amx));
  }

  @Test
  void aBf16RunTrainsAndConfigJsonRecordsItsPrecision(@TempDir Path tmp) {
    Dataset train = TrainerTest.twoPrototypes(64, 21);
    Dataset test = TrainerTest.twoPrototypes(32, 22);
    var run = new RunDirectory(tmp.resolve("run"));
    var settings = new SessionSettings(CPU, 0, false, false, true);
    try (var model = new GmvaeGumbelTrainingGraph(TrainerTest.CONFIG.withEpochs(1), settings)) {
      var result = new Trainer(new Trainer.Options(false, false, TrainerTest.QUIET, "toy"))
          .train(model, train, test, run);
      assertTrue(Double.isFinite(result.testAcc()));
    }
    JsonObject provenance = run.readConfig().orElseThrow().getAsJsonObject("provenance");
    assertEquals("bf16", provenance.get("precision").getAsString());
  }
}
