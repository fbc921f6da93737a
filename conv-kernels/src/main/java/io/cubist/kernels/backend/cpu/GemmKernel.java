package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked FMA micro-kernel of the CPU engine's implicit GEMM: a {@value #MR} x {@code NR} block of
 * outputs ({@code NR} = two vectors of the preferred species: 32 floats with 512-bit vectors) held in 24 vector
 * registers while the reduction runs. Accumulators are locals, never an array (arrays of vectors box them).
 *
 * <p>The B operand is implicit: row {@code k} of B is the input buffer read at {@code offs[k] + n}, so no im2col
 * copy exists. A is packed {@code [k][MR]}: one broadcast per row per k.
 */
final class GemmKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int L = S.length();
    /** Rows (output channels) per micro-tile. */
    static final int MR = 12;
    /** Columns (output positions) per micro-tile. */
    static final int NR = 2 * L;

    private GemmKernel() {
    }

    /**
     * {@code c[cOff + r*ldc + j] (+)= sum over k in [k0,k1) of a[aOff + (k-k0)*MR + r] * x[offs[k] + n0 + j]} for
     * {@code r < MR, j < NR}; when {@code accumulate} is false the tile starts from zero.
     */
    static void tile(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                     int ldc, boolean accumulate) {
        // accumulators start at zero and the old tile is added at the end: loading it under a condition would make
        // each accumulator a phi that C2 may keep boxed (measured 2-10x slower)
        FloatVector z = FloatVector.zero(S);
        FloatVector a0 = z, b0 = z;
        FloatVector a1 = z, b1 = z;
        FloatVector a2 = z, b2 = z;
        FloatVector a3 = z, b3 = z;
        FloatVector a4 = z, b4 = z;
        FloatVector a5 = z, b5 = z;
        FloatVector a6 = z, b6 = z;
        FloatVector a7 = z, b7 = z;
        FloatVector a8 = z, b8 = z;
        FloatVector a9 = z, b9 = z;
        FloatVector a10 = z, b10 = z;
        FloatVector a11 = z, b11 = z;
        int ao = aOff;
        for (int k = k0; k < k1; k++, ao += MR) {
            int xo = offs[k] + n0;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
            FloatVector w;
            w = FloatVector.broadcast(S, a[ao + 0]);
            a0 = w.fma(x0, a0);
            b0 = w.fma(x1, b0);
            w = FloatVector.broadcast(S, a[ao + 1]);
            a1 = w.fma(x0, a1);
            b1 = w.fma(x1, b1);
            w = FloatVector.broadcast(S, a[ao + 2]);
            a2 = w.fma(x0, a2);
            b2 = w.fma(x1, b2);
            w = FloatVector.broadcast(S, a[ao + 3]);
            a3 = w.fma(x0, a3);
            b3 = w.fma(x1, b3);
            w = FloatVector.broadcast(S, a[ao + 4]);
            a4 = w.fma(x0, a4);
            b4 = w.fma(x1, b4);
            w = FloatVector.broadcast(S, a[ao + 5]);
            a5 = w.fma(x0, a5);
            b5 = w.fma(x1, b5);
            w = FloatVector.broadcast(S, a[ao + 6]);
            a6 = w.fma(x0, a6);
            b6 = w.fma(x1, b6);
            w = FloatVector.broadcast(S, a[ao + 7]);
            a7 = w.fma(x0, a7);
            b7 = w.fma(x1, b7);
            w = FloatVector.broadcast(S, a[ao + 8]);
            a8 = w.fma(x0, a8);
            b8 = w.fma(x1, b8);
            w = FloatVector.broadcast(S, a[ao + 9]);
            a9 = w.fma(x0, a9);
            b9 = w.fma(x1, b9);
            w = FloatVector.broadcast(S, a[ao + 10]);
            a10 = w.fma(x0, a10);
            b10 = w.fma(x1, b10);
            w = FloatVector.broadcast(S, a[ao + 11]);
            a11 = w.fma(x0, a11);
            b11 = w.fma(x1, b11);
        }
        if (accumulate) {
            a0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
            b0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + L)).intoArray(c, cOff + 0 * ldc + L);
            a1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
            b1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + L)).intoArray(c, cOff + 1 * ldc + L);
            a2.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
            b2.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L)).intoArray(c, cOff + 2 * ldc + L);
            a3.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
            b3.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L)).intoArray(c, cOff + 3 * ldc + L);
            a4.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
            b4.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L)).intoArray(c, cOff + 4 * ldc + L);
            a5.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
            b5.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L)).intoArray(c, cOff + 5 * ldc + L);
            a6.add(FloatVector.fromArray(S, c, cOff + 6 * ldc)).intoArray(c, cOff + 6 * ldc);
            b6.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + L)).intoArray(c, cOff + 6 * ldc + L);
            a7.add(FloatVector.fromArray(S, c, cOff + 7 * ldc)).intoArray(c, cOff + 7 * ldc);
            b7.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + L)).intoArray(c, cOff + 7 * ldc + L);
            a8.add(FloatVector.fromArray(S, c, cOff + 8 * ldc)).intoArray(c, cOff + 8 * ldc);
            b8.add(FloatVector.fromArray(S, c, cOff + 8 * ldc + L)).intoArray(c, cOff + 8 * ldc + L);
            a9.add(FloatVector.fromArray(S, c, cOff + 9 * ldc)).intoArray(c, cOff + 9 * ldc);
            b9.add(FloatVector.fromArray(S, c, cOff + 9 * ldc + L)).intoArray(c, cOff + 9 * ldc + L);
            a10.add(FloatVector.fromArray(S, c, cOff + 10 * ldc)).intoArray(c, cOff + 10 * ldc);
            b10.add(FloatVector.fromArray(S, c, cOff + 10 * ldc + L)).intoArray(c, cOff + 10 * ldc + L);
            a11.add(FloatVector.fromArray(S, c, cOff + 11 * ldc)).intoArray(c, cOff + 11 * ldc);
            b11.add(FloatVector.fromArray(S, c, cOff + 11 * ldc + L)).intoArray(c, cOff + 11 * ldc + L);
        } else {
            a0.intoArray(c, cOff + 0 * ldc);
            b0.intoArray(c, cOff + 0 * ldc + L);
            a1.intoArray(c, cOff + 1 * ldc);
            b1.intoArray(c, cOff + 1 * ldc + L);
            a2.intoArray(c, cOff + 2 * ldc);
            b2.intoArray(c, cOff + 2 * ldc + L);
            a3.intoArray(c, cOff + 3 * ldc);
            b3.intoArray(c, cOff + 3 * ldc + L);
            a4.intoArray(c, cOff + 4 * ldc);
            b4.intoArray(c, cOff + 4 * ldc + L);
            a5.intoArray(c, cOff + 5 * ldc);
            b5.intoArray(c, cOff + 5 * ldc + L);
            a6.intoArray(c, cOff + 6 * ldc);
            b6.intoArray(c, cOff + 6 * ldc + L);
            a7.intoArray(c, cOff + 7 * ldc);
            b7.intoArray(c, cOff + 7 * ldc + L);
            a8.intoArray(c, cOff + 8 * ldc);
            b8.intoArray(c, cOff + 8 * ldc + L);
            a9.intoArray(c, cOff + 9 * ldc);
            b9.intoArray(c, cOff + 9 * ldc + L);
            a10.intoArray(c, cOff + 10 * ldc);
            b10.intoArray(c, cOff + 10 * ldc + L);
            a11.intoArray(c, cOff + 11 * ldc);
            b11.intoArray(c, cOff + 11 * ldc + L);
        }
    }

    /**
     * One row of the tile: {@code c[cOff + j] (+)= sum over k of a[aOff + (k-k0)*MR] * x[offs[k] + n0 + j]} for
     * {@code j < NR}. For thin problems (depthwise: one output channel per group) where a 12-row tile would be mostly
     * padding. Even and odd k accumulate separately: four independent FMA chains instead of two.
     */
    static void row(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                    boolean accumulate) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector b1 = FloatVector.zero(S);
        int k = k0;
        int ao = aOff;
        for (; k + 1 < k1; k += 2, ao += 2 * MR) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            a0 = w.fma(FloatVector.fromArray(S, x, xo), a0);
            b0 = w.fma(FloatVector.fromArray(S, x, xo + L), b0);
            int xo1 = offs[k + 1] + n0;
            FloatVector w1 = FloatVector.broadcast(S, a[ao + MR]);
            a1 = w1.fma(FloatVector.fromArray(S, x, xo1), a1);
            b1 = w1.fma(FloatVector.fromArray(S, x, xo1 + L), b1);
        }
        if (k < k1) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            a0 = w.fma(FloatVector.fromArray(S, x, xo), a0);
            b0 = w.fma(FloatVector.fromArray(S, x, xo + L), b0);
        }
        if (accumulate) {
            a0.add(a1).add(FloatVector.fromArray(S, c, cOff)).intoArray(c, cOff);
            b0.add(b1).add(FloatVector.fromArray(S, c, cOff + L)).intoArray(c, cOff + L);
        } else {
            a0.add(a1).intoArray(c, cOff);
            b0.add(b1).intoArray(c, cOff + L);
        }
    }

    /** The plain loop the micro-kernel must equal (tests compare them). */
    static void tileReference(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        for (int r = 0; r < MR; r++) {
            for (int j = 0; j < NR; j++) {
                float acc = accumulate ? c[cOff + r * ldc + j] : 0f;
                for (int k = k0; k < k1; k++) {
                    acc = Math.fma(a[aOff + (k - k0) * MR + r], x[offs[k] + n0 + j], acc);
                }
                c[cOff + r * ldc + j] = acc;
            }
        }
    }
}
