package io.deepclust.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.io.IdxReader;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer's schema, embedding column, model sharing and ML persistence. */
class ClusterAssignerTest {
  private static final int ROWS = 600;

  private static Dataset<Row> images() {
    return IdxFrames.read(Fixtures.spark(), Fixtures.testImages(), 6).limit(ROWS);
  }

  private static ClusterAssigner assigner() {
    return new ClusterAssigner().setModelPath(Fixtures.model().toString()).setNameCol("name");
  }

  @Test
  void schemaAppendsClusterProbabilityAndEmbedding() {
    StructType out = assigner().setEmbeddingCol("z").transformSchema(IdxFrames.SCHEMA);
    assertEquals(List.of("name", "image", "cluster", "probability", "z"),
        List.of(out.fieldNames()));
    assertEquals(DataTypes.IntegerType, out.apply("cluster").dataType());
    assertEquals(DataTypes.FloatType, out.apply("probability").dataType());
    assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), out.apply("z").dataType());
    assertEquals(4, assigner().transformSchema(IdxFrames.SCHEMA).size());
  }

  @Test
  void embeddingIsTheInferenceModulesEmbedding() {
    Path model = Fixtures.model();
    List<Row> rows = assigner().setEmbeddingCol("z").setBatchSize(64).transform(images())
        .select("name", "z").collectAsList();
    IdxReader.Images d = IdxReader.readImages(Fixtures.testImages());
    float[][] images = new float[ROWS][];
    for (int i = 0; i < ROWS; i++) {
      images[i] = d.pixels(i);
    }
    try (ClusteringModel m = ClusteringModel.load(model)) {
      float[][] z = m.embed(images);
      assertEquals(ROWS, rows.size());
      for (Row r : rows) {
        int i = Integer.parseInt(r.getString(0));
        List<Float> got = r.getList(1);
        float[] actual = new float[got.size()];
        for (int j = 0; j < actual.length; j++) {
          actual[j] = got.get(j);
        }
        assertArrayEquals(z[i], actual, 0f, "row " + i);
      }
    }
  }

  @Test
  void oneModelPerJvmSharedByAllTasks() {
    String model = Fixtures.model().toString();
    assigner().transform(images()).count(); // loaded by the first use, if no test did yet
    int before = ModelCache.loads();
    Dataset<Row> many = IdxFrames.read(Fixtures.spark(), Fixtures.testImages(), 8).limit(800);
    assertEquals(800, assigner().setBatchSize(50).transform(many.repartition(8)).count());
    assertEquals(before, ModelCache.loads(), "the executor JVM loaded the model again");
    assertTrue(ModelCache.holds(model));
    ModelCache.closeAll();
    assertFalse(ModelCache.holds(model));
    assertEquals(800, assigner().transform(many).count());
    assertEquals(before + 1, ModelCache.loads(), "a closed model is loaded again when needed");
  }

  @Test
  void pipelineSavesAndLoadsWithTheSameOutput(@TempDir Path dir) throws Exception {
    ClusterAssigner assigner = assigner().setClusterCol("k").setProbabilityCol("q")
        .setBatchSize(77);
    SQLTransformer select = new SQLTransformer().setStatement("SELECT name, k, q FROM __THIS__");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assigner, select});
    pipeline.write().overwrite().save(dir.resolve("pipeline").toString());
    Pipeline loadedPipeline = Pipeline.load(dir.resolve("pipeline").toString());
    ClusterAssigner restored = (ClusterAssigner) loadedPipeline.getStages()[0];
    assertEquals(assigner.uid(), restored.uid());
    assertEquals(assigner.getModelPath(), restored.getModelPath());
    assertEquals("k", restored.getClusterCol());
    assertEquals("q", restored.getProbabilityCol());
    assertEquals("name", restored.getNameCol());
    assertEquals(77, restored.getBatchSize());

    Dataset<Row> data = images();
    PipelineModel fitted = pipeline.fit(data);
    fitted.write().overwrite().save(dir.resolve("model").toString());
    PipelineModel loaded = PipelineModel.load(dir.resolve("model").toString());
    List<Row> expected = fitted.transform(data).orderBy("name").collectAsList();
    List<Row> actual = loaded.transform(data).orderBy("name").collectAsList();
    assertEquals(ROWS, expected.size());
    assertEquals(expected, actual);
  }

  @Test
  void savedAloneLoadsAlone(@TempDir Path dir) throws Exception {
    ClusterAssigner a = assigner().setEmbeddingCol("z").setInputCol("pixels");
    a.save(dir.resolve("a").toString());
    ClusterAssigner b = ClusterAssigner.load(dir.resolve("a").toString());
    assertEquals(a.uid(), b.uid());
    assertEquals(a.extractParamMap().toString(), b.extractParamMap().toString());
  }
}
