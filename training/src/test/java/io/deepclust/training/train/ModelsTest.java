package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.deepclust.graphs.models.GmmStart;
import io.deepclust.graphs.models.KdvaeConfig;
import io.deepclust.graphs.models.Pretraining;
import io.deepclust.graphs.models.VadeConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** config.json written before the pretraining recipe existed opens as the run it was. */
class ModelsTest {
  /** A VaDE config.json as the trainer wrote it before the recipe (a backward-compat fixture). */
  static final String LEGACY_VADE = """
      {"inputShape": [4, 4, 1], "clusters": 2, "latentDim": 2, "encoderHidden": [16, 16, 8],
       "decoderHidden": [8, 16, 16], "learningRate": 0.002, "learningRateDecay": 0.9,
       "learningRateDecayEpochs": 10, "learningRateFloor": 0.0002, "adamEpsilon": 1.0E-4,
       "pretrainEpochs": 7, "pretrainLearningRate": 0.005, "batchSize": 50, "epochs": 3,
       "seed": 11}""";
  /** The same for k-DVAE, whose initialising VaDE had only its pretraining epochs. */
  static final String LEGACY_KDVAE = """
      {"inputShape": [4, 4, 1], "clusters": 2, "latentDim": 2, "encoderHidden": [16],
       "decoderHidden": [16], "learningRate": 0.001, "adamEpsilon": 1.0E-7, "batchSize": 32,
       "epochs": 2, "pairPretrainEpochs": 1, "initVadePretrainEpochs": 4, "initVadeEpochs": 1,
       "seed": 12}""";

  static VadeConfig vade(JsonElement json) {
    return (VadeConfig) Models.spec("vade").config(json);
  }

  static KdvaeConfig kdvae(JsonElement json) {
    return (KdvaeConfig) Models.spec("kdvae").config(json);
  }

  @Test
  void aLegacyVadeConfigOpensWithTheAdamBceRecipeItRan() {
    VadeConfig c = vade(JsonParser.parseString(LEGACY_VADE));
    assertEquals(new Pretraining("adam", 0.005f, 0f, "bce", 50, 7, "glorot_uniform", 0),
        c.pretraining());
    assertEquals(new GmmStart(3, 1, "fit"), c.gmmStart());
    assertEquals(50, c.batchSize());
    assertEquals(3, c.epochs());
    assertEquals(11L, c.seed());
    assertEquals(2e-3f, c.learningRate());
  }

  @Test
  void aLegacyVadeConfigWithoutItsLearningRateTookAdamsDefault() {
    var json = JsonParser.parseString(LEGACY_VADE).getAsJsonObject();
    json.remove("pretrainLearningRate");
    assertEquals(1e-3f, vade(json).pretraining().learningRate());
  }

  @Test
  void upgradingLeavesItsInputAsItWas() {
    var json = JsonParser.parseString(LEGACY_VADE);
    vade(json);
    assertEquals(JsonParser.parseString(LEGACY_VADE), json);
  }

  @Test
  void aCurrentVadeConfigIsReturnedUnchanged() {
    VadeConfig current = MultiPhaseTrainingTest.VADE.withPretraining(Pretraining.decKeras())
        .withGmmStart(new GmmStart(4, 2, "uniform"));
    JsonElement json = new Gson().toJsonTree(current);
    assertSame(json, Models.upgradeVade(json, "pretraining", "gmmStart", "pretrainEpochs"));
    VadeConfig back = vade(json);
    assertEquals(Pretraining.decKeras(), back.pretraining());
    assertEquals(new GmmStart(4, 2, "uniform"), back.gmmStart());
  }

  @Test
  void aLegacyKdvaeConfigOpensWithItsInitialisingVadesAdamBceRecipe() {
    KdvaeConfig c = kdvae(JsonParser.parseString(LEGACY_KDVAE));
    assertEquals(new Pretraining("adam", 1e-3f, 0f, "bce", 32, 4, "glorot_uniform", 0),
        c.initVadePretraining());
    assertEquals(new GmmStart(3, 1, "fit"), c.initVadeGmmStart());
    assertEquals(1, c.initVadeEpochs());
    assertEquals(1, c.pairPretrainEpochs());
    assertEquals(KdvaeConfig.KMEANS, c.initialClusters(), "written before the key: k-means");
  }

  @Test
  void initialClustersAreKmeansOrVadeAndNothingElse() {
    var c = MultiPhaseTrainingTest.KDVAE;
    assertEquals(KdvaeConfig.VADE, kdvae(new Gson().toJsonTree(
        c.withInitialClusters(KdvaeConfig.VADE))).initialClusters());
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> c.withInitialClusters("gmm"));
    assertEquals("initialClusters must be kmeans or vade, got 'gmm'", e.getMessage());
  }

  @Test
  void aCurrentKdvaeConfigIsReturnedUnchanged() {
    JsonElement json = new Gson().toJsonTree(MultiPhaseTrainingTest.KDVAE);
    assertSame(json, Models.upgradeVade(json, "initVadePretraining", "initVadeGmmStart",
        "initVadePretrainEpochs"));
    assertEquals(MultiPhaseTrainingTest.KDVAE.initVadePretraining(),
        kdvae(json).initVadePretraining());
  }

  @Test
  void openingALegacyVadeConfigBuildsItsRecipesOptimizer() {
    try (var m = (VadeTrainingGraph) Models.open("vade", JsonParser.parseString(LEGACY_VADE))) {
      assertEquals(Pretraining.ADAM, m.config.pretraining().optimizer());
      assertEquals(7, m.config.pretraining().epochs());
      assertNull(m.pretrainSgd, "Adam, not SGD with momentum");
      assertNull(m.refitAdam, "no decoder refit");
      assertEquals(List.of("pretrain", "joint"),
          m.phases().stream().map(Phase::name).toList());
    }
  }
}
