package io.deepclust.inference;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A loaded deepclust SavedModel (Java- or Python-made) that assigns clusters, embeds, reconstructs,
 * decodes and gives the prior, through the signatures of the contract (docs/contract.md).
 *
 * <p>Optional signatures: VAB models add {@link #compress} and {@link #classifyBits}; the vc model
 * adds {@code prior_mix}, the prior p(z|ẽ) of a soft one-hot ẽ ({@link #priorMix}, for
 * k-interpolation), which {@link #hasPriorMix()} tells. Calling a method whose signature the model
 * lacks throws {@link UnsupportedOperationException} naming the model.
 *
 * <p>Images are rows of H·W·C floats, an NHWC image flattened (in [0, 1] by the contract). Inputs
 * larger than {@link #batchSize()} rows run in batches, and the results are concatenated.
 *
 * <p>Thread-safe: calls from several threads run concurrently on the one TensorFlow session and
 * share no mutable state. {@link #close()} waits for calls in flight; a call after it throws {@link
 * IllegalStateException}.
 */
public final class ClusteringModel implements AutoCloseable {
  /** Rows per session run unless {@link #load(Path, int)} says otherwise. */
  public static final int DEFAULT_BATCH_SIZE = 1024;

  private final Path dir;
  private final SavedModelBundle bundle;
  private final ModelInfo info;
  private final Map<String, SessionFunction> functions;
  private final int batchSize;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // written under the write lock, read under the read lock

  private ClusteringModel(Path dir, SavedModelBundle bundle, ModelInfo info, int batchSize) {
    this.dir = dir;
    this.bundle = bundle;
    this.info = info;
    this.batchSize = batchSize;
    Map<String, SessionFunction> fns = new HashMap<>();
    for (ContractValidator.SignatureSpec s : ContractValidator.expected(info)) {
      fns.put(s.key(), bundle.function(s.key()));
    }
    Map<String, ?> present = bundle.metaGraphDef().getSignatureDefMap();
    for (ContractValidator.SignatureSpec s : ContractValidator.optional(info)) {
      if (present.containsKey(s.key())) fns.put(s.key(), bundle.function(s.key()));
    }
    this.functions = Map.copyOf(fns);
  }

  /**
   * Loads the SavedModel at {@code dir} with tag {@code serve} and checks it meets the contract;
   * batches of {@link #DEFAULT_BATCH_SIZE} rows.
   *
   * @throws ContractException if it does not (nothing stays open then)
   */
  public static ClusteringModel load(Path dir) {
    return load(dir, DEFAULT_BATCH_SIZE);
  }

  /**
   * Loads the SavedModel at {@code dir} with tag {@code serve} and checks it meets the contract:
   * its signatures ({@link ContractValidator}), then its invariants on a probe batch ({@link
   * LoadProbe}: probs rows sum to 1, cluster = argmax probs, output widths as K and Z say).
   *
   * @param batchSize the most rows fed to one session run, ≥ 1
   * @throws ContractException if it does not (nothing stays open then)
   */
  public static ClusteringModel load(Path dir, int batchSize) {
    return load(dir, batchSize, null);
  }

  /**
   * {@link #load(Path, int)} with the session's config: e.g. {@code
   * ConfigProto.newBuilder().setIntraOpParallelismThreads(4).build()} for its thread pools; null
   * for TensorFlow's defaults.
   */
  public static ClusteringModel load(Path dir, int batchSize, ConfigProto config) {
    if (batchSize < 1) throw new IllegalArgumentException("batchSize must be ≥ 1: " + batchSize);
    ModelInfo info = ModelInfo.read(dir);
    SavedModelBundle bundle = ContractValidator.load(dir, config);
    try {
      ContractValidator.check(bundle.metaGraphDef(), dir, info);
      ClusteringModel model = new ClusteringModel(dir, bundle, info, batchSize);
      LoadProbe.check(model);
      return model;
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** What {@code assets/deepclust.json} says about the model. */
  public ModelInfo info() {
    return info;
  }

  /** The most rows fed to one session run. */
  public int batchSize() {
    return batchSize;
  }

  /** The export directory this model was loaded from. */
  public Path directory() {
    return dir;
  }

  /**
   * Assigns each image to a cluster ({@code serving_default}).
   *
   * @param images rows of H·W·C finite floats
   * @throws IllegalArgumentException if there are no rows, or a row has the wrong length or a
   *     non-finite value (the message gives the row)
   */
  public Assignment assign(float[][] images) {
    checkImages(images);
    return assignment(
        Contract.SIG_ASSIGN,
        images.length,
        (feed, from, to) ->
            feed.put(Contract.IN_X, Rows.floats(images, from, to, shape(to - from))));
  }

  /**
   * Assigns each image of a batch tensor [N, H, W, C] to a cluster ({@code serving_default}). The
   * tensor stays the caller's to close.
   *
   * @throws IllegalArgumentException if N is 0, the shape is not [N, H, W, C] or a value is not
   *     finite
   */
  public Assignment assign(TFloat32 batch) {
    Shape s = batch.shape();
    if (s.numDimensions() != 4 || !s.equals(shape((int) s.get(0)))) {
      throw new IllegalArgumentException("batch has shape " + s + ", expected " + shape(-1));
    }
    Rows.checkCount("batch", (int) s.get(0));
    return assignment(
        Contract.SIG_ASSIGN,
        (int) s.get(0),
        (feed, from, to) -> {
          float[] flat = new float[(to - from) * info.pixels()];
          batch.slice(Indices.range(from, to)).copyTo(DataBuffers.of(flat, false, false));
          Rows.checkFinite("batch", flat, info.pixels(), from);
          feed.put(Contract.IN_X, TFloat32.tensorOf(shape(to - from), DataBuffers.of(flat)));
        });
  }

  /**
   * The posterior mean of z of each image ({@code embed}): rows of Z floats.
   *
   * @param images rows of H·W·C finite floats
   */
  public float[][] embed(float[][] images) {
    return imageRows(Contract.SIG_EMBED, Contract.OUT_Z, images, latent());
  }

  /**
   * The mean of p(x|z) at the posterior mean of each image ({@code reconstruct}): rows of H·W·C.
   *
   * @param images rows of H·W·C finite floats
   */
  public float[][] reconstruct(float[][] images) {
    return imageRows(Contract.SIG_RECONSTRUCT, Contract.OUT_X_HAT, images, info.pixels());
  }

  /**
   * Decodes latent codes under clusters ({@code decode}): rows of H·W·C.
   *
   * @param z rows of Z finite floats
   * @param clusters one cluster id in [0, K) per row of {@code z}
   */
  public float[][] decode(float[][] z, int[] clusters) {
    Rows.checkFinite("z", z, latent(), "Z = " + latent());
    Rows.checkClusters("clusters", clusters, info.clusters());
    if (clusters.length != z.length) {
      throw new IllegalArgumentException(
          "z has " + z.length + " rows but clusters has " + clusters.length);
    }
    float[][] xHat = new float[z.length][];
    run(
        Contract.SIG_DECODE,
        z.length,
        (feed, from, to) -> {
          feed.put(Contract.IN_Z, Rows.floats(z, from, to, Shape.of(to - from, latent())));
          feed.put(Contract.IN_CLUSTER, clusterTensor(clusters, from, to));
        },
        (r, from, to) ->
            Rows.floatRows(
                r, Contract.SIG_DECODE, Contract.OUT_X_HAT, xHat, from, to - from, info.pixels()));
    return xHat;
  }

  /**
   * The prior p(z|k) of each requested cluster ({@code prior}).
   *
   * @param clusters cluster ids in [0, K)
   */
  public Prior prior(int[] clusters) {
    Rows.checkClusters("clusters", clusters, info.clusters());
    return prior(
        Contract.SIG_PRIOR,
        clusters.length,
        (feed, from, to) -> feed.put(Contract.IN_CLUSTER, clusterTensor(clusters, from, to)));
  }

  /** Whether the model has the optional {@code prior_mix} signature (the vc model does). */
  public boolean hasPriorMix() {
    return functions.containsKey(Contract.SIG_PRIOR_MIX);
  }

  /**
   * The prior p(z|ẽ) of soft one-hot vectors ẽ ({@code prior_mix}, vc only): one row per row of
   * {@code weights}. A one-hot row e_k gives {@link #prior} of k; (1−α)·e_a + α·e_b interpolates
   * between clusters a and b in k space (§VI-E of variational-clustering-w2).
   *
   * @param weights rows of K finite, non-negative weights
   * @throws UnsupportedOperationException if the model has no {@code prior_mix} ({@link
   *     #hasPriorMix()})
   * @throws IllegalArgumentException if there are no rows, or a row has the wrong length or a
   *     negative or non-finite value (the message gives the row)
   */
  public Prior priorMix(float[][] weights) {
    if (!hasPriorMix()) {
      throw new UnsupportedOperationException(
          "model at "
              + dir
              + " has no "
              + Contract.SIG_PRIOR_MIX
              + " signature (only the vc model exports it)");
    }
    int k = info.clusters();
    Rows.checkFinite("weights", weights, k, "K = " + k);
    Rows.checkNonNegative("weights", weights);
    return prior(
        Contract.SIG_PRIOR_MIX,
        weights.length,
        (feed, from, to) ->
            feed.put(Contract.IN_WEIGHTS, Rows.floats(weights, from, to, Shape.of(to - from, k))));
  }

  /**
   * VAB only: the Z bits (each 0 or 1) that stand for each image ({@code compress}).
   *
   * @param images rows of H·W·C finite floats
   * @throws UnsupportedOperationException if the model is not VAB
   */
  public byte[][] compress(float[][] images) {
    requireVab(Contract.SIG_COMPRESS);
    checkImages(images);
    byte[][] bits = new byte[images.length][];
    run(
        Contract.SIG_COMPRESS,
        images.length,
        (feed, from, to) ->
            feed.put(Contract.IN_X, Rows.floats(images, from, to, shape(to - from))),
        (r, from, to) ->
            Rows.byteRows(
                r, Contract.SIG_COMPRESS, Contract.OUT_BITS, bits, from, to - from, latent()));
    return bits;
  }

  /**
   * VAB only: assigns clusters from bits made by {@link #compress} ({@code classify_bits}).
   *
   * @param bits rows of Z values, each 0 or 1
   * @throws UnsupportedOperationException if the model is not VAB
   */
  public Assignment classifyBits(byte[][] bits) {
    requireVab(Contract.SIG_CLASSIFY_BITS);
    Rows.checkBits("bits", bits, latent());
    return assignment(
        Contract.SIG_CLASSIFY_BITS,
        bits.length,
        (feed, from, to) -> feed.put(Contract.IN_BITS, Rows.bytes(bits, from, to)));
  }

  /** Releases the TensorFlow session and graph, after any call in flight has returned. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        bundle.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "ClusteringModel[" + dir + ", " + info + "]";
  }

  /** Puts the inputs of one batch, rows {@code [from, to)}, into a feed. */
  private interface Feeder {
    void fill(Feed feed, int from, int to);
  }

  /** Takes the outputs of one batch, rows {@code [from, to)}. */
  private interface Sink {
    void take(Result result, int from, int to);
  }

  /** The input tensors of one session run, closed together. */
  private static final class Feed implements AutoCloseable {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    void put(String key, Tensor t) {
      tensors.put(key, t);
    }

    @Override
    public void close() {
      tensors.values().forEach(Tensor::close);
    }
  }

  /** Runs {@code sig} on images and returns its float output {@code key}, rows of {@code cols}. */
  private float[][] imageRows(String sig, String key, float[][] images, int cols) {
    checkImages(images);
    float[][] out = new float[images.length][];
    run(
        sig,
        images.length,
        (feed, from, to) ->
            feed.put(Contract.IN_X, Rows.floats(images, from, to, shape(to - from))),
        (r, from, to) -> Rows.floatRows(r, sig, key, out, from, to - from, cols));
    return out;
  }

  /** Runs {@code prior} or {@code prior_mix}: {@code mean} and, where the model has it, stddev. */
  private Prior prior(String sig, int n, Feeder feeder) {
    float[][] mean = new float[n][];
    float[][] stddev = new float[n][];
    boolean[] hasStddev = {true};
    run(
        sig,
        n,
        feeder,
        (r, from, to) -> {
          Rows.floatRows(r, sig, Contract.OUT_MEAN, mean, from, to - from, latent());
          if (r.containsKey(Contract.OUT_STDDEV)) {
            Rows.floatRows(r, sig, Contract.OUT_STDDEV, stddev, from, to - from, latent());
          } else {
            hasStddev[0] = false;
          }
        });
    return new Prior(mean, hasStddev[0] ? stddev : null);
  }

  private Assignment assignment(String sig, int n, Feeder feeder) {
    int[] clusters = new int[n];
    float[][] probs = new float[n][];
    int k = info.clusters();
    run(
        sig,
        n,
        feeder,
        (r, from, to) -> {
          Rows.floatRows(r, sig, Contract.OUT_PROBS, probs, from, to - from, k);
          Rows.clusters(r, sig, Contract.OUT_CLUSTER, clusters, from, to - from, k);
        });
    return new Assignment(clusters, probs);
  }

  /** Runs signature {@code sig} over {@code n} rows in batches of at most {@link #batchSize}. */
  private void run(String sig, int n, Feeder feeder, Sink sink) {
    lock.readLock().lock();
    try {
      if (closed) throw new IllegalStateException(this + " is closed");
      SessionFunction fn = functions.get(sig);
      for (int from = 0; from < n; from += batchSize) {
        int to = Math.min(n, from + batchSize);
        try (Feed feed = new Feed()) {
          feeder.fill(feed, from, to);
          try (Result result = fn.call(feed.tensors)) {
            sink.take(result, from, to);
          }
        }
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  private void checkImages(float[][] images) {
    String cols =
        String.format(
            "H*W*C = %d*%d*%d = %d", info.height(), info.width(), info.channels(), info.pixels());
    Rows.checkFinite("images", images, info.pixels(), cols);
  }

  private void requireVab(String sig) {
    if (!functions.containsKey(sig)) {
      throw new UnsupportedOperationException(
          "model '" + info.model() + "' has no '" + sig + "' signature (VAB only)");
    }
  }

  private Shape shape(int rows) {
    return Shape.of(rows, info.height(), info.width(), info.channels());
  }

  private int latent() {
    return info.latentDim();
  }

  private static TInt32 clusterTensor(int[] clusters, int from, int to) {
    int[] part = Arrays.copyOfRange(clusters, from, to);
    return TInt32.tensorOf(Shape.of(to - from), DataBuffers.of(part, true, false));
  }
}
