package io.deepclust.training.crosscheck;

/**
 * The per-entry gate of per-step training parity (docs/crosscheck.md): how far Java's state after
 * one Adam step from Python's state may be from Python's state after the same step, given the
 * gradients each side applied.
 *
 * <p>TensorFlow's ApplyAdam (Kingma &amp; Ba 2015, Algorithm 1, the "epsilon hat" form), for step t
 * from state (w, m, v) with gradient g:
 *
 * <pre>
 *   α  = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)    (β₁ᵗ, β₂ᵗ as fed: rounded to float32)
 *   m' = β₁·m + (1 − β₁)·g
 *   v' = β₂·v + (1 − β₂)·g²
 *   w' = w − α·m' / (√v' + ε)
 * </pre>
 *
 * Both sides start from the same state, so their results differ through their gradients (g_J
 * Java's, g_P Python's) and through the float32 rounding of the update itself. The first is carried
 * through the update exactly, in double: E = x'(g_J) − x'(g_P) for x = w, m, v. What remains must
 * be rounding:
 *
 * <pre>
 *   |(x_J − x_P) − E| ≤ ρ·s_x + 2⁻¹²⁶,   ρ = 2⁻²⁰ (16 float32 ulps)
 *   s_w = |w| + max(|u(g_J)|, |u(g_P)|) + α·(|m| + |g|) / (√v'_min + ε),   u = α·m'/(√v' + ε)
 *   s_m = |m| + |g|,   s_v = |v| + (1 − β₂)·g²,   |g| = max(|g_J|, |g_P|)
 * </pre>
 *
 * The last term of s_w covers the rounding of m' when it cancels (|m'| much smaller than |m| and
 * |g|). TensorFlow's kernels run with subnormals flushed to zero, so a result (or an operand)
 * below the smallest normal float32, 2⁻¹²⁶, may come out as 0: every entry's allowance has that
 * absolute floor as well (gradients near 1e-38 that differ by 10-20% between the sides otherwise
 * read as up to 4·10⁵ times the relative allowance; measured on k-DVAE's conv + w2 cross-check).
 * Each side's float32 update is within ρ/2·s of the exact one ({@code AdamBoundTest} measures
 * TensorFlow's kernel against it, on this CPU, with room to spare), so the two sides' rounding
 * together stays within ρ·s on any CPU. The gradients themselves are gated apart, against Python's,
 * by the per-step gradient rows; a wrong optimizer constant, a missing or extra update, or a state
 * that Java did not load as Python's exceeds the rounding by orders of magnitude.
 */
final class AdamBound {
  /** ρ, the rounding allowance relative to the operands' scale. */
  static final double ROUNDING = 0x1p-20;

  /** The absolute floor of every allowance: the smallest normal float32 (flush to zero). */
  static final double FLUSHED = Float.MIN_NORMAL;

  /** The hyperparameters of the reference's update at step t. */
  record Step(double learningRate, double beta1, double beta2, double epsilon, long t) {
    /**
     * α from the bias-correction powers as both sides feed them to the kernel: β₁ᵗ and β₂ᵗ rounded
     * to float32. (From exact powers α would differ from the kernel's by up to ~15 ulps at t = 20,
     * where 1 − β₂ᵗ ≈ 0.02 magnifies the rounding of β₂ᵗ.)
     */
    double alpha() {
      double b1p = (float) Math.pow(beta1, t);
      double b2p = (float) Math.pow(beta2, t);
      return learningRate * Math.sqrt(1 - b2p) / (1 - b1p);
    }
  }

  /**
   * One state tensor's comparison (w, m or v): the largest |x_J − x_P|, that relative to the
   * tensor's scale max|x_P|, and the largest |(x_J − x_P) − E| / (ρ·s), the fraction of the gate
   * used.
   */
  record Measure(double maxAbs, double maxRel, double ofGate) {}

  /** The three measures of one trainable variable's step: weight, first and second moment. */
  record Outcome(Measure weight, Measure m, Measure v) {}

  private AdamBound() {}

  /**
   * Measures Java's step of one variable against Python's.
   *
   * @param w the weight, m and v its moments, before the step (Python's state, which Java loaded)
   * @param gJava the gradient Java's update applied; gPython Python's
   * @param javaW Java's weight after the step, javaM and javaV its moments
   * @param pyW Python's weight after the step, pyM and pyV its moments
   */
  static Outcome measure(Step s, float[] w, float[] m, float[] v, float[] gJava, float[] gPython,
      float[] javaW, float[] javaM, float[] javaV, float[] pyW, float[] pyM, float[] pyV) {
    int n = w.length;
    for (float[] a : new float[][] {m, v, gJava, gPython, javaW, javaM, javaV, pyW, pyM, pyV}) {
      if (a.length != n) {
        throw new IllegalArgumentException("sizes differ: " + a.length + " vs " + n);
      }
    }
    double alpha = s.alpha();
    double b1 = s.beta1();
    double b2 = s.beta2();
    double eps = s.epsilon();
    Tally tw = new Tally(pyW);
    Tally tm = new Tally(pyM);
    Tally tv = new Tally(pyV);
    for (int i = 0; i < n; i++) {
      double gj = gJava[i];
      double gp = gPython[i];
      double mj = b1 * m[i] + (1 - b1) * gj;
      double mp = b1 * m[i] + (1 - b1) * gp;
      double vj = b2 * v[i] + (1 - b2) * gj * gj;
      double vp = b2 * v[i] + (1 - b2) * gp * gp;
      double uj = alpha * mj / (Math.sqrt(vj) + eps);
      double up = alpha * mp / (Math.sqrt(vp) + eps);
      double g = Math.max(Math.abs(gj), Math.abs(gp));
      double sw = Math.abs(w[i]) + Math.max(Math.abs(uj), Math.abs(up))
          + alpha * (Math.abs(m[i]) + g) / (Math.sqrt(Math.min(vj, vp)) + eps);
      double sm = Math.abs(m[i]) + g;
      double sv = Math.abs(v[i]) + (1 - b2) * g * g;
      tw.add(i, javaW[i], up - uj, ROUNDING * sw + FLUSHED);
      tm.add(i, javaM[i], mj - mp, ROUNDING * sm + FLUSHED);
      tv.add(i, javaV[i], vj - vp, ROUNDING * sv + FLUSHED);
    }
    return new Outcome(tw.measure(), tm.measure(), tv.measure());
  }

  /** The running maxima of one tensor's comparison. */
  private static final class Tally {
    private final float[] reference;
    private double maxAbs;
    private double ofGate;
    private boolean nan;

    Tally(float[] reference) {
      this.reference = reference;
    }

    /**
     * Entry i: Java's value {@code actual}, the difference from Python's that the gradients explain
     * ({@code expected}), the rounding allowance.
     */
    void add(int i, float actual, double expected, double allowance) {
      double d = (double) actual - reference[i];
      double residual = Math.abs(d - expected);
      if (Double.isNaN(residual) || Double.isNaN(allowance)) {
        nan = true;
        return;
      }
      maxAbs = Math.max(maxAbs, Math.abs(d));
      ofGate = Math.max(ofGate, residual == 0 ? 0
          : allowance == 0 ? Double.POSITIVE_INFINITY : residual / allowance);
    }

    Measure measure() {
      if (nan) {
        return new Measure(Double.NaN, Double.NaN, Double.NaN);
      }
      double scale = 0;
      for (float r : reference) {
        scale = Math.max(scale, Math.abs(r));
      }
      return new Measure(maxAbs, scale == 0 ? maxAbs : maxAbs / scale, ofGate);
    }
  }
}
