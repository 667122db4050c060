package io.deepclust.training.train;

import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars with rate and ETA: redrawn in place on a terminal, one line every few seconds
 * when the output is a log (CI, nohup), and none at all when disabled.
 */
public final class Progress {
  private static final int LOG_INTERVAL_MS = 10_000;

  private Progress() {}

  /** A bar over {@code max} units; close it (try-with-resources) to finish the line. */
  public static ProgressBar bar(String task, long max, String unit, boolean enabled) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
        .showSpeed().setSpeedUnit(ChronoUnit.SECONDS).setUnit(" " + unit, 1);
    if (!enabled) {
      b.setConsumer(new DelegatingProgressBarConsumer(line -> { }));
    } else if (System.console() == null) {
      b.setConsumer(new DelegatingProgressBarConsumer(System.err::println))
          .setUpdateIntervalMillis(LOG_INTERVAL_MS);
    } else {
      b.setStyle(ProgressBarStyle.ASCII);
    }
    return b.build();
  }
}
