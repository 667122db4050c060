package io.deepclust.training.train;

import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * One training run, as {@code deepclust train} asks for it: {@link TrainRun#run} carries it out.
 * Tests and programs build one directly (no argv, no stdout capture).
 *
 * @param model a registry name ({@link Models#NAMES})
 * @param config the options that shape the model's config (its dataset names the data; the image
 *     shape is taken from the data); ignored when {@code resumedConfig} is given
 * @param resumedConfig the config.json of a run that {@code --resume RUN_DIR} continues (its model
 *     config, with {@code config.epochs()} applied when given), or null
 * @param resume continue from the run directory's newest complete checkpoint
 * @param trainLimit only the first N training images (null: all)
 * @param testLimit only the first N test images (null: all)
 * @param trainOn "train" (evaluated on the test split) or "all" (train and test together,
 *     evaluated on all and on test: VaDE's protocol)
 * @param eager train in eager mode ({@link EagerTraining})
 * @param pretrainCache VaDE / k-DVAE's cache of pretrained autoencoders, or null for none
 * @param out where the run's lines go
 */
public record TrainRequest(String model, ConfigOptions config, JsonObject resumedConfig,
    Path runDir, boolean resume, Integer trainLimit, Integer testLimit, String trainOn,
    int checkpointEvery, int keepCheckpoints, boolean progress, SessionSettings session,
    boolean eager, Path pretrainCache, PrintStream out) {
  public TrainRequest {
    if (!Models.NAMES.contains(model)) {
      throw new IllegalArgumentException("model must be one of " + Models.NAMES + ", not '"
          + model + "'");
    }
    if (!"train".equals(trainOn) && !"all".equals(trainOn)) {
      throw new IllegalArgumentException("train on must be train or all, not '" + trainOn + "'");
    }
  }
}
