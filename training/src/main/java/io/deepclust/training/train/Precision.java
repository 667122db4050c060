package io.deepclust.training.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code --precision}: the arithmetic of a training session on the CPU. {@code fp32} throughout, or
 * {@code bf16}: oneDNN's bfloat16 auto mixed precision ({@link SessionSettings#bf16}), which runs
 * fast only on CPUs with bfloat16 instructions (avx512_bf16, or AMX's amx_bf16); elsewhere oneDNN
 * emulates it, slower than float32. {@code auto} is float32 until a model's bf16 run has measured
 * both faster and harmless (README, Performance).
 */
public enum Precision {
  auto, fp32, bf16;

  /** The CPU flags (of /proc/cpuinfo) that give oneDNN native bfloat16 arithmetic. */
  public static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");

  /** Whether a session of {@code model} on {@code device} runs in bf16. */
  public boolean use(String model, Device device) {
    return this == bf16 && device.kind() != Device.Kind.GPU;
  }

  /** Whether this machine's CPU has native bfloat16 arithmetic (false where it cannot tell). */
  public static boolean cpuHasBf16() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
            if (BF16_FLAGS.contains(flag)) {
              return true;
            }
          }
          return false;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }
}
