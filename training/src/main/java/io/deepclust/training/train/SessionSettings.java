package io.deepclust.training.train;

import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * How a model's TensorFlow session runs: its device, its thread pools and whether TensorFlow logs
 * where it places each op. Given to a training graph's constructor, which opens its session with
 * {@link #configProto()} in {@link GraphModel#start}.
 *
 * @param device the device ({@link Device#DEFAULT}: TensorFlow's own placement)
 * @param threads intra- and inter-op parallelism; 0 is TensorFlow's choice (one per core)
 * @param logDevicePlacement TensorFlow logs (to stderr) the device of every op
 * @param xla XLA auto-clustering of the graph ({@code global_jit_level ON_1}); on a CPU TensorFlow
 *     also needs {@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit} in the environment
 * @param bf16 oneDNN's bfloat16 auto mixed precision ({@code
 *     rewrite_options.auto_mixed_precision_onednn_bfloat16 ON}): grappler runs the ops oneDNN has
 *     in bfloat16 (matmuls, convolutions and their gradients), casting at their edges; variables,
 *     the optimizer and the loss stay float32 ({@link Precision})
 */
public record SessionSettings(Device device, int threads, boolean logDevicePlacement,
    boolean xla, boolean bf16) {
  /** No ConfigProto at all: a session as {@code new Session(graph)} makes it. */
  public static final SessionSettings DEFAULTS = new SessionSettings(Device.DEFAULT, 0, false);

  /** Without XLA, in float32. */
  public SessionSettings(Device device, int threads, boolean logDevicePlacement) {
    this(device, threads, logDevicePlacement, false);
  }

  /** In float32. */
  public SessionSettings(Device device, int threads, boolean logDevicePlacement, boolean xla) {
    this(device, threads, logDevicePlacement, xla, false);
  }

  public SessionSettings {
    if (device == null) {
      throw new IllegalArgumentException("device is required (Device.DEFAULT for TensorFlow's)");
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 (TensorFlow's choice) or more, not "
          + threads);
    }
  }

  /**
   * The session's ConfigProto, or null for {@link #DEFAULTS}. CPU: {@code device_count {GPU: 0}};
   * GPU N: {@code gpu_options {visible_device_list: "N", allow_growth: true}} (memory as needed,
   * not all of it at the start); threads N: {@code intra_op_parallelism_threads} and {@code
   * inter_op_parallelism_threads} N.
   */
  public ConfigProto configProto() {
    if (equals(DEFAULTS)) {
      return null;
    }
    ConfigProto.Builder b = ConfigProto.newBuilder();
    switch (device.kind()) {
      case CPU -> b.putDeviceCount("GPU", 0);
      case GPU -> b.setGpuOptions(GPUOptions.newBuilder()
          .setVisibleDeviceList(Integer.toString(device.index())).setAllowGrowth(true));
      case DEFAULT -> { }
    }
    if (threads > 0) {
      b.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    if (logDevicePlacement) {
      b.setLogDevicePlacement(true);
    }
    if (xla || bf16) {
      GraphOptions.Builder graph = GraphOptions.newBuilder();
      if (xla) {
        graph.setOptimizerOptions(OptimizerOptions.newBuilder()
            .setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1));
      }
      if (bf16) {
        graph.setRewriteOptions(RewriterConfig.newBuilder()
            .setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON));
      }
      b.setGraphOptions(graph);
    }
    return b.build();
  }
}
