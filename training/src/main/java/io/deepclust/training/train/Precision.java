package io.deepclust.training.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * {@code --precision}: the arithmetic of a training session on the CPU. {@code fp32} throughout, or
 * {@code bf16}: oneDNN's bfloat16 auto mixed precision ({@link SessionSettings#bf16}). Measured on
 * Variational Clustering (README, Performance): 2.15× faster with the same loss curve on a CPU with
 * AMX ({@code amx_bf16}); 1.7× slower on one with {@code avx512_bf16} alone; with neither oneDNN
 * emulates it. {@code auto} is therefore bf16 only for a model whose spec says so ({@link
 * ModelSpec#bf16OnAmx}) on a CPU with AMX, decided at run time from the CPU's flags; fp32
 * elsewhere. The run's provenance records the choice.
 */
public enum Precision {
  auto, fp32, bf16;

  /** The CPU flags (of /proc/cpuinfo) that give oneDNN bfloat16 instructions. */
  public static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");
  /** The flag under which bf16 measured faster: AMX's bfloat16 tiles. */
  public static final String AMX_FLAG = "amx_bf16";

  /**
   * Whether a session of {@code model} (null: not a training session) on {@code device} runs in
   * bf16, on this machine's CPU.
   */
  public boolean use(String model, Device device) {
    return use(model, device, cpuFlags());
  }

  /** {@link #use(String, Device)} on a CPU with {@code flags}. */
  public boolean use(String model, Device device, Set<String> flags) {
    if (device.kind() == Device.Kind.GPU) {
      return false;
    }
    return this == bf16 || this == auto && model != null && Models.spec(model).bf16OnAmx()
        && flags.contains(AMX_FLAG);
  }

  /** The flags of this machine's CPU (/proc/cpuinfo's first "flags" line; empty if unreadable). */
  public static Set<String> cpuFlags() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return Set.copyOf(Arrays.asList(line.substring(line.indexOf(':') + 1).trim()
              .split("\\s+")));
        }
      }
    } catch (IOException | RuntimeException e) {
      return Set.of();
    }
    return Set.of();
  }

  /** Whether this machine's CPU has bfloat16 instructions (false where it cannot tell). */
  public static boolean cpuHasBf16() {
    return cpuFlags().stream().anyMatch(BF16_FLAGS::contains);
  }
}
