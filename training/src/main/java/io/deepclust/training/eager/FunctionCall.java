package io.deepclust.training.eager;

import static org.tensorflow.internal.c_api.global.tensorflow.TFE_DeleteOp;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_DeleteTensorHandle;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_Execute;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_NewOp;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_NewTensorHandle;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_OpAddInputList;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_OpSetAttrFunctionName;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_OpSetAttrTypeList;
import static org.tensorflow.internal.c_api.global.tensorflow.TFE_TensorHandleResolve;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteTensor;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorByteSize;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorData;

import java.lang.reflect.Method;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.EagerSession;
import org.tensorflow.RawTensor;
import org.tensorflow.Tensor;
import org.tensorflow.internal.c_api.TFE_Context;
import org.tensorflow.internal.c_api.TFE_Op;
import org.tensorflow.internal.c_api.TFE_TensorHandle;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.proto.DataType;

/**
 * One {@code StatefulPartitionedCall} of an attached graph function in an eager session, made
 * through TensorFlow's eager C API: each input becomes a tensor handle on the caller's own native
 * tensor (no copy; the caller keeps it open until the call returns), the float32 output vector is
 * read back, and every handle is deleted before returning.
 *
 * <p>Why not TF-Java's ops: TF-Java 1.1.0 has no public way to hand a tensor to an eager op except
 * a {@code Const} op, whose attribute serialises the tensor and whose result is kept: 1,000 {@code
 * Const}s of distinct 100×784 batches grew the process by 0.3-0.9 GB (measured), and a 300-image
 * batch cost 1.2 ms per step; and TF-Java's function call attaches the function again on every call
 * (2.4 ms per step for GMVAE-Gumbel's function). Neither the eager context's native handle nor a
 * tensor's is public in TF-Java 1.1.0, so both accessors are found by reflection once; {@link
 * #available} says whether that worked (a later TF-Java may change them), and {@link EagerStep}
 * falls back to TF-Java's ops if not.
 */
final class FunctionCall {
  private static final Method CONTEXT = accessor(EagerSession.class, TFE_Context.class);
  private static final Method TENSOR = accessor(RawTensor.class, TF_Tensor.class);

  private final TFE_Context context;
  private final String function;

  FunctionCall(EagerSession session, String function) {
    if (!available()) {
      throw new IllegalStateException("this TF-Java has no EagerSession or RawTensor "
          + "nativeHandle()");
    }
    try {
      this.context = (TFE_Context) CONTEXT.invoke(session);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the eager context of " + session, e);
    }
    this.function = function;
  }

  /** Whether the native handles can be reached (TF-Java 1.1.0: yes). */
  static boolean available() {
    return CONTEXT != null && TENSOR != null;
  }

  /** {@code owner}'s package-private {@code nativeHandle()} returning {@code type}, or null. */
  private static Method accessor(Class<?> owner, Class<?> type) {
    try {
      Method m = owner.getDeclaredMethod("nativeHandle");
      m.setAccessible(true);
      return m.getReturnType() == type ? m : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** Calls the function on {@code inputs} (in its argument order); returns its float32 vector. */
  float[] call(List<? extends Tensor> inputs) {
    TFE_TensorHandle[] handles = new TFE_TensorHandle[inputs.size()];
    TFE_Op op = null;
    TFE_TensorHandle result = null;
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      for (int i = 0; i < handles.length; i++) {
        // The handle shares the tensor's buffer (TensorFlow counts the references).
        handles[i] = TFE_NewTensorHandle(nativeTensor(inputs.get(i)), status);
        status.throwExceptionIfNotOK();
      }
      op = TFE_NewOp(context, "StatefulPartitionedCall", status);
      status.throwExceptionIfNotOK();
      TFE_OpAddInputList(op, new PointerPointer<>(handles), handles.length, status);
      status.throwExceptionIfNotOK();
      TFE_OpSetAttrTypeList(op, "Tout", new int[] {DataType.DT_FLOAT_VALUE}, 1);
      TFE_OpSetAttrFunctionName(op, "f", function, function.length());
      PointerPointer<TFE_TensorHandle> out = new PointerPointer<>(1);
      IntPointer count = new IntPointer(1).put(1);
      TFE_Execute(op, out, count, status);
      status.throwExceptionIfNotOK();
      result = out.get(TFE_TensorHandle.class, 0);
      TF_Tensor value = TFE_TensorHandleResolve(result, status);
      status.throwExceptionIfNotOK();
      try {
        float[] values = new float[(int) (TF_TensorByteSize(value) / Float.BYTES)];
        new FloatPointer(TF_TensorData(value)).get(values);
        return values;
      } finally {
        TF_DeleteTensor(value);
      }
    } finally {
      if (result != null) {
        TFE_DeleteTensorHandle(result);
      }
      if (op != null) {
        TFE_DeleteOp(op);
      }
      for (TFE_TensorHandle h : handles) {
        if (h != null) {
          TFE_DeleteTensorHandle(h);
        }
      }
    }
  }

  private static TF_Tensor nativeTensor(Tensor t) {
    try {
      return (TF_Tensor) TENSOR.invoke(t.asRawTensor());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the native tensor of " + t, e);
    }
  }
}
