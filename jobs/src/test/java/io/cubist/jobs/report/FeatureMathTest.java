package io.cubist.jobs.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FeatureMathTest {

    @Test
    void cosineKnownValues() {
        assertEquals(1.0, FeatureMath.cosine(new float[] {1, 2, 3}, new float[] {2, 4, 6}), 1e-12);
        assertEquals(-1.0, FeatureMath.cosine(new float[] {1, 0}, new float[] {-3, 0}), 1e-12);
        assertEquals(0.0, FeatureMath.cosine(new float[] {1, 0}, new float[] {0, 5}), 1e-12);
        assertEquals(1 / Math.sqrt(2), FeatureMath.cosine(new float[] {1, 1}, new float[] {0, 1}), 1e-12);
        assertTrue(Double.isNaN(FeatureMath.cosine(new float[] {0, 0}, new float[] {1, 1})));
        assertThrows(IllegalArgumentException.class, () -> FeatureMath.cosine(new float[2], new float[3]));
    }

    @Test
    void cosineMatrixMatchesPairwiseCosine() {
        List<float[]> rows = List.of(new float[] {1, 0, 0}, new float[] {1, 1, 0}, new float[] {0, 0, 2},
                new float[] {-1, -1, 0});
        double[][] m = FeatureMath.cosineMatrix(rows);
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(1.0, m[i][i], 1e-12);
            for (int j = 0; j < rows.size(); j++) {
                assertEquals(FeatureMath.cosine(rows.get(i), rows.get(j)), m[i][j], 1e-12);
                assertEquals(m[i][j], m[j][i]);
            }
        }
        assertEquals(-1.0, m[1][3], 1e-12);
    }

    @Test
    void nearestIsOrderedBySimilarityWithStableTies() {
        List<float[]> rows = List.of(new float[] {0, 1}, new float[] {1, 0.1f}, new float[] {0, 0},
                new float[] {2, 0.2f}, new float[] {-1, 0});
        List<FeatureMath.Neighbor> nn = FeatureMath.nearest(new float[] {1, 0}, rows, 3);
        assertEquals(3, nn.size());
        assertEquals(1, nn.get(0).index()); // rows 1 and 3 are parallel: the tie keeps index order
        assertEquals(3, nn.get(1).index());
        assertEquals(0, nn.get(2).index());
        assertEquals(0.0, nn.get(2).similarity(), 1e-12);
        // the zero row has no defined similarity and is never returned
        assertEquals(4, FeatureMath.nearest(new float[] {1, 0}, rows, 10).size());
    }

    @Test
    void jacobiOnAKnownMatrix() {
        // tridiagonal [2 -1; -1 2 -1; -1 2]: eigenvalues 2+√2, 2, 2-√2;
        // eigenvectors (1, ∓√2, 1)/2 and (1, 0, -1)/√2
        double[][] a = {{2, -1, 0}, {-1, 2, -1}, {0, -1, 2}};
        FeatureMath.SymmetricEigen e = FeatureMath.symmetricEigen(a);
        assertArrayEquals(new double[] {2 + Math.sqrt(2), 2, 2 - Math.sqrt(2)}, e.values(), 1e-12);
        assertParallel(new double[] {0.5, -Math.sqrt(0.5), 0.5}, e.vectors()[0], 1e-12);
        assertParallel(new double[] {Math.sqrt(0.5), 0, -Math.sqrt(0.5)}, e.vectors()[1], 1e-12);
        assertParallel(new double[] {0.5, Math.sqrt(0.5), 0.5}, e.vectors()[2], 1e-12);
    }

    @Test
    void pcaOfAHandComputedExample() {
        // (±2, 0) and (0, ±1) shifted by (5, -3): mean (5, -3), covariance diag(8/3, 2/3) with divisor n-1 = 3
        List<float[]> rows = List.of(new float[] {7, -3}, new float[] {3, -3}, new float[] {5, -2},
                new float[] {5, -4});
        FeatureMath.Pca p = FeatureMath.pca(rows, 2);
        assertArrayEquals(new double[] {5, -3}, p.mean(), 1e-12);
        assertArrayEquals(new double[] {8.0 / 3, 2.0 / 3}, p.variances(), 1e-12);
        assertEquals(10.0 / 3, p.totalVariance(), 1e-12);
        assertEquals(0.8, p.explained(0), 1e-12);
        assertArrayEquals(new double[] {1, 0}, p.components()[0], 1e-12); // sign: largest entry positive
        assertArrayEquals(new double[] {0, 1}, p.components()[1], 1e-12);
        assertArrayEquals(new double[] {2, 0}, p.scores()[0], 1e-12);
        assertArrayEquals(new double[] {0, -1}, p.scores()[3], 1e-12);
    }

    @Test
    void pcaRecoversPlantedDirectionsAndVariances() {
        // Rows x = 10 + 6·a·u + 2·b·w with u, w orthonormal in 40 dimensions and a, b = ±1 in all four
        // combinations:
        // the covariance is exactly 36·n/(n-1)·uuᵀ + 4·n/(n-1)·wwᵀ.
        int d = 40;
        SplittableRandom r = new SplittableRandom(3);
        double[] u = randomUnit(d, r);
        double[] w = randomUnit(d, r);
        double s = dot(u, w);
        for (int j = 0; j < d; j++) {
            w[j] -= s * u[j];
        }
        scale(w, 1 / Math.sqrt(dot(w, w)));
        List<float[]> rows = new ArrayList<>();
        int reps = 5;
        for (int rep = 0; rep < reps; rep++) {
            for (int a = -1; a <= 1; a += 2) {
                for (int b = -1; b <= 1; b += 2) {
                    float[] x = new float[d];
                    for (int j = 0; j < d; j++) {
                        x[j] = (float) (10 + 6 * a * u[j] + 2 * b * w[j]);
                    }
                    rows.add(x);
                }
            }
        }
        int n = rows.size();
        FeatureMath.Pca p = FeatureMath.pca(rows, 3);
        double f = (double) n / (n - 1);
        assertEquals(36 * f, p.variances()[0], 1e-3); // float32 rows: agreement to float rounding
        assertEquals(4 * f, p.variances()[1], 1e-3);
        assertEquals(0, p.variances()[2], 1e-3);
        assertParallel(u, p.components()[0], 1e-5);
        assertParallel(w, p.components()[1], 1e-5);
        assertEquals(0.9, p.explained(0), 1e-4);
    }

    @Test
    void pcaAgreesWithJacobiOnTheExplicitCovariance() {
        int n = 60;
        int d = 12;
        SplittableRandom r = new SplittableRandom(11);
        double[] sd = {9, 5, 3, 2, 1.5, 1, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1};
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = new float[d];
            for (int j = 0; j < d; j++) {
                x[j] = (float) (sd[j] * r.nextGaussian() + j);
            }
            rows.add(x);
        }
        double[] mean = new double[d];
        for (float[] x : rows) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[j] / (double) n;
            }
        }
        double[][] cov = new double[d][d];
        for (float[] x : rows) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    cov[i][j] += (x[i] - mean[i]) * (x[j] - mean[j]) / (n - 1);
                }
            }
        }
        FeatureMath.SymmetricEigen ref = FeatureMath.symmetricEigen(cov);
        FeatureMath.Pca p = FeatureMath.pca(rows, 3);
        for (int c = 0; c < 3; c++) {
            assertEquals(ref.values()[c], p.variances()[c], 1e-8 * ref.values()[0]);
            assertParallel(ref.vectors()[c], p.components()[c], 1e-6);
        }
        double trace = 0;
        for (int j = 0; j < d; j++) {
            trace += cov[j][j];
        }
        assertEquals(trace, p.totalVariance(), 1e-9 * trace);
    }

    @Test
    void pcaRejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> FeatureMath.pca(List.of(), 2));
        assertThrows(IllegalArgumentException.class,
                () -> FeatureMath.pca(List.of(new float[] {1, 2}, new float[] {1}), 2));
        assertThrows(IllegalArgumentException.class,
                () -> FeatureMath.pca(List.of(new float[] {1, Float.NaN}, new float[] {1, 2}), 2));
        // one row: no variance, components still unit or zero, scores zero
        FeatureMath.Pca one = FeatureMath.pca(List.of(new float[] {1, 2, 3}), 2);
        assertEquals(0, one.variances()[0]);
        assertEquals(0, one.scores()[0][0], 1e-12);
    }

    private static void assertParallel(double[] expected, double[] actual, double tol) {
        double c = Math.abs(dot(expected, actual)) / Math.sqrt(dot(expected, expected) * dot(actual, actual));
        assertEquals(1.0, c, tol, "directions differ: |cos| = " + c);
    }

    private static double[] randomUnit(int d, SplittableRandom r) {
        double[] v = new double[d];
        for (int j = 0; j < d; j++) {
            v[j] = r.nextGaussian();
        }
        scale(v, 1 / Math.sqrt(dot(v, v)));
        return v;
    }

    private static void scale(double[] v, double s) {
        for (int j = 0; j < v.length; j++) {
            v[j] *= s;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
