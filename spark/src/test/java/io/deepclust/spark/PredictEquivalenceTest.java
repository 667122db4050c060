package io.deepclust.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.io.IdxReader;
import io.deepclust.training.io.ImageInputs;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The Spark path against {@code ./deepclust predict}, row for row, on the MNIST test split (idx)
 * and on PNG files of its first images ({@code binaryFile}). Clusters must be equal; probabilities
 * equal to the CSV's six decimals, and bit for bit to the inference module's own {@code assign}
 * of the CLI's rows (the model runs each row alone through per-row ops, so the batch a row falls
 * in does not change its numbers).
 */
class PredictEquivalenceTest {
  private static final int PNGS = 500;

  @Test
  void idxTestSplitMatchesPredictRowForRow() {
    Path model = Fixtures.model();
    Map<String, Fixtures.Predicted> cli = Fixtures.predict(model, Fixtures.testImages());
    Dataset<Row> images = IdxFrames.read(Fixtures.spark(), Fixtures.testImages(), 7);
    List<Row> rows = new ClusterAssigner().setModelPath(model.toString()).setNameCol("name")
        .setBatchSize(300).transform(images).select("name", "cluster", "probability")
        .collectAsList();
    assertEquals(10_000, cli.size());
    assertTrue(rows.stream().map(r -> r.getInt(1)).distinct().count() >= 3,
        "the tiny model should use several clusters, or equal clusters would prove little");
    assertSame(cli, rows);
    assertBitForBit(model, Fixtures.testImages(), rows);
  }

  @Test
  void pngFolderMatchesPredictRowForRow() throws IOException {
    Path model = Fixtures.model();
    Path folder = writePngs(Fixtures.testImages(), PNGS);
    Map<String, Fixtures.Predicted> cli = Fixtures.predict(model, folder);
    Dataset<Row> files = Fixtures.spark().read().format("binaryFile")
        .option("pathGlobFilter", "*.png").load(folder.toString()).repartition(3);
    List<Row> rows = new ClusterAssigner().setModelPath(model.toString()).setInputCol("content")
        .transform(files)
        .select(regexp_extract(col("path"), "([^/]*)$", 1).as("name"), col("cluster"),
            col("probability"))
        .collectAsList();
    assertEquals(PNGS, cli.size());
    assertSame(cli, rows);
    assertBitForBit(model, folder, rows);
  }

  /** Every CLI row has one Spark row of the same name, cluster and (six-decimal) probability. */
  private static void assertSame(Map<String, Fixtures.Predicted> cli, List<Row> rows) {
    assertEquals(cli.size(), rows.size());
    Map<String, Row> byName = new HashMap<>();
    for (Row r : rows) {
      assertEquals(null, byName.put(r.getString(0), r), "name twice: " + r.getString(0));
    }
    cli.forEach((name, p) -> {
      Row r = byName.get(name);
      assertNotNull(r, "no Spark row for " + name);
      assertEquals(p.cluster(), r.getInt(1), name);
      assertEquals(p.probability(), r.getFloat(2), 5e-7 + 1e-7, name);
    });
  }

  /** The Spark probabilities are the CLI's rows through the inference module, bit for bit. */
  private static void assertBitForBit(Path model, Path input, List<Row> rows) {
    try (ClusteringModel m = ClusteringModel.load(model)) {
      ImageInputs.Images images = ImageInputs.read(input, 28, 28, 1);
      Assignment a = m.assign(images.rows());
      Map<String, Integer> index = new HashMap<>();
      for (int i = 0; i < images.names().size(); i++) {
        index.put(images.names().get(i), i);
      }
      int[] clusters = new int[rows.size()];
      int[] expectedClusters = new int[rows.size()];
      float[] probs = new float[rows.size()];
      float[] expectedProbs = new float[rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        int i = index.get(rows.get(r).getString(0));
        clusters[r] = rows.get(r).getInt(1);
        expectedClusters[r] = a.clusters()[i];
        probs[r] = rows.get(r).getFloat(2);
        expectedProbs[r] = a.probs()[i][a.clusters()[i]];
      }
      assertArrayEquals(expectedClusters, clusters);
      assertArrayEquals(expectedProbs, probs, 0f);
    }
  }

  /** The first {@code n} images of an idx file as 8-bit grey PNGs named 00000.png, …. */
  static Path writePngs(Path idx, int n) throws IOException {
    Path folder = Fixtures.folder("pngs");
    IdxReader.Images d = IdxReader.readImages(idx);
    for (int i = 0; i < n; i++) {
      BufferedImage img = new BufferedImage(d.cols(), d.rows(), BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < d.rows(); y++) {
        for (int x = 0; x < d.cols(); x++) {
          img.getRaster().setSample(x, y, 0, d.data()[(i * d.rows() + y) * d.cols() + x] & 0xff);
        }
      }
      ImageIO.write(img, "png", folder.resolve(String.format("%05d.png", i)).toFile());
    }
    return folder;
  }
}
