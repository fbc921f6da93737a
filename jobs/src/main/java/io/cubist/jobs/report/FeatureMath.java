package io.cubist.jobs.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Arithmetic on clip feature vectors: cosine similarity, nearest clips and principal components. Plain Java on
 * {@code float[]} rows, so the same code serves the HTML report and Spark SQL functions. Sums run in double.
 */
public final class FeatureMath {

    /** Subspace-iteration cap; well-separated leading eigenvalues converge in a few dozen. */
    private static final int MAX_ITERATIONS = 500;

    private FeatureMath() {
    }

    /**
     * Cosine similarity {@code a·b / (|a| |b|)}, in [-1, 1]; NaN when either vector is all zeros (the angle is
     * undefined) or holds a NaN.
     *
     * @throws IllegalArgumentException when the lengths differ
     */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("cosine similarity of vectors of different lengths: " + a.length
                    + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return Double.NaN;
        }
        double c = dot / (Math.sqrt(na) * Math.sqrt(nb));
        return Math.max(-1.0, Math.min(1.0, c)); // rounding can step just outside [-1, 1]
    }

    /** The symmetric matrix of {@link #cosine} between every pair of rows; the diagonal is 1 (NaN for zero rows). */
    public static double[][] cosineMatrix(List<float[]> rows) {
        int n = rows.size();
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (float v : rows.get(i)) {
                s += (double) v * v;
            }
            norms[i] = Math.sqrt(s);
        }
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            float[] a = rows.get(i);
            for (int j = i; j < n; j++) {
                float[] b = rows.get(j);
                if (a.length != b.length) {
                    throw new IllegalArgumentException("rows " + i + " and " + j + " have different lengths: "
                            + a.length + " and " + b.length);
                }
                double dot = 0;
                for (int k = 0; k < a.length; k++) {
                    dot += (double) a[k] * b[k];
                }
                double c = norms[i] == 0 || norms[j] == 0 ? Double.NaN
                        : Math.max(-1.0, Math.min(1.0, dot / (norms[i] * norms[j])));
                m[i][j] = c;
                m[j][i] = c;
            }
        }
        return m;
    }

    /** One result of {@link #nearest}: a row index and its similarity to the query. */
    public record Neighbor(int index, double similarity) {
    }

    /**
     * The {@code k} rows most similar to {@code query} by cosine similarity, most similar first; ties keep the lower
     * index first. Rows whose similarity is undefined (zero vectors) are never returned.
     */
    public static List<Neighbor> nearest(float[] query, List<float[]> rows, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        List<Neighbor> all = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            double c = cosine(query, rows.get(i));
            if (!Double.isNaN(c)) {
                all.add(new Neighbor(i, c));
            }
        }
        all.sort(Comparator.comparingDouble(Neighbor::similarity).reversed().thenComparingInt(Neighbor::index));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    /**
     * Principal components of a set of rows.
     *
     * @param mean        the column means that were subtracted
     * @param components  {@code components[c]} is the c-th unit eigenvector of the sample covariance, by decreasing
     *                    eigenvalue; its sign is fixed so that its entry of largest magnitude is positive
     * @param variances   the eigenvalues (sample variance along each component, divisor n-1)
     * @param totalVariance the trace of the covariance (the sum of all its eigenvalues)
     * @param scores      {@code scores[i][c]}: row i's centered coordinate along component c
     */
    public record Pca(double[] mean, double[][] components, double[] variances, double totalVariance,
            double[][] scores) {

        /** The share of the total variance that component {@code c} explains, in [0, 1]; 0 when there is none. */
        public double explained(int c) {
            return totalVariance > 0 ? variances[c] / totalVariance : 0;
        }
    }

    /**
     * The first {@code k} principal components of {@code rows}, by subspace iteration on the covariance
     * {@code C = Xcᵀ Xc / (n-1)} applied implicitly (never formed: {@code C v = Xcᵀ (Xc v) / (n-1)}, O(n·d) a step),
     * with a Rayleigh–Ritz step (Jacobi on a small matrix) after each. Memory is O(n·k + d·k) beyond the rows, so
     * 4096-wide features cost no d×d matrix. With fewer distinct directions than {@code k} the extra components
     * have variance 0.
     *
     * @throws IllegalArgumentException for no rows, rows of different lengths, non-finite values or k &lt; 1
     */
    public static Pca pca(List<float[]> rows, int k) {
        int n = rows.size();
        if (n == 0) {
            throw new IllegalArgumentException("PCA of no rows");
        }
        if (k < 1) {
            throw new IllegalArgumentException("PCA needs k >= 1, got " + k);
        }
        int d = rows.get(0).length;
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            float[] r = rows.get(i);
            if (r.length != d) {
                throw new IllegalArgumentException("PCA rows of different lengths: row 0 has " + d + ", row " + i
                        + " has " + r.length);
            }
            for (int j = 0; j < d; j++) {
                if (!Float.isFinite(r[j])) {
                    throw new IllegalArgumentException("PCA row " + i + " has a non-finite value at " + j);
                }
                mean[j] += r[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[][] x = new double[n][d];
        double total = 0;
        for (int i = 0; i < n; i++) {
            float[] r = rows.get(i);
            for (int j = 0; j < d; j++) {
                x[i][j] = r[j] - mean[j];
                total += x[i][j] * x[i][j];
            }
        }
        double denom = Math.max(1, n - 1);
        total /= denom;

        // Subspace iteration with a few extra vectors: convergence goes as (λ_{p+1}/λ_k)^iter with p = block size.
        int rank = Math.min(n, d);
        int p = Math.min(rank, k + 4);
        double[][] q = new double[p][d];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(0x5eedL);
        for (double[] v : q) {
            for (int j = 0; j < d; j++) {
                v[j] = rnd.nextDouble() - 0.5;
            }
        }
        orthonormalize(q);
        double[] ritz = new double[p];
        double[][] basis = q;
        for (int iter = 0; iter < MAX_ITERATIONS; iter++) {
            double[][] z = new double[p][];
            for (int c = 0; c < p; c++) {
                z[c] = covarianceTimes(x, q[c], denom);
            }
            // Rayleigh–Ritz on span(q): H = Qᵀ C Q, then rotate the block to H's eigenvectors.
            double[][] h = new double[p][p];
            for (int a = 0; a < p; a++) {
                for (int b = 0; b < p; b++) {
                    h[a][b] = dot(q[a], z[b]);
                }
            }
            for (int a = 0; a < p; a++) { // symmetrize away rounding
                for (int b = a + 1; b < p; b++) {
                    double s = 0.5 * (h[a][b] + h[b][a]);
                    h[a][b] = s;
                    h[b][a] = s;
                }
            }
            SymmetricEigen e = symmetricEigen(h);
            double[][] rotated = new double[p][d];
            for (int c = 0; c < p; c++) {
                for (int a = 0; a < p; a++) {
                    double w = e.vectors()[c][a];
                    double[] src = q[a];
                    double[] dst = rotated[c];
                    for (int j = 0; j < d; j++) {
                        dst[j] += w * src[j];
                    }
                }
            }
            basis = rotated;
            boolean converged = iter > 0;
            double scale = Math.max(Math.abs(e.values()[0]), Double.MIN_NORMAL);
            for (int c = 0; c < Math.min(k, p); c++) {
                converged &= Math.abs(e.values()[c] - ritz[c]) <= 1e-12 * scale;
            }
            ritz = e.values();
            if (converged && iter > 2) {
                break;
            }
            // Next block: C times the Ritz vectors, re-orthonormalized.
            double[][] next = new double[p][d];
            for (int c = 0; c < p; c++) {
                for (int a = 0; a < p; a++) {
                    double w = e.vectors()[c][a];
                    double[] src = z[a];
                    double[] dst = next[c];
                    for (int j = 0; j < d; j++) {
                        dst[j] += w * src[j];
                    }
                }
            }
            orthonormalize(next);
            q = next;
        }

        double[][] comps = new double[k][d];
        double[] vars = new double[k];
        for (int c = 0; c < Math.min(k, p); c++) {
            vars[c] = Math.max(0, ritz[c]);
            if (vars[c] <= 1e-12 * Math.max(total, Double.MIN_NORMAL)) {
                vars[c] = 0;
            }
            comps[c] = basis[c].clone();
            normalize(comps[c]);
            fixSign(comps[c]);
        }
        double[][] scores = new double[n][k];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) {
                scores[i][c] = dot(x[i], comps[c]);
            }
        }
        return new Pca(mean, comps, vars, total, scores);
    }

    /** Eigenvalues in decreasing order and {@code vectors[c]} the unit eigenvector of {@code values[c]}. */
    public record SymmetricEigen(double[] values, double[][] vectors) {
    }

    /**
     * All eigenpairs of a small symmetric matrix by cyclic Jacobi rotations (exact to rounding; O(n³) per sweep, for
     * the matrices of a few dozen rows this class needs).
     */
    public static SymmetricEigen symmetricEigen(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("not a square matrix: row " + i + " has " + matrix[i].length
                        + " entries, expected " + n);
            }
            a[i] = matrix[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off < 1e-30) {
                break;
            }
            for (int pp = 0; pp < n; pp++) {
                for (int qq = pp + 1; qq < n; qq++) {
                    if (a[pp][qq] == 0) {
                        continue;
                    }
                    // Rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                    double theta = (a[qq][qq] - a[pp][pp]) / (2 * a[pp][qq]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int r = 0; r < n; r++) { // A ← A J
                        double arp = a[r][pp];
                        double arq = a[r][qq];
                        a[r][pp] = c * arp - s * arq;
                        a[r][qq] = s * arp + c * arq;
                    }
                    for (int r = 0; r < n; r++) { // A ← Jᵀ A
                        double apr = a[pp][r];
                        double aqr = a[qq][r];
                        a[pp][r] = c * apr - s * aqr;
                        a[qq][r] = s * apr + c * aqr;
                    }
                    for (int r = 0; r < n; r++) { // V ← V J
                        double vrp = v[r][pp];
                        double vrq = v[r][qq];
                        v[r][pp] = c * vrp - s * vrq;
                        v[r][qq] = s * vrp + c * vrq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[][] fa = a;
        Arrays.sort(order, (x, y) -> Double.compare(fa[y][y], fa[x][x]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int c = 0; c < n; c++) {
            values[c] = a[order[c]][order[c]];
            for (int r = 0; r < n; r++) {
                vectors[c][r] = v[r][order[c]];
            }
        }
        return new SymmetricEigen(values, vectors);
    }

    private static double[] covarianceTimes(double[][] x, double[] v, double denom) {
        int d = v.length;
        double[] out = new double[d];
        for (double[] row : x) {
            double s = dot(row, v);
            if (s != 0) {
                for (int j = 0; j < d; j++) {
                    out[j] += s * row[j];
                }
            }
        }
        for (int j = 0; j < d; j++) {
            out[j] /= denom;
        }
        return out;
    }

    /** Modified Gram–Schmidt, twice (one pass loses orthogonality on nearly dependent vectors); null-space vectors
     *  that vanish stay zero. */
    private static void orthonormalize(double[][] q) {
        for (int pass = 0; pass < 2; pass++) {
            for (int c = 0; c < q.length; c++) {
                for (int a = 0; a < c; a++) {
                    double s = dot(q[a], q[c]);
                    for (int j = 0; j < q[c].length; j++) {
                        q[c][j] -= s * q[a][j];
                    }
                }
                normalize(q[c]);
            }
        }
    }

    private static void normalize(double[] v) {
        double norm = Math.sqrt(dot(v, v));
        if (norm > 1e-300) {
            for (int j = 0; j < v.length; j++) {
                v[j] /= norm;
            }
        } else {
            Arrays.fill(v, 0);
        }
    }

    private static void fixSign(double[] v) {
        int arg = 0;
        for (int j = 1; j < v.length; j++) {
            if (Math.abs(v[j]) > Math.abs(v[arg])) {
                arg = j;
            }
        }
        if (v.length > 0 && v[arg] < 0) {
            for (int j = 0; j < v.length; j++) {
                v[j] = -v[j];
            }
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
