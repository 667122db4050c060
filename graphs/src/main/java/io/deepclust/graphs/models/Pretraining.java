package io.deepclust.graphs.models;

import java.util.Set;

/**
 * How VaDE's deterministic autoencoder (x → μ̃ → x̂) is pretrained before the GMM is fitted on its
 * embedding: the optimizer, its settings, the reconstruction loss, the batch, the epochs and how the
 * autoencoder's kernels start.
 *
 * <ul>
 *   <li>{@code optimizer}: {@value #ADAM} or {@value #SGD_MOMENTUM} (learning rate, momentum);
 *   <li>{@code loss}: {@value #BCE}, the Bernoulli cross-entropy of the decoder's logits summed
 *       over pixels (the joint phase's reconstruction term), or {@value #MSE}, DEC-keras's squared
 *       error of a linear output: the decoder's last layer (the logits) read as the image itself,
 *       averaged over pixels (Keras' "mse"). The MSE on sigmoid(logits) was measured first and
 *       died under SGD 1.0/0.9: within two epochs every output saturated and the loss stayed at
 *       0.1289 (README, "VaDE: the pretraining and the restarts");
 *   <li>{@code refitEpochs}: epochs that then refit the decoder alone (the encoder, hence the
 *       embedding, frozen) by Adam 1e-3 on the summed BCE of sigmoid(logits), so the joint phase
 *       starts from a decoder whose head means what it reads. A linear head plugged into VaDE's
 *       sigmoid decoder unchanged is the trap of slim1017/VaDE issue 5 (k-means 86 %, VaDE 57 %);
 *   <li>{@code init}: {@code glorot_uniform} or {@code fan_in_uniform} (U(±√(1/fan_in)), Keras'
 *       VarianceScaling(1/3, fan_in, uniform) as DEC-keras) for the autoencoder's kernels; biases
 *       start at zero.
 * </ul>
 */
public record Pretraining(String optimizer, float learningRate, float momentum, String loss,
    int batchSize, int epochs, String init, int refitEpochs) {
  public static final String ADAM = "adam";
  public static final String SGD_MOMENTUM = "sgd_momentum";
  public static final String BCE = "bce";
  public static final String MSE = "mse";
  public static final String GLOROT_UNIFORM = "glorot_uniform";
  public static final String FAN_IN_UNIFORM = "fan_in_uniform";
  public static final int DEC_KERAS_REFIT_EPOCHS = 5;

  public Pretraining {
    require(Set.of(ADAM, SGD_MOMENTUM).contains(optimizer),
        "pretraining optimizer must be adam or sgd_momentum, got " + optimizer);
    require(Set.of(BCE, MSE).contains(loss), "pretraining loss must be bce or mse, got " + loss);
    require(Set.of(GLOROT_UNIFORM, FAN_IN_UNIFORM).contains(init),
        "pretraining init must be glorot_uniform or fan_in_uniform, got " + init);
    require(learningRate > 0, "pretraining learning rate must be positive");
    require(momentum >= 0 && momentum < 1, "pretraining momentum must be in [0, 1)");
    require(batchSize >= 1, "pretraining batch size must be positive");
    require(epochs >= 0, "pretraining epochs must be ≥ 0");
    require(refitEpochs >= 0, "decoder refit epochs must be ≥ 0");
  }

  /**
   * DEC-keras's recipe (XifengGuo/DEC-keras, DEC.py): SGD with learning rate 1 and momentum 0.9,
   * MSE of a linear output, batch 256, 300 epochs, fan-in uniform init; then {@value
   * #DEC_KERAS_REFIT_EPOCHS} epochs of decoder refit for VaDE's sigmoid head.
   */
  public static Pretraining decKeras() {
    return new Pretraining(SGD_MOMENTUM, 1f, 0.9f, MSE, 256, 300, FAN_IN_UNIFORM,
        DEC_KERAS_REFIT_EPOCHS);
  }

  /**
   * This project's first recipe: Adam 1e-3, BCE, the joint phase's batch (100), 20 epochs, Glorot
   * init (vade.txt: "only a few epochs ... are enough").
   */
  public static Pretraining adamBce() {
    return new Pretraining(ADAM, 1e-3f, 0f, BCE, 100, 20, GLOROT_UNIFORM, 0);
  }

  public Pretraining withEpochs(int e) {
    return new Pretraining(optimizer, learningRate, momentum, loss, batchSize, e, init,
        refitEpochs);
  }

  public Pretraining withRefitEpochs(int e) {
    return new Pretraining(optimizer, learningRate, momentum, loss, batchSize, epochs, init, e);
  }

  /**
   * A short stable description, e.g.
   * {@code sgd_momentum-lr1.0-m0.9-mse-b256-e300-fan_in_uniform-r5}.
   */
  public String key() {
    return String.format(java.util.Locale.ROOT, "%s-lr%s-m%s-%s-b%d-e%d-%s-r%d", optimizer,
        Float.toString(learningRate), Float.toString(momentum), loss, batchSize, epochs, init,
        refitEpochs);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
