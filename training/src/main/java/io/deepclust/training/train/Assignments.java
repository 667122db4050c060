package io.deepclust.training.train;

import io.deepclust.training.data.Batcher;
import io.deepclust.training.data.Dataset;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Runs an inference branch's cluster output over a whole dataset, in batches. */
public final class Assignments {
  /** Batch size for evaluation passes (inference only, so larger than training batches). */
  public static final int EVAL_BATCH = 1000;

  private Assignments() {}

  public static int[] run(Session s, Placeholder<TFloat32> x, Operand<TInt64> cluster,
      Dataset data) {
    int[] out = new int[data.n()];
    int offset = 0;
    for (int[] batch : Batcher.forEvaluation(data.n(), EVAL_BATCH).batches(0)) {
      float[] pixels = Batcher.gatherPixels(data, batch);
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(batch.length, data.height(), data.width(),
              data.channels()), DataBuffers.of(pixels, true, false));
          var r = s.runner().feed(x, xs).fetch(cluster).run()) {
        long[] part = new long[batch.length];
        ((TInt64) r.get(0)).asRawTensor().data().asLongs().read(part);
        for (int i = 0; i < part.length; i++) {
          out[offset + i] = (int) part[i];
        }
        offset += part.length;
      }
    }
    return out;
  }
}
