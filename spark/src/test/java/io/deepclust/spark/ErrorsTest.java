package io.deepclust.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.ContractException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Failures: a bad model fails {@code transform} on the driver with the inference module's own
 * message (before any job runs); a bad image row fails the action with the row's name.
 */
class ErrorsTest {
  /** What {@link ClusteringModel#load} itself says about {@code dir}. */
  private static String loadError(Path dir) {
    return assertThrows(ContractException.class, () -> ClusteringModel.load(dir).close())
        .getMessage();
  }

  private static Dataset<Row> images() {
    return IdxFrames.read(Fixtures.spark(), Fixtures.testImages(), 2).limit(10);
  }

  @Test
  void wrongModelPathFailsAtTransformWithTheInferenceMessage() {
    Path missing = Fixtures.folder("nomodel").resolve("export");
    long jobs = Fixtures.spark().sparkContext().statusTracker().getJobIdsForGroup(null).length;
    ContractException e = assertThrows(ContractException.class, () -> new ClusterAssigner()
        .setModelPath(missing.toString()).transform(images()));
    assertEquals(loadError(missing), e.getMessage());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertEquals(jobs,
        Fixtures.spark().sparkContext().statusTracker().getJobIdsForGroup(null).length,
        "no Spark job should run");
  }

  @Test
  void contractBreakingModelFailsAtTransformWithTheInferenceMessage() throws IOException {
    Path broken = copy(Fixtures.model(), Fixtures.folder("broken").resolve("export"));
    Path json = broken.resolve("assets/deepclust.json");
    String text = Files.readString(json);
    Files.writeString(json, text.replaceFirst("\"latent_dim\"\\s*:\\s*\\d+", "\"latent_dim\": 3"));
    String expected = loadError(broken);
    ContractException e = assertThrows(ContractException.class, () -> new ClusterAssigner()
        .setModelPath(broken.toString()).setNameCol("name").transform(images()));
    assertEquals(expected, e.getMessage());
  }

  @Test
  void badPngFailsWithItsFileName() throws IOException {
    Path folder = PredictEquivalenceTest.writePngs(Fixtures.testImages(), 5);
    Files.write(folder.resolve("00002-broken.png"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2});
    Dataset<Row> files = Fixtures.spark().read().format("binaryFile")
        .option("pathGlobFilter", "*.png").load(folder.toString());
    Dataset<Row> out = new ClusterAssigner().setModelPath(Fixtures.model().toString())
        .setInputCol("content").transform(files);
    Exception e = assertThrows(Exception.class, out::collectAsList);
    assertTrue(chain(e).contains("00002-broken.png: not a PNG file (no PNG signature)"),
        chain(e));
  }

  @Test
  void imageOfWrongLengthOrRangeFailsWithItsName() {
    StructType schema = IdxFrames.SCHEMA;
    float[] tooShort = new float[783];
    float[] outOfRange = new float[784];
    outOfRange[5] = 255f;
    for (Object[] c : List.of(new Object[] {"short-one", tooShort, "has 783 values"},
        new Object[] {"bright-one", outOfRange, "value 255.0 at index 5"})) {
      Dataset<Row> df = Fixtures.spark().createDataFrame(
          List.of(RowFactory.create("fine", new float[784]), RowFactory.create(c[0], c[1])),
          schema);
      Dataset<Row> out = new ClusterAssigner().setModelPath(Fixtures.model().toString())
          .setNameCol("name").transform(df);
      Exception e = assertThrows(Exception.class, out::collectAsList);
      assertTrue(chain(e).contains(c[0] + ": "), chain(e));
      assertTrue(chain(e).contains((String) c[2]), chain(e));
    }
  }

  @Test
  void missingOrWrongInputColumnFailsAtTransform() {
    ClusterAssigner a = new ClusterAssigner().setModelPath(Fixtures.model().toString());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> a.setInputCol("pixels").transform(images()));
    assertTrue(missing.getMessage().contains("no image column 'pixels'"), missing.getMessage());
    Dataset<Row> strings = images().selectExpr("name", "name AS image");
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> a.setInputCol("image").transform(strings));
    assertTrue(wrong.getMessage().contains("'image' is string"), wrong.getMessage());
    IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
        () -> a.setClusterCol("name").transform(images()));
    assertTrue(taken.getMessage().contains("'name' already exists"), taken.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new ClusterAssigner().transformSchema(IdxFrames.SCHEMA));
    assertEquals(DataTypes.StringType, strings.schema().apply("image").dataType());
  }

  /** Every message of {@code e}'s cause chain, one per line. */
  static String chain(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t.getMessage()).append('\n');
    }
    return s.toString();
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return to;
  }
}
