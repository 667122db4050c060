package io.deepclust.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoTest {
  private static final String VALID =
      """
      {"contract": 1, "model": "vade", "clusters": 10, "latent_dim": 10,
       "input_shape": [28, 28, 1], "likelihood": "bernoulli", "made_by": "python",
       "dataset": "mnist", "config": {"lr": 0.002, "seed": 1}, "metrics": {"acc": 0.9446},
       "commit": "ignored extra key"}
      """;

  @TempDir Path dir;

  @Test
  void readsEveryField() throws IOException {
    ModelInfo info = ModelInfo.read(write(VALID));
    assertEquals(1, info.contract());
    assertEquals("vade", info.model());
    assertEquals(10, info.clusters());
    assertEquals(10, info.latentDim());
    assertArrayEquals(new int[] {28, 28, 1}, info.inputShape());
    assertEquals(784, info.pixels());
    assertEquals("bernoulli", info.likelihood());
    assertEquals("python", info.madeBy());
    assertEquals("mnist", info.dataset());
    assertEquals(Map.of("lr", 0.002, "seed", 1L), info.config());
    assertEquals(Map.of("acc", 0.9446), info.metrics());
  }

  @Test
  void writtenDescriptionReadsBackEqual() throws IOException {
    ModelInfo info = ModelInfo.read(write(VALID));
    Path other = dir.resolve("other");
    info.write(other);
    assertEquals(info, ModelInfo.read(other));
  }

  @Test
  void inputShapeCannotBeChangedFromOutside() throws IOException {
    ModelInfo info = ModelInfo.read(write(VALID));
    info.inputShape()[0] = 5;
    assertEquals(28, info.height());
  }

  @Test
  void missingFileOfASavedModelIsNamed() throws IOException {
    Files.writeString(dir.resolve("saved_model.pb"), "");
    assertMessage(dir, "deepclust.json", "missing");
  }

  @Test
  void nonexistentDirectorySaysSo() {
    assertDirectory(dir.resolve("nowhere"), "no such directory");
  }

  @Test
  void fileInsteadOfADirectorySaysSo() throws IOException {
    assertDirectory(Files.writeString(dir.resolve("model.pb"), ""), "not a directory");
  }

  @Test
  void directoryWithoutSavedModelPbIsNotASavedModel() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "");
    assertDirectory(dir, "not a SavedModel: no saved_model.pb");
  }

  @Test
  void runDirectoryPointsAtItsExport() throws IOException {
    Files.createDirectories(dir.resolve("export"));
    Files.writeString(dir.resolve("export/saved_model.pb"), "");
    Files.writeString(dir.resolve("config.json"), "{}");
    assertDirectory(dir, "a run directory, not a SavedModel: use " + dir.resolve("export"));
  }

  @Test
  void runDirectoryWithoutExportSaysHowToMakeOne() throws IOException {
    Files.writeString(dir.resolve("config.json"), "{}");
    Files.createDirectories(dir.resolve("checkpoint-600"));
    assertDirectory(dir, "a run directory with no export/ yet");
  }

  /** The message starts with the directory and says what it is; no assets/ path to confuse. */
  private static void assertDirectory(Path exportDir, String says) {
    ContractException e = assertThrows(ContractException.class, () -> ModelInfo.read(exportDir));
    assertTrue(e.getMessage().startsWith(exportDir + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(says), e.getMessage());
    assertTrue(!e.getMessage().contains("deepclust.json"), e.getMessage());
  }

  @Test
  void malformedJsonGivesThePosition() throws IOException {
    assertMessage(
        write("{\"contract\": 1,, }"), "deepclust.json", "malformed JSON", "at position 15");
  }

  @Test
  void missingKeyIsNamed() throws IOException {
    assertMessage(write(VALID.replace("\"latent_dim\": 10,", "")), "missing key \"latent_dim\"");
  }

  @Test
  void wrongTypeIsNamed() throws IOException {
    assertMessage(
        write(VALID.replace("\"clusters\": 10", "\"clusters\": \"10\"")),
        "\"clusters\" must be an integer",
        "the string \"10\"");
    assertMessage(
        write(VALID.replace("\"clusters\": 10", "\"clusters\": 2.5")),
        "\"clusters\" must be an integer");
    assertMessage(
        write(VALID.replace("\"config\": {\"lr\": 0.002, \"seed\": 1}", "\"config\": []")),
        "\"config\" must be an object",
        "an array");
    assertMessage(
        write(VALID.replace("\"made_by\": \"python\"", "\"made_by\": null")),
        "\"made_by\" must be a string",
        "null");
  }

  @Test
  void unsupportedContractVersionIsNamed() throws IOException {
    assertMessage(
        write(VALID.replace("\"contract\": 1", "\"contract\": 2")),
        "unsupported contract version 2");
  }

  @Test
  void valuesOutsideTheContractAreNamed() throws IOException {
    assertMessage(write(VALID.replace("\"vade\"", "\"dec\"")), "\"model\" is 'dec'", "vab");
    assertMessage(
        write(VALID.replace("\"clusters\": 10", "\"clusters\": 0")), "\"clusters\" must be ≥ 1");
    assertMessage(
        write(VALID.replace("[28, 28, 1]", "[784]")), "\"input_shape\" must be [H, W, C]");
    assertMessage(write(VALID.replace("\"bernoulli\"", "\"poisson\"")), "\"likelihood\"");
  }

  @Test
  void genericKindIsReadForAModelOfNoneOfOurKinds() throws IOException {
    ModelInfo info = ModelInfo.read(write(VALID.replace("\"vade\"", "\"generic\"")));
    assertEquals("generic", info.model());
    assertFalse(info.isVab());
  }

  @Test
  void unknownKindIsRefusedNamingTheGenericKind() throws IOException {
    assertMessage(write(VALID.replace("\"vade\"", "\"dec\"")), "\"model\" is 'dec'", "generic");
  }

  @Test
  void topLevelMustBeAnObject() throws IOException {
    assertMessage(write("[1]"), "expected a JSON object");
  }

  private Path write(String json) throws IOException {
    Path file = ModelInfo.file(dir);
    Files.createDirectories(file.getParent());
    Files.writeString(file, json);
    return dir;
  }

  private static void assertMessage(Path exportDir, String... parts) {
    ContractException e = assertThrows(ContractException.class, () -> ModelInfo.read(exportDir));
    assertTrue(e.getMessage().contains(ModelInfo.file(exportDir).toString()), e.getMessage());
    for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
