package io.deepclust.training.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** PCA on point sets whose principal axes and variances are known by construction. */
class PcaTest {
  static final double TOL = 1e-9;

  @Test
  void pointsOnALineGiveItsDirectionAndAllTheVariance() {
    // A unit direction whose largest entry is negative, so the fit must flip its sign.
    double[] u = {2 / 7.0, 3 / 7.0, -6 / 7.0};
    double[] c = {5, -1, 2};
    double[] t = {-2, -1, 0, 0.5, 4};
    float[][] x = new float[t.length][3];
    for (int i = 0; i < t.length; i++) {
      for (int j = 0; j < 3; j++) {
        x[i][j] = (float) (c[j] + t[i] * u[j]);
      }
    }
    Pca pca = Pca.fit(x);
    // t has mean 0.3; sample variance sum (t - 0.3)^2 / 4.
    double var = 0;
    for (double ti : t) {
      var += (ti - 0.3) * (ti - 0.3) / 4;
    }
    assertArrayEquals(new double[] {-u[0], -u[1], -u[2]}, pca.components()[0], 1e-6,
        "the line's direction, its largest entry made positive");
    assertEquals(var, pca.variances()[0], 1e-5);
    assertEquals(1.0, pca.explainedVarianceRatio(0), 1e-6);
    assertEquals(0.0, pca.explainedVarianceRatio(1), 1e-6);
    double[][] p = pca.project(x, 2);
    for (int i = 0; i < t.length; i++) {
      assertEquals(0.3 - t[i], p[i][0], 1e-5, "coordinate along the (flipped) line, point " + i);
      assertEquals(0.0, p[i][1], 1e-5);
    }
  }

  @Test
  void pointsOnATiltedPlaneGiveItsAxesInOrderOfVariance() {
    // An orthonormal pair u, v in R^3; a = ±3 along u, b = ±1 along v, all four corners.
    double s = Math.sqrt(0.5);
    double[] u = {s, s, 0};
    double[] v = {0, 0, 1};
    double[][] ab = {{3, 1}, {3, -1}, {-3, 1}, {-3, -1}};
    float[][] x = new float[4][3];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 3; j++) {
        x[i][j] = (float) (10 + ab[i][0] * u[j] + ab[i][1] * v[j]);
      }
    }
    Pca pca = Pca.fit(x);
    // Sample variances: 4·9/3 = 12 along u, 4·1/3 along v, 0 across the plane.
    assertArrayEquals(new double[] {12, 4 / 3.0, 0}, pca.variances(), 1e-5);
    assertArrayEquals(u, pca.components()[0], 1e-6);
    assertArrayEquals(v, pca.components()[1], 1e-6);
    assertEquals(0.9, pca.explainedVarianceRatio(0), 1e-6);
    assertEquals(0.1, pca.explainedVarianceRatio(1), 1e-6);
    assertArrayEquals(new double[] {10, 10, 10}, pca.mean(), 1e-6);
    double[][] p = pca.project(x, 3);
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(new double[] {ab[i][0], ab[i][1], 0}, p[i], 1e-5);
    }
  }

  @Test
  void componentsAreUnitVectorsWithTheirLargestEntryPositive() {
    float[][] x = {{1, -4}, {-1, 4}, {0.5f, -2.2f}, {-0.5f, 2}};
    Pca pca = Pca.fit(x);
    for (double[] v : pca.components()) {
      assertEquals(1.0, v[0] * v[0] + v[1] * v[1], TOL);
      double largest = Math.abs(v[0]) >= Math.abs(v[1]) ? v[0] : v[1];
      assertEquals(Math.abs(largest), largest, 0.0);
    }
  }

  @Test
  void oneDimensionProjectsToZerosInTheSecondColumn() {
    Pca pca = Pca.fit(new float[][] {{1}, {3}});
    assertEquals(1, pca.dims());
    assertArrayEquals(new double[] {-1, 0}, pca.project(new float[][] {{1}}, 2)[0], TOL);
  }

  @Test
  void raggedOrEmptyRowsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Pca.fit(new float[0][]));
    assertThrows(IllegalArgumentException.class, () -> Pca.fit(new float[][] {{1, 2}, {3}}));
    assertThrows(IllegalArgumentException.class,
        () -> Pca.fit(new float[][] {{1, Float.NaN}, {3, 4}}));
  }

  @Test
  void aRankDeficientHighDimensionalFitKeepsTheTotalVariance() {
    // 40 rows in 150 dimensions (rank ≤ 39), as a short run's codes: the variances add up to the
    // covariance's trace and the components are orthonormal.
    java.util.Random rnd = new java.util.Random(3);
    float[][] rows = new float[40][150];
    for (float[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) (rnd.nextGaussian() * (j < 5 ? 3 : 0.01));
      }
    }
    Pca p = Pca.fit(rows);
    double trace = 0;
    for (int j = 0; j < 150; j++) {
      double m = 0;
      for (float[] row : rows) {
        m += row[j] / 40.0;
      }
      for (float[] row : rows) {
        trace += (row[j] - m) * (row[j] - m) / 39.0;
      }
    }
    assertEquals(trace, java.util.Arrays.stream(p.variances()).sum(), 1e-6 * trace);
    for (int a = 0; a < 3; a++) {
      for (int b = 0; b < 3; b++) {
        double dot = 0;
        for (int j = 0; j < 150; j++) {
          dot += p.components()[a][j] * p.components()[b][j];
        }
        assertEquals(a == b ? 1 : 0, dot, 1e-9);
      }
    }
  }
}
