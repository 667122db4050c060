package io.deepclust.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;

class ContractValidatorTest {
  @TempDir Path dir;

  @Test
  void conformingModelValidatesAndReturnsItsDescription() throws IOException {
    TinyModel tiny = new TinyModel();
    assertEquals(tiny.info(), ContractValidator.validate(tiny.export(dir)));
  }

  @Test
  void conformingVabModelValidates() throws IOException {
    TinyModel tiny = new TinyModel().model("vab");
    assertEquals(tiny.info(), ContractValidator.validate(tiny.export(dir)));
  }

  @Test
  void validatesAnAlreadyLoadedBundle() throws IOException {
    new TinyModel().export(dir);
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), Contract.TAG)) {
      assertEquals(3, ContractValidator.validate(bundle, dir).clusters());
      assertEquals(
          List.of(), ContractValidator.violations(bundle.metaGraphDef(), new TinyModel().info()));
    }
  }

  @Test
  void missingSignatureIsNamedWithThosePresent() throws IOException {
    assertViolation(
        new TinyModel().omit(Contract.SIG_EMBED),
        "missing signature 'embed' (present: [decode, prior, reconstruct, serving_default])");
  }

  @Test
  void wrongOutputDtypeIsNamed() throws IOException {
    assertViolation(
        new TinyModel().probsAsDouble(),
        "signature 'serving_default': output 'probs' has dtype DT_DOUBLE, expected DT_FLOAT");
  }

  @Test
  void int32ClusterOutputIsNamed() throws IOException {
    assertViolation(
        new TinyModel().clusterAsInt32(),
        "signature 'serving_default': output 'cluster' has dtype DT_INT32, expected DT_INT64");
  }

  @Test
  void wrongRankIsNamed() throws IOException {
    assertViolation(
        new TinyModel().zWithExtraAxis(),
        "signature 'embed': output 'z' has rank 3 (shape [-1, 1, 2]), expected rank 2 [-1, 2]");
  }

  @Test
  void latentWidthDisagreeingWithTheDescriptionIsNamed() throws IOException {
    assertViolation(
        new TinyModel().editJson(m -> m.put(Contract.JSON_LATENT_DIM, 5)),
        "signature 'embed': output 'z' has shape [-1, 2], expected [-1, 5]",
        "signature 'decode': input 'z' has shape [-1, 2], expected [-1, 5]");
  }

  @Test
  void inputShapeDisagreeingWithTheDescriptionIsNamed() throws IOException {
    assertViolation(
        new TinyModel().editJson(m -> m.put(Contract.JSON_INPUT_SHAPE, List.of(3, 2, 1))),
        "signature 'serving_default': input 'x' has shape [-1, 2, 2, 1], expected [-1, 3, 2, 1]");
  }

  @Test
  void clusterCountDisagreeingWithTheDescriptionIsNamed() throws IOException {
    assertViolation(
        new TinyModel().editJson(m -> m.put(Contract.JSON_CLUSTERS, 4)),
        "output 'probs' has shape [-1, 3], expected [-1, 4]");
  }

  @Test
  void vabWithoutCompressIsNamed() throws IOException {
    assertViolation(
        new TinyModel().model("vab").omit(Contract.SIG_COMPRESS), "missing signature 'compress'");
  }

  @Test
  void nonVabModelWithoutStddevIsNamed() throws IOException {
    // A VAB graph (no stddev) described as VaDE.
    assertViolation(
        new TinyModel().model("vab").editJson(m -> m.put(Contract.JSON_MODEL, "vade")),
        "signature 'prior': output 'stddev' is missing (present: [mean])");
  }

  @Test
  void modelWithOrWithoutPriorMixValidates() throws IOException {
    TinyModel tiny = new TinyModel().model("vc").priorMix();
    assertEquals(tiny.info(), ContractValidator.validate(tiny.export(dir.resolve("with"))));
    TinyModel plain = new TinyModel().model("vc");
    assertEquals(plain.info(), ContractValidator.validate(plain.export(dir.resolve("without"))));
  }

  @Test
  void priorMixWithDoubleWeightsIsNamed() throws IOException {
    assertViolation(
        new TinyModel().priorMixWeightsAsDouble(),
        "signature 'prior_mix': input 'weights' has dtype DT_DOUBLE, expected DT_FLOAT");
  }

  @Test
  void priorMixWithWrongRankIsNamed() throws IOException {
    assertViolation(
        new TinyModel().priorMixStddevWithExtraAxis(),
        "signature 'prior_mix': output 'stddev' has rank 3 (shape [-1, 1, 2]), expected rank 2"
            + " [-1, 2]");
  }

  @Test
  void priorMixWeightsDisagreeingWithTheClusterCountAreNamed() throws IOException {
    assertViolation(
        new TinyModel().priorMix().editJson(m -> m.put(Contract.JSON_CLUSTERS, 4)),
        "signature 'prior_mix': input 'weights' has shape [-1, 3], expected [-1, 4]");
  }

  @Test
  void genericModelWithTheCommonSignaturesValidatesAndLoads() throws IOException {
    TinyModel tiny = new TinyModel().model(Contract.MODEL_GENERIC);
    assertEquals(tiny.info(), ContractValidator.validate(tiny.export(dir)));
    try (ClusteringModel m = ClusteringModel.load(dir)) {
      assertEquals(Contract.MODEL_GENERIC, m.info().model());
    }
  }

  @Test
  void genericModelStillNeedsEveryCommonSignature() throws IOException {
    for (String sig : Contract.COMMON_SIGNATURES) {
      assertViolation(
          new TinyModel().model(Contract.MODEL_GENERIC).omit(sig),
          "missing signature '" + sig + "'");
    }
  }

  @Test
  void missingDescriptionIsNamed() throws IOException {
    assertViolation(new TinyModel().withoutJson(), "deepclust.json: missing");
  }

  @Test
  void malformedDescriptionGivesThePosition() throws IOException {
    assertViolation(
        new TinyModel().json("{\"contract\": 1, \"model\": vade}"),
        "deepclust.json: malformed JSON",
        "at position 25");
  }

  @Test
  void missingKeyIsNamed() throws IOException {
    assertViolation(
        new TinyModel().editJson(m -> m.remove(Contract.JSON_CLUSTERS)),
        "missing key \"clusters\"");
  }

  @Test
  void wrongContractVersionIsNamed() throws IOException {
    assertViolation(
        new TinyModel().editJson(m -> m.put(Contract.JSON_CONTRACT, 2)),
        "unsupported contract version 2");
  }

  @Test
  void directoryWithoutSavedModelIsNamed() throws IOException {
    new TinyModel().info().write(dir);
    ContractException e =
        assertThrows(ContractException.class, () -> ContractValidator.validate(dir));
    assertTrue(e.getMessage().contains("no saved_model.pb"), e.getMessage());
  }

  @Test
  void loadingABrokenModelFailsWithTheSameMessage() throws IOException {
    new TinyModel().omit(Contract.SIG_PRIOR).export(dir);
    ContractException e = assertThrows(ContractException.class, () -> ClusteringModel.load(dir));
    assertTrue(e.getMessage().contains("missing signature 'prior'"), e.getMessage());
  }

  @Test
  void missingVariablesDirectoryIsRefusedAtLoadNamingIt() throws IOException {
    new TinyModel().export(dir);
    deleteTree(dir.resolve("variables"));
    for (Executable load :
        List.<Executable>of(
            () -> ClusteringModel.load(dir), () -> ContractValidator.validate(dir))) {
      ContractException e = assertThrows(ContractException.class, load);
      assertEquals(1, e.getMessage().lines().count(), e.getMessage());
      assertTrue(e.getMessage().startsWith(dir.resolve("variables") + ": missing"), e.getMessage());
    }
  }

  @Test
  void variablesWithoutTheirDataShardAreRefusedAtLoadNamingTheShard() throws IOException {
    new TinyModel().export(dir);
    Path variables = dir.resolve("variables");
    Files.delete(variables.resolve("variables.data-00000-of-00001"));
    ContractException e = assertThrows(ContractException.class, () -> ClusteringModel.load(dir));
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertTrue(e.getMessage().startsWith(variables + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("variables.data-00000-of-00001"), e.getMessage());
  }

  @Test
  void variablesWithoutTheirIndexAreRefusedAtLoadNamingIt() throws IOException {
    new TinyModel().export(dir);
    Path variables = dir.resolve("variables");
    Files.delete(variables.resolve("variables.index"));
    ContractException e = assertThrows(ContractException.class, () -> ClusteringModel.load(dir));
    assertTrue(e.getMessage().startsWith(variables + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("variables.index"), e.getMessage());
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private void assertViolation(TinyModel tiny, String... parts) throws IOException {
    Path exported = tiny.export(dir);
    ContractException e =
        assertThrows(ContractException.class, () -> ContractValidator.validate(exported));
    for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
