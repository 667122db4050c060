package io.deepclust.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadProbeTest {
  @TempDir Path dir;

  @Test
  void probeImagesAreFiniteAndInTheUnitInterval() {
    float[][] x = LoadProbe.images(new TinyModel().info());
    assertEquals(LoadProbe.ROWS, x.length);
    for (float[] row : x) {
      assertEquals(TinyModel.D, row.length);
      for (float v : row) assertTrue(v >= 0 && v <= 1, "value " + v);
    }
  }

  @Test
  void conformingModelsPassTheProbe() throws IOException {
    for (TinyModel tiny :
        new TinyModel[] {
          new TinyModel(), new TinyModel().model("vab"), new TinyModel().priorMix()
        }) {
      Path d = tiny.export(dir.resolve(tiny.info().model() + tiny.hashCode()));
      try (ClusteringModel m = ClusteringModel.load(d)) {
        assertEquals(tiny.info(), m.info());
      }
    }
  }

  @Test
  void probsThatDoNotSumToOneAreRefusedWithTheSum() throws IOException {
    new TinyModel().probsNotNormalised().export(dir);
    // the first probe image is all zeros: logits 0, so sigmoid gives K halves
    String expectedSum = String.valueOf(TinyModel.K * 0.5);
    String message = refused();
    assertTrue(message.contains("serving_default row 0: probs sum to " + expectedSum), message);
    assertTrue(message.contains("1 ± 1.0E-4"), message);
  }

  @Test
  void clusterThatIsNotTheArgmaxOfProbsIsRefusedWithTheProbs() throws IOException {
    new TinyModel().clusterNotArgMax().export(dir);
    float[][] x = LoadProbe.images(new TinyModel().info());
    // the first row whose logits are not (nearly) tied: the ones and halves rows give 0.5 each
    int row = 0;
    while (spread(TinyModel.times(x[row], TinyModel.A)) < 1e-3) row++;
    int argMin = argMin(TinyModel.times(x[row], TinyModel.A));
    assertNotEquals(argMin, TinyModel.cluster(x[row]));
    String message = refused();
    assertTrue(
        message.contains(
            "serving_default row " + row + ": cluster " + argMin + " is not the argmax of probs"),
        message);
    assertTrue(message.contains("(argmax " + TinyModel.cluster(x[row]) + ")"), message);
  }

  @Test
  void embeddingWiderThanTheDescriptionsZIsRefusedWithBothWidths() throws IOException {
    new TinyModel().zTwiceAsWideAtRunTime().export(dir);
    String message = refused();
    assertTrue(message.contains("'embed'"), message);
    assertTrue(message.contains("[" + LoadProbe.ROWS + ", " + 2 * TinyModel.Z + "]"), message);
    assertTrue(message.contains("Z = " + TinyModel.Z), message);
  }

  /** Loads {@code dir}, expecting a one-line refusal that names it; returns the message. */
  private String refused() {
    ContractException e = assertThrows(ContractException.class, () -> ClusteringModel.load(dir));
    String message = e.getMessage();
    assertEquals(1, message.lines().count(), message);
    assertTrue(message.startsWith(dir + ": probe batch of " + LoadProbe.ROWS), message);
    return message;
  }

  private static double spread(double[] a) {
    return Arrays.stream(a).max().getAsDouble() - Arrays.stream(a).min().getAsDouble();
  }

  private static int argMin(double[] a) {
    int best = 0;
    for (int j = 1; j < a.length; j++) if (a[j] < a[best]) best = j;
    return best;
  }
}
