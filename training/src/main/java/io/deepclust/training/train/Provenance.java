package io.deepclust.training.train;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.tensorflow.TensorFlow;

/** Where a result came from: commit, TensorFlow version, machine, device, time. */
public final class Provenance {
  private Provenance() {}

  /** Provenance of a computation on the CPU without TensorFlow sessions (e.g. baselines). */
  public static JsonObject now() {
    return now("cpu", -1);
  }

  /**
   * Provenance of a computation on {@code device} ("cpu", "gpu:0", as {@link Device#name}) with
   * {@code threads} TensorFlow threads (0: TensorFlow's choice; negative: not recorded).
   */
  public static JsonObject now(String device, int threads) {
    JsonObject o = new JsonObject();
    o.addProperty("commit", commit());
    o.addProperty("tensorflow", TensorFlow.version());
    o.addProperty("java", System.getProperty("java.version"));
    o.addProperty("device", device);
    if (threads >= 0) {
      o.addProperty("threads", threads);
    }
    o.addProperty("cores", Runtime.getRuntime().availableProcessors());
    o.addProperty("host", host());
    o.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    o.addProperty("time", Instant.now().toString());
    return o;
  }

  /** The git commit of the working directory (with "-dirty" if it has changes), or "unknown". */
  public static String commit() {
    String head = git("rev-parse", "--short=12", "HEAD");
    if (head == null) {
      return "unknown";
    }
    String status = git("status", "--porcelain", "--untracked-files=no");
    return status == null || status.isEmpty() ? head : head + "-dirty";
  }

  private static String git(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "git";
    System.arraycopy(args, 0, cmd, 1, args.length);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
