package io.deepclust.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.inference.ContractException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The spark-submit job's main logic on the local[2] session (no spark-submit on the test
 * machine): PNG folder, idx and Parquet inputs in one run, compared with {@code ./deepclust
 * predict} on the same files.
 */
class AssignJobTest {
  @Test
  void pngIdxAndParquetInputsGivePredictsRows() throws IOException {
    Path model = Fixtures.model();
    Path pngs = PredictEquivalenceTest.writePngs(Fixtures.testImages(), 40);
    Path parquet = Fixtures.folder("parquet").resolve("images.parquet");
    IdxFrames.read(Fixtures.spark(), Fixtures.testImages(), 3).limit(60)
        .write().parquet(parquet.toString());
    Path out = Fixtures.folder("job").resolve("assigned");
    int code = AssignJob.execute(Fixtures.spark(), "--model", model.toString(), "--input",
        pngs + "," + Fixtures.testImages(), "--input", parquet.toString(), "--output",
        out.toString(), "--batch-size", "16");
    assertEquals(0, code);
    List<Row> rows = Fixtures.spark().read().parquet(out.toString()).collectAsList();
    assertEquals(List.of("input", "name", "cluster", "probability"),
        List.of(Fixtures.spark().read().parquet(out.toString()).schema().fieldNames()));
    assertEquals(40 + 10_000 + 60, rows.size());

    Map<String, Fixtures.Predicted> fromPngs = Fixtures.predict(model, pngs);
    Map<String, Fixtures.Predicted> fromIdx = Fixtures.predict(model, Fixtures.testImages());
    Map<String, Map<String, Fixtures.Predicted>> expected = new HashMap<>();
    expected.put(pngs.toString(), fromPngs);
    expected.put(Fixtures.testImages().toString(), fromIdx);
    expected.put(parquet.toString(), fromIdx); // the parquet rows are idx rows 0-59, same names
    for (Row r : rows) {
      Fixtures.Predicted p = expected.get(r.getString(0)).get(r.getString(1));
      assertNotNull(p, r.toString());
      assertEquals(p.cluster(), r.getInt(2), r.toString());
      assertEquals(p.probability(), r.getFloat(3), 6e-7, r.toString());
    }
  }

  @Test
  void badModelFailsBeforeAnythingIsWritten() {
    Path out = Fixtures.folder("job").resolve("never");
    ContractException e = assertThrows(ContractException.class, () -> AssignJob.execute(
        Fixtures.spark(), "--model", out.resolveSibling("nomodel").toString(), "--input",
        Fixtures.testImages().toString(), "--output", out.toString()));
    assertTrue(e.getMessage().contains("nomodel"), e.getMessage());
    assertTrue(!out.toFile().exists());
  }

  @Test
  void badOptionsAreAUsageError() {
    assertEquals(2, AssignJob.execute(Fixtures.spark(), "--model", "m", "--output", "o"));
    assertEquals(2, AssignJob.execute(Fixtures.spark(), "--model", "m", "--input", "i",
        "--output", "o", "--format", "jpeg"));
  }
}
