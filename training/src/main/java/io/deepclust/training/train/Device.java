package io.deepclust.training.train;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteDeviceList;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListCount;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListMemoryBytes;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListType;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetCode;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetRegisteredKernelsForOp;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_Message;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_OK;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SessionListDevices;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_DeviceList;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.KernelList;

/**
 * The device a model's session computes on, as {@code --device auto|cpu|gpu[:N]} chose it, with a
 * line saying why ({@link #logLine}).
 *
 * <p>Detection: the native library is the CUDA build when TensorFlow has GPU kernels registered
 * (for {@code MatMul}); a GPU exists when a session made with the GPU settings lists a device of
 * type GPU ({@code TF_SessionListDevices}; TF-Java 1.1.0 has no public device listing). The CPU
 * build is never probed, so {@code auto} there costs nothing.
 *
 * @param kind {@link Kind#DEFAULT} leaves placement to TensorFlow (no settings at all)
 * @param index the GPU's index among the visible ones (CUDA's numbering); -1 for the others
 * @param detail why this device, or what it is ("NVIDIA H100 80GB HBM3, 79.1 GiB")
 */
public record Device(Kind kind, int index, String detail) {
  /** What kind of device. */
  public enum Kind { DEFAULT, CPU, GPU }

  /** TensorFlow's own placement, no ConfigProto: what {@link Models#open} and tests use. */
  public static final Device DEFAULT = new Device(Kind.DEFAULT, -1, "TensorFlow's placement");

  private static final Pattern SPEC = Pattern.compile("auto|cpu|gpu(?::(\\d+))?");

  /** "cpu", "gpu:N", or "default". */
  public String name() {
    return switch (kind) {
      case CPU -> "cpu";
      case GPU -> "gpu:" + index;
      case DEFAULT -> "default";
    };
  }

  /** The first line a training run prints: {@code device: cpu (...)}. */
  public String logLine() {
    return "device: " + name() + " (" + detail + ")";
  }

  /**
   * The device's name for provenance: {@link #DEFAULT} is "cpu" when the native library is the
   * CPU build (it can run nowhere else).
   */
  public String provenanceName() {
    return kind == Kind.DEFAULT && !cudaBuild() ? "cpu" : name();
  }

  /** Whether {@code spec} is a valid {@code --device} value. */
  public static boolean isValidSpec(String spec) {
    return SPEC.matcher(spec.toLowerCase(Locale.ROOT)).matches();
  }

  /**
   * The device that {@code --device spec} means on this machine.
   *
   * @throws IllegalArgumentException for a spec other than auto, cpu, gpu or gpu:N
   * @throws IllegalStateException when a GPU is asked for and there is none (one line: why)
   */
  public static Device resolve(String spec) {
    Matcher m = SPEC.matcher(spec.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--device must be auto, cpu, gpu or gpu:N, not '" + spec + "'");
    }
    String s = m.group();
    if (s.equals("cpu")) {
      return new Device(Kind.CPU, -1, "--device cpu");
    }
    int index = m.group(1) != null ? Integer.parseInt(m.group(1)) : 0;
    boolean asked = s.startsWith("gpu");
    if (!cudaBuild()) {
      if (asked) {
        throw new IllegalStateException("--device " + s + ": no GPU: the native library is the"
            + " CPU build (build with mvn -Pgpu package; TensorFlow 2.18 needs CUDA 12.5 and"
            + " cuDNN 9.3)");
      }
      return new Device(Kind.CPU, -1, "no GPU: the native library is the CPU build");
    }
    Device gpu = new Device(Kind.GPU, index, "");
    String found;
    try {
      found = probeGpu(new SessionSettings(gpu, 0, false).configProto());
    } catch (IllegalStateException e) {
      if (asked) {
        throw new IllegalStateException("--device " + s + ": " + e.getMessage(), e);
      }
      found = null;
    }
    if (found == null) {
      if (asked) {
        throw new IllegalStateException("--device " + s + ": no GPU device found (the native"
            + " library has CUDA; check the driver, CUDA 12.5 / cuDNN 9.3 on the library path and"
            + " CUDA_VISIBLE_DEVICES)");
      }
      return new Device(Kind.CPU, -1, "no GPU: the native library has CUDA but found no GPU");
    }
    return new Device(Kind.GPU, index, found);
  }

  /** Whether the native library has GPU kernels (the {@code -gpu} classifier, CUDA build). */
  public static boolean cudaBuild() {
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_Buffer kernels = TF_GetRegisteredKernelsForOp("MatMul", status);
      if (TF_GetCode(status) != TF_OK) {
        return false;
      }
      return KernelList.parseFrom(kernels.dataAsByteBuffer()).getKernelList().stream()
          .anyMatch(k -> k.getDeviceType().equals("GPU"));
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  /**
   * Opens a session on an empty graph with {@code config} and describes its first GPU device
   * ("NVIDIA ..., 79.1 GiB"), or returns null when it has none. The same settings as the model's
   * session: TensorFlow fixes the visible GPUs for the process at the first session.
   *
   * @throws IllegalStateException when TensorFlow refuses the settings (e.g. no GPU N)
   */
  static String probeGpu(ConfigProto config) {
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions options = TF_SessionOptions.newSessionOptions();
      byte[] bytes = config.toByteArray();
      TF_SetConfig(options, new BytePointer(bytes), bytes.length, status);
      check(status);
      TF_Graph graph = TF_Graph.newGraph();
      TF_Session session = TF_Session.newSession(graph, options, status);
      check(status);
      TF_DeviceList devices = TF_SessionListDevices(session, status);
      check(status);
      try {
        for (int i = 0; i < TF_DeviceListCount(devices); i++) {
          if (TF_DeviceListType(devices, i, status).getString().equals("GPU")) {
            long memory = TF_DeviceListMemoryBytes(devices, i, status);
            return String.format(Locale.ROOT, "%s, %.1f GiB", gpuName(),
                memory / (double) (1L << 30));
          }
        }
        return null;
      } finally {
        TF_DeleteDeviceList(devices);
      }
    }
  }

  private static void check(TF_Status status) {
    if (TF_GetCode(status) != TF_OK) {
      throw new IllegalStateException(TF_Message(status).getString().lines().findFirst()
          .orElse("TensorFlow error " + TF_GetCode(status)));
    }
  }

  /**
   * The GPUs' product name from {@code nvidia-smi} when every GPU has the same one (TensorFlow's
   * device list has no name, and nvidia-smi's numbering need not be CUDA's); else "NVIDIA GPU".
   */
  private static String gpuName() {
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "NVIDIA GPU";
      }
      List<String> names = new ArrayList<>(out.lines().map(String::strip)
          .filter(l -> !l.isEmpty()).distinct().toList());
      return names.size() == 1 ? names.get(0) : "NVIDIA GPU";
    } catch (IOException e) {
      return "NVIDIA GPU";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "NVIDIA GPU";
    }
  }
}
