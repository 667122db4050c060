package io.deepclust.spark;

import io.deepclust.inference.Assignment;
import io.deepclust.inference.ClusteringModel;
import io.deepclust.inference.io.PngPixels;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.Seq;

/**
 * One partition of {@link ClusterAssigner#transform}: its rows in batches of {@code batchSize},
 * each batch one {@link ClusteringModel#assign} (and {@link ClusteringModel#embed}) call on the
 * JVM's shared model ({@link ModelCache}). Rows come out in the order they came in, each with its
 * input columns then cluster, probability and, if asked, the embedding. Only one batch is held at
 * a time, so a partition of any size streams through.
 */
final class AssignPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /**
   * What a partition needs, decided on the driver.
   *
   * @param modelDir the SavedModel directory, as every executor sees it
   * @param input index of the image column
   * @param png whether that column holds PNG bytes (else array&lt;float&gt; in [0, 1])
   * @param name index of the column that names a row in error messages, or -1
   * @param embed whether to append the embedding
   */
  record Spec(String modelDir, int input, boolean png, int name, int batchSize, boolean embed,
      int height, int width, int channels) implements Serializable {
    int pixels() {
      return height * width * channels;
    }
  }

  private final Spec spec;

  AssignPartition(Spec spec) {
    this.spec = spec;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return rows;
    }
    ClusteringModel model = ModelCache.get(spec.modelDir());
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    return new Iterator<>() {
      private final ArrayDeque<Row> ready = new ArrayDeque<>();
      private long seen;

      @Override
      public boolean hasNext() {
        if (ready.isEmpty() && rows.hasNext()) {
          List<Row> batch = new ArrayList<>(spec.batchSize());
          while (batch.size() < spec.batchSize() && rows.hasNext()) {
            batch.add(rows.next());
          }
          ready.addAll(assign(model, batch, partition, seen));
          seen += batch.size();
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }
    };
  }

  private List<Row> assign(ClusteringModel model, List<Row> batch, int partition, long first) {
    float[][] images = new float[batch.size()][];
    for (int i = 0; i < images.length; i++) {
      Row row = batch.get(i);
      String name = spec.name() < 0 || row.isNullAt(spec.name())
          ? "row " + (first + i) + " of partition " + partition
          : String.valueOf(row.get(spec.name()));
      images[i] = pixels(row, name);
    }
    Assignment a = model.assign(images);
    float[][] z = spec.embed() ? model.embed(images) : null;
    List<Row> out = new ArrayList<>(images.length);
    for (int i = 0; i < images.length; i++) {
      Row row = batch.get(i);
      int extra = spec.embed() ? 3 : 2;
      Object[] values = new Object[row.length() + extra];
      for (int c = 0; c < row.length(); c++) {
        values[c] = row.get(c);
      }
      int k = a.clusters()[i];
      values[row.length()] = k;
      values[row.length() + 1] = a.probs()[i][k];
      if (z != null) {
        values[row.length() + 2] = z[i];
      }
      out.add(RowFactory.create(values));
    }
    return out;
  }

  /**
   * One row's image as H·W·C floats; a row that is not an image fails with {@code name}: its name
   * column's value, else its place ("row 17 of partition 3").
   */
  private float[] pixels(Row row, String name) {
    if (row.isNullAt(spec.input())) {
      throw new IllegalArgumentException(name + ": the image column is null");
    }
    if (spec.png()) {
      byte[] png = (byte[]) row.get(spec.input());
      return PngPixels.read(png, name, spec.height(), spec.width(), spec.channels());
    }
    Seq<?> values = row.getSeq(spec.input());
    if (values.length() != spec.pixels()) {
      throw new IllegalArgumentException(String.format(
          "%s: the image has %d values, the model expects H*W*C = %d*%d*%d = %d", name,
          values.length(), spec.height(), spec.width(), spec.channels(), spec.pixels()));
    }
    float[] out = new float[spec.pixels()];
    for (int j = 0; j < out.length; j++) {
      Object v = values.apply(j);
      if (!(v instanceof Float f) || !(f >= 0f && f <= 1f)) {
        throw new IllegalArgumentException(String.format(
            "%s: value %s at index %d is not a float in [0, 1]", name, v, j));
      }
      out[j] = f;
    }
    return out;
  }
}
