package io.deepclust.inference;

import java.util.Arrays;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * Checks of caller rows and conversions between Java rows and batch tensors, for {@link
 * ClusteringModel}. Stateless.
 */
final class Rows {
  private Rows() {}

  /** Checks that {@code rows} is non-empty, each row has {@code cols} finite values. */
  static void checkFinite(String name, float[][] rows, int cols, String colsMeaning) {
    checkCount(name, rows == null ? 0 : rows.length);
    for (int i = 0; i < rows.length; i++) {
      float[] row = rows[i];
      if (row == null) throw new IllegalArgumentException(name + "[" + i + "] is null");
      if (row.length != cols) {
        throw new IllegalArgumentException(
            name + "[" + i + "] has " + row.length + " values, expected " + colsMeaning);
      }
      for (int j = 0; j < cols; j++) {
        if (!Float.isFinite(row[j])) {
          throw new IllegalArgumentException(
              name + "[" + i + "][" + j + "] is " + row[j] + "; values must be finite");
        }
      }
    }
  }

  /** Checks that no value of {@code rows} (already checked finite) is negative. */
  static void checkNonNegative(String name, float[][] rows) {
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < rows[i].length; j++) {
        if (rows[i][j] < 0) {
          throw new IllegalArgumentException(
              name + "[" + i + "][" + j + "] is " + rows[i][j] + "; values must be ≥ 0");
        }
      }
    }
  }

  /** Checks the values of flattened rows {@code firstRow, firstRow+1, …} are finite. */
  static void checkFinite(String name, float[] flat, int cols, int firstRow) {
    for (int i = 0; i < flat.length; i++) {
      if (!Float.isFinite(flat[i])) {
        throw new IllegalArgumentException(
            name
                + "["
                + (firstRow + i / cols)
                + "]["
                + (i % cols)
                + "] is "
                + flat[i]
                + "; values must be finite");
      }
    }
  }

  /** Checks that {@code rows} is non-empty and each row has {@code cols} bits, each 0 or 1. */
  static void checkBits(String name, byte[][] rows, int cols) {
    checkCount(name, rows == null ? 0 : rows.length);
    for (int i = 0; i < rows.length; i++) {
      byte[] row = rows[i];
      if (row == null) throw new IllegalArgumentException(name + "[" + i + "] is null");
      if (row.length != cols) {
        throw new IllegalArgumentException(
            name + "[" + i + "] has " + row.length + " bits, expected Z = " + cols);
      }
      for (int j = 0; j < cols; j++) {
        if (row[j] != 0 && row[j] != 1) {
          throw new IllegalArgumentException(
              name + "[" + i + "][" + j + "] is " + row[j] + "; bits must be 0 or 1");
        }
      }
    }
  }

  /** Checks that {@code ids} is non-empty and each id is in [0, k). */
  static void checkClusters(String name, int[] ids, int k) {
    checkCount(name, ids == null ? 0 : ids.length);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= k) {
        throw new IllegalArgumentException(
            name + "[" + i + "] = " + ids[i] + " is outside [0, " + k + ") (K = " + k + ")");
      }
    }
  }

  static void checkCount(String name, int n) {
    if (n == 0) throw new IllegalArgumentException(name + " is empty");
  }

  /** A float tensor of {@code shape} holding rows {@code [from, to)} of {@code rows}. */
  static TFloat32 floats(float[][] rows, int from, int to, Shape shape) {
    int cols = rows[from].length;
    // Each row straight into the tensor's memory: no intermediate array of the whole batch.
    TFloat32 t = TFloat32.tensorOf(shape);
    FloatDataBuffer data = t.asRawTensor().data().asFloats();
    for (int i = from; i < to; i++) data.offset((long) (i - from) * cols).write(rows[i]);
    return t;
  }

  /** A u8 tensor [to - from, Z] holding rows {@code [from, to)} of {@code rows}. */
  static TUint8 bytes(byte[][] rows, int from, int to) {
    int cols = rows[from].length;
    byte[] flat = new byte[(to - from) * cols];
    for (int i = from; i < to; i++) System.arraycopy(rows[i], 0, flat, (i - from) * cols, cols);
    return TUint8.tensorOf(Shape.of(to - from, cols), DataBuffers.of(flat, true, false));
  }

  /** Copies output {@code key}, {@code n} rows of {@code cols} floats, to {@code dst[from…]}. */
  static void floatRows(
      Result r, String sig, String key, float[][] dst, int from, int n, int cols) {
    TFloat32 t = output(r, sig, key, TFloat32.class, n, cols);
    float[] flat = new float[n * cols];
    t.copyTo(DataBuffers.of(flat, false, false));
    for (int i = 0; i < n; i++) dst[from + i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
  }

  /** Copies output {@code key}, {@code n} rows of {@code cols} bytes, to {@code dst[from…]}. */
  static void byteRows(Result r, String sig, String key, byte[][] dst, int from, int n, int cols) {
    TUint8 t = output(r, sig, key, TUint8.class, n, cols);
    byte[] flat = new byte[n * cols];
    t.copyTo(DataBuffers.of(flat, false, false));
    for (int i = 0; i < n; i++) dst[from + i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
  }

  /** Copies the i64 cluster output {@code key} of {@code n} rows to {@code dst[from…]}. */
  static void clusters(Result r, String sig, String key, int[] dst, int from, int n, int k) {
    TInt64 t = output(r, sig, key, TInt64.class, n, 1);
    long[] flat = new long[n];
    t.copyTo(DataBuffers.of(flat, false, false));
    for (int i = 0; i < n; i++) {
      if (flat[i] < 0 || flat[i] >= k) {
        throw new ContractException(
            "signature '" + sig + "' returned " + key + " " + flat[i] + " outside [0, " + k + ")");
      }
      dst[from + i] = (int) flat[i];
    }
  }

  /** Output {@code key} of type {@code type} with {@code n} rows of {@code cols} values each. */
  private static <T extends Tensor> T output(
      Result r, String sig, String key, Class<T> type, int n, int cols) {
    Tensor t =
        r.get(key)
            .orElseThrow(
                () -> new ContractException("signature '" + sig + "' returned no '" + key + "'"));
    Shape shape = t.shape();
    if (!type.isInstance(t)
        || shape.numDimensions() < 1
        || shape.get(0) != n
        || shape.size() != (long) n * cols) {
      throw new ContractException(
          "signature '"
              + sig
              + "' returned '"
              + key
              + "' as "
              + t.dataType()
              + " "
              + shape
              + " for "
              + n
              + " rows, expected "
              + type.getSimpleName()
              + " with "
              + cols
              + " values per row");
    }
    return type.cast(t);
  }
}
