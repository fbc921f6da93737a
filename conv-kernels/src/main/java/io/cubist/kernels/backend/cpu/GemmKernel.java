package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked FMA micro-kernel of the CPU engine's implicit GEMM: an {@code MR} x {@code NR} block of outputs
 * ({@code NR} = {@code NV} vectors of the preferred species) held in vector registers while the reduction runs.
 * Accumulators are locals, never an array (arrays of vectors box them). The shape is the processor's
 * ({@link CpuInfo}): 8 x 3 vectors where it has 32 vector registers (AVX-512: 24 accumulators, 3 loads and a
 * broadcast), 6 x 2 where it has 16 (AVX2: 12 accumulators + 2 loads + 1 broadcast = 15). With 16 registers the
 * 6 x 2 tile ran 10-20% faster than 4 x 3 (the same 12 accumulators with 3 loads + 1 broadcast leave the register
 * allocator nothing spare) on one thread of an AVX2 core, 80-88% of its FMA peak; 8 x 3 reaches about 80% of an
 * AVX-512 core's. A row block past the channel count is zero-padded when packed.
 *
 * <p>The B operand is implicit: row {@code k} of B is the input buffer read at {@code offs[k] + n}, so no im2col
 * copy exists. A is packed {@code [k][MR]}: one broadcast per row per k.
 */
final class GemmKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int L = S.length();
    /** Whether the processor has the 32 vector registers of the 8 x 3 tile (else 6 x 2). */
    private static final boolean WIDE = CpuInfo.HOST.vectorRegisters() >= 32;
    /** Rows (output channels) per micro-tile: as many as the processor's vector registers hold. */
    static final int MR = WIDE ? 8 : 6;
    /** Vectors per row of a micro-tile. */
    static final int NV = WIDE ? 3 : 2;
    /** Columns (output positions) per micro-tile. */
    static final int NR = NV * L;

    private GemmKernel() {
    }

    /**
     * {@code c[cOff + r*ldc + j] (+)= sum over k in [k0,k1) of a[aOff + (k-k0)*MR + r] * x[offs[k] + n0 + j]} for
     * {@code r < MR, j < NR}; when {@code accumulate} is false the tile starts from zero.
     */
    static void tile(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                     int ldc, boolean accumulate) {
        if (WIDE) {
            tile8(a, aOff, x, offs, k0, k1, n0, c, cOff, ldc, accumulate);
        } else {
            tile6(a, aOff, x, offs, k0, k1, n0, c, cOff, ldc, accumulate);
        }
    }

    /**
     * {@link #tile} for a packed micro-panel: row {@code k} of B at {@code x[start + k * NR]}, {@code k < kCount}. No
     * offset table to read per k (measured 10-15% faster in isolation), and a constant step (4% more).
     */
    static void tilePanel(float[] a, int aOff, float[] x, int start, int kCount, float[] c, int cOff, int ldc,
                          boolean accumulate) {
        if (WIDE) {
            tilePanel8(a, aOff, x, start, kCount, c, cOff, ldc, accumulate);
        } else {
            tilePanel6(a, aOff, x, start, kCount, c, cOff, ldc, accumulate);
        }
    }

    /**
     * One row of the tile: {@code c[cOff + j] (+)= sum over k of a[aOff + (k-k0)*MR] * x[offs[k] + n0 + j]} for
     * {@code j < NR}. For thin problems (depthwise: one output channel per group) where an MR-row tile would be mostly
     * padding. Even and odd k accumulate separately: twice the independent FMA chains.
     */
    static void row(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                    boolean accumulate) {
        if (WIDE) {
            row3(a, aOff, x, offs, k0, k1, n0, c, cOff, accumulate);
        } else {
            row2(a, aOff, x, offs, k0, k1, n0, c, cOff, accumulate);
        }
    }

    /** {@link #tile} with 8 rows. */
    static void tile8(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        // accumulators start at zero and the old tile is added at the end: loading it under a condition would make
        // each accumulator a phi that C2 may keep boxed (measured 2-10x slower)
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z;
        FloatVector c6_0 = z, c6_1 = z, c6_2 = z;
        FloatVector c7_0 = z, c7_1 = z, c7_2 = z;
        // indices from k itself, not stepped beside it: with the Vector API's bounds checks off C2 addresses a
        // stepped index far worse (measured 60-65 against 80-93 GFLOP/s on one AVX2 core)
        int aBase = aOff - k0 * 8;
        for (int k = k0; k < k1; k++) {
            int ao = aBase + k * 8;
            int xo = offs[k] + n0;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector w;
            w = FloatVector.broadcast(S, a[ao + 0]);
            c0_0 = w.fma(x0, c0_0);
            c0_1 = w.fma(x1, c0_1);
            c0_2 = w.fma(x2, c0_2);
            w = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = w.fma(x0, c1_0);
            c1_1 = w.fma(x1, c1_1);
            c1_2 = w.fma(x2, c1_2);
            w = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = w.fma(x0, c2_0);
            c2_1 = w.fma(x1, c2_1);
            c2_2 = w.fma(x2, c2_2);
            w = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = w.fma(x0, c3_0);
            c3_1 = w.fma(x1, c3_1);
            c3_2 = w.fma(x2, c3_2);
            w = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = w.fma(x0, c4_0);
            c4_1 = w.fma(x1, c4_1);
            c4_2 = w.fma(x2, c4_2);
            w = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = w.fma(x0, c5_0);
            c5_1 = w.fma(x1, c5_1);
            c5_2 = w.fma(x2, c5_2);
            w = FloatVector.broadcast(S, a[ao + 6]);
            c6_0 = w.fma(x0, c6_0);
            c6_1 = w.fma(x1, c6_1);
            c6_2 = w.fma(x2, c6_2);
            w = FloatVector.broadcast(S, a[ao + 7]);
            c7_0 = w.fma(x0, c7_0);
            c7_1 = w.fma(x1, c7_1);
            c7_2 = w.fma(x2, c7_2);
        }
        if (accumulate) {
            c0_0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
            c0_1.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + L)).intoArray(c, cOff + 0 * ldc + L);
            c0_2.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + 2 * L)).intoArray(c, cOff + 0 * ldc + 2 * L);
            c1_0.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
            c1_1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + L)).intoArray(c, cOff + 1 * ldc + L);
            c1_2.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + 2 * L)).intoArray(c, cOff + 1 * ldc + 2 * L);
            c2_0.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L)).intoArray(c, cOff + 2 * ldc + L);
            c2_2.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + 2 * L)).intoArray(c, cOff + 2 * ldc + 2 * L);
            c3_0.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L)).intoArray(c, cOff + 3 * ldc + L);
            c3_2.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + 2 * L)).intoArray(c, cOff + 3 * ldc + 2 * L);
            c4_0.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
            c4_1.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L)).intoArray(c, cOff + 4 * ldc + L);
            c4_2.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + 2 * L)).intoArray(c, cOff + 4 * ldc + 2 * L);
            c5_0.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
            c5_1.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L)).intoArray(c, cOff + 5 * ldc + L);
            c5_2.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + 2 * L)).intoArray(c, cOff + 5 * ldc + 2 * L);
            c6_0.add(FloatVector.fromArray(S, c, cOff + 6 * ldc)).intoArray(c, cOff + 6 * ldc);
            c6_1.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + L)).intoArray(c, cOff + 6 * ldc + L);
            c6_2.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + 2 * L)).intoArray(c, cOff + 6 * ldc + 2 * L);
            c7_0.add(FloatVector.fromArray(S, c, cOff + 7 * ldc)).intoArray(c, cOff + 7 * ldc);
            c7_1.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + L)).intoArray(c, cOff + 7 * ldc + L);
            c7_2.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + 2 * L)).intoArray(c, cOff + 7 * ldc + 2 * L);
        } else {
            c0_0.intoArray(c, cOff + 0 * ldc);
            c0_1.intoArray(c, cOff + 0 * ldc + L);
            c0_2.intoArray(c, cOff + 0 * ldc + 2 * L);
            c1_0.intoArray(c, cOff + 1 * ldc);
            c1_1.intoArray(c, cOff + 1 * ldc + L);
            c1_2.intoArray(c, cOff + 1 * ldc + 2 * L);
            c2_0.intoArray(c, cOff + 2 * ldc);
            c2_1.intoArray(c, cOff + 2 * ldc + L);
            c2_2.intoArray(c, cOff + 2 * ldc + 2 * L);
            c3_0.intoArray(c, cOff + 3 * ldc);
            c3_1.intoArray(c, cOff + 3 * ldc + L);
            c3_2.intoArray(c, cOff + 3 * ldc + 2 * L);
            c4_0.intoArray(c, cOff + 4 * ldc);
            c4_1.intoArray(c, cOff + 4 * ldc + L);
            c4_2.intoArray(c, cOff + 4 * ldc + 2 * L);
            c5_0.intoArray(c, cOff + 5 * ldc);
            c5_1.intoArray(c, cOff + 5 * ldc + L);
            c5_2.intoArray(c, cOff + 5 * ldc + 2 * L);
            c6_0.intoArray(c, cOff + 6 * ldc);
            c6_1.intoArray(c, cOff + 6 * ldc + L);
            c6_2.intoArray(c, cOff + 6 * ldc + 2 * L);
            c7_0.intoArray(c, cOff + 7 * ldc);
            c7_1.intoArray(c, cOff + 7 * ldc + L);
            c7_2.intoArray(c, cOff + 7 * ldc + 2 * L);
        }
    }

    /** {@link #tilePanel} with 8 rows. */
    static void tilePanel8(float[] a, int aOff, float[] x, int start, int kCount, float[] c, int cOff, int ldc,
                                   boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z;
        FloatVector c6_0 = z, c6_1 = z, c6_2 = z;
        FloatVector c7_0 = z, c7_1 = z, c7_2 = z;
        for (int k = 0; k < kCount; k++) {
            int ao = aOff + k * 8;
            int xo = start + k * (3 * L);
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector w;
            w = FloatVector.broadcast(S, a[ao + 0]);
            c0_0 = w.fma(x0, c0_0);
            c0_1 = w.fma(x1, c0_1);
            c0_2 = w.fma(x2, c0_2);
            w = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = w.fma(x0, c1_0);
            c1_1 = w.fma(x1, c1_1);
            c1_2 = w.fma(x2, c1_2);
            w = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = w.fma(x0, c2_0);
            c2_1 = w.fma(x1, c2_1);
            c2_2 = w.fma(x2, c2_2);
            w = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = w.fma(x0, c3_0);
            c3_1 = w.fma(x1, c3_1);
            c3_2 = w.fma(x2, c3_2);
            w = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = w.fma(x0, c4_0);
            c4_1 = w.fma(x1, c4_1);
            c4_2 = w.fma(x2, c4_2);
            w = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = w.fma(x0, c5_0);
            c5_1 = w.fma(x1, c5_1);
            c5_2 = w.fma(x2, c5_2);
            w = FloatVector.broadcast(S, a[ao + 6]);
            c6_0 = w.fma(x0, c6_0);
            c6_1 = w.fma(x1, c6_1);
            c6_2 = w.fma(x2, c6_2);
            w = FloatVector.broadcast(S, a[ao + 7]);
            c7_0 = w.fma(x0, c7_0);
            c7_1 = w.fma(x1, c7_1);
            c7_2 = w.fma(x2, c7_2);
        }
        if (accumulate) {
            c0_0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
            c0_1.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + L)).intoArray(c, cOff + 0 * ldc + L);
            c0_2.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + 2 * L)).intoArray(c, cOff + 0 * ldc + 2 * L);
            c1_0.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
            c1_1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + L)).intoArray(c, cOff + 1 * ldc + L);
            c1_2.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + 2 * L)).intoArray(c, cOff + 1 * ldc + 2 * L);
            c2_0.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L)).intoArray(c, cOff + 2 * ldc + L);
            c2_2.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + 2 * L)).intoArray(c, cOff + 2 * ldc + 2 * L);
            c3_0.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L)).intoArray(c, cOff + 3 * ldc + L);
            c3_2.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + 2 * L)).intoArray(c, cOff + 3 * ldc + 2 * L);
            c4_0.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
            c4_1.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L)).intoArray(c, cOff + 4 * ldc + L);
            c4_2.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + 2 * L)).intoArray(c, cOff + 4 * ldc + 2 * L);
            c5_0.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
            c5_1.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L)).intoArray(c, cOff + 5 * ldc + L);
            c5_2.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + 2 * L)).intoArray(c, cOff + 5 * ldc + 2 * L);
            c6_0.add(FloatVector.fromArray(S, c, cOff + 6 * ldc)).intoArray(c, cOff + 6 * ldc);
            c6_1.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + L)).intoArray(c, cOff + 6 * ldc + L);
            c6_2.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + 2 * L)).intoArray(c, cOff + 6 * ldc + 2 * L);
            c7_0.add(FloatVector.fromArray(S, c, cOff + 7 * ldc)).intoArray(c, cOff + 7 * ldc);
            c7_1.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + L)).intoArray(c, cOff + 7 * ldc + L);
            c7_2.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + 2 * L)).intoArray(c, cOff + 7 * ldc + 2 * L);
        } else {
            c0_0.intoArray(c, cOff + 0 * ldc);
            c0_1.intoArray(c, cOff + 0 * ldc + L);
            c0_2.intoArray(c, cOff + 0 * ldc + 2 * L);
            c1_0.intoArray(c, cOff + 1 * ldc);
            c1_1.intoArray(c, cOff + 1 * ldc + L);
            c1_2.intoArray(c, cOff + 1 * ldc + 2 * L);
            c2_0.intoArray(c, cOff + 2 * ldc);
            c2_1.intoArray(c, cOff + 2 * ldc + L);
            c2_2.intoArray(c, cOff + 2 * ldc + 2 * L);
            c3_0.intoArray(c, cOff + 3 * ldc);
            c3_1.intoArray(c, cOff + 3 * ldc + L);
            c3_2.intoArray(c, cOff + 3 * ldc + 2 * L);
            c4_0.intoArray(c, cOff + 4 * ldc);
            c4_1.intoArray(c, cOff + 4 * ldc + L);
            c4_2.intoArray(c, cOff + 4 * ldc + 2 * L);
            c5_0.intoArray(c, cOff + 5 * ldc);
            c5_1.intoArray(c, cOff + 5 * ldc + L);
            c5_2.intoArray(c, cOff + 5 * ldc + 2 * L);
            c6_0.intoArray(c, cOff + 6 * ldc);
            c6_1.intoArray(c, cOff + 6 * ldc + L);
            c6_2.intoArray(c, cOff + 6 * ldc + 2 * L);
            c7_0.intoArray(c, cOff + 7 * ldc);
            c7_1.intoArray(c, cOff + 7 * ldc + L);
            c7_2.intoArray(c, cOff + 7 * ldc + 2 * L);
        }
    }

    /** {@link #tile} with 6 rows. */
    static void tile6(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        // accumulators start at zero and the old tile is added at the end: loading it under a condition would make
        // each accumulator a phi that C2 may keep boxed (measured 2-10x slower)
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        // indices from k itself, not stepped beside it: with the Vector API's bounds checks off C2 addresses a
        // stepped index far worse (measured 60-65 against 80-93 GFLOP/s on one AVX2 core)
        int aBase = aOff - k0 * 6;
        for (int k = k0; k < k1; k++) {
            int ao = aBase + k * 6;
            int xo = offs[k] + n0;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
            FloatVector w;
            w = FloatVector.broadcast(S, a[ao + 0]);
            c0_0 = w.fma(x0, c0_0);
            c0_1 = w.fma(x1, c0_1);
            w = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = w.fma(x0, c1_0);
            c1_1 = w.fma(x1, c1_1);
            w = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = w.fma(x0, c2_0);
            c2_1 = w.fma(x1, c2_1);
            w = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = w.fma(x0, c3_0);
            c3_1 = w.fma(x1, c3_1);
            w = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = w.fma(x0, c4_0);
            c4_1 = w.fma(x1, c4_1);
            w = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = w.fma(x0, c5_0);
            c5_1 = w.fma(x1, c5_1);
        }
        if (accumulate) {
            c0_0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
            c0_1.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + L)).intoArray(c, cOff + 0 * ldc + L);
            c1_0.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
            c1_1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + L)).intoArray(c, cOff + 1 * ldc + L);
            c2_0.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L)).intoArray(c, cOff + 2 * ldc + L);
            c3_0.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L)).intoArray(c, cOff + 3 * ldc + L);
            c4_0.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
            c4_1.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L)).intoArray(c, cOff + 4 * ldc + L);
            c5_0.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
            c5_1.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L)).intoArray(c, cOff + 5 * ldc + L);
        } else {
            c0_0.intoArray(c, cOff + 0 * ldc);
            c0_1.intoArray(c, cOff + 0 * ldc + L);
            c1_0.intoArray(c, cOff + 1 * ldc);
            c1_1.intoArray(c, cOff + 1 * ldc + L);
            c2_0.intoArray(c, cOff + 2 * ldc);
            c2_1.intoArray(c, cOff + 2 * ldc + L);
            c3_0.intoArray(c, cOff + 3 * ldc);
            c3_1.intoArray(c, cOff + 3 * ldc + L);
            c4_0.intoArray(c, cOff + 4 * ldc);
            c4_1.intoArray(c, cOff + 4 * ldc + L);
            c5_0.intoArray(c, cOff + 5 * ldc);
            c5_1.intoArray(c, cOff + 5 * ldc + L);
        }
    }

    /** {@link #tilePanel} with 6 rows. */
    static void tilePanel6(float[] a, int aOff, float[] x, int start, int kCount, float[] c, int cOff, int ldc,
                                   boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        for (int k = 0; k < kCount; k++) {
            int ao = aOff + k * 6;
            int xo = start + k * (2 * L);
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
            FloatVector w;
            w = FloatVector.broadcast(S, a[ao + 0]);
            c0_0 = w.fma(x0, c0_0);
            c0_1 = w.fma(x1, c0_1);
            w = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = w.fma(x0, c1_0);
            c1_1 = w.fma(x1, c1_1);
            w = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = w.fma(x0, c2_0);
            c2_1 = w.fma(x1, c2_1);
            w = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = w.fma(x0, c3_0);
            c3_1 = w.fma(x1, c3_1);
            w = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = w.fma(x0, c4_0);
            c4_1 = w.fma(x1, c4_1);
            w = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = w.fma(x0, c5_0);
            c5_1 = w.fma(x1, c5_1);
        }
        if (accumulate) {
            c0_0.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
            c0_1.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + L)).intoArray(c, cOff + 0 * ldc + L);
            c1_0.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
            c1_1.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + L)).intoArray(c, cOff + 1 * ldc + L);
            c2_0.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L)).intoArray(c, cOff + 2 * ldc + L);
            c3_0.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L)).intoArray(c, cOff + 3 * ldc + L);
            c4_0.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
            c4_1.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L)).intoArray(c, cOff + 4 * ldc + L);
            c5_0.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
            c5_1.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L)).intoArray(c, cOff + 5 * ldc + L);
        } else {
            c0_0.intoArray(c, cOff + 0 * ldc);
            c0_1.intoArray(c, cOff + 0 * ldc + L);
            c1_0.intoArray(c, cOff + 1 * ldc);
            c1_1.intoArray(c, cOff + 1 * ldc + L);
            c2_0.intoArray(c, cOff + 2 * ldc);
            c2_1.intoArray(c, cOff + 2 * ldc + L);
            c3_0.intoArray(c, cOff + 3 * ldc);
            c3_1.intoArray(c, cOff + 3 * ldc + L);
            c4_0.intoArray(c, cOff + 4 * ldc);
            c4_1.intoArray(c, cOff + 4 * ldc + L);
            c5_0.intoArray(c, cOff + 5 * ldc);
            c5_1.intoArray(c, cOff + 5 * ldc + L);
        }
    }

    /** {@link #row} with 3 vectors. */
    static void row3(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                     boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector e0 = z, o0 = z;
        FloatVector e1 = z, o1 = z;
        FloatVector e2 = z, o2 = z;
        int k = k0;
        int ao = aOff;
        for (; k + 1 < k1; k += 2, ao += 2 * MR) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            e0 = w.fma(FloatVector.fromArray(S, x, xo), e0);
            e1 = w.fma(FloatVector.fromArray(S, x, xo + L), e1);
            e2 = w.fma(FloatVector.fromArray(S, x, xo + 2 * L), e2);
            int xo1 = offs[k + 1] + n0;
            FloatVector w1 = FloatVector.broadcast(S, a[ao + MR]);
            o0 = w1.fma(FloatVector.fromArray(S, x, xo1), o0);
            o1 = w1.fma(FloatVector.fromArray(S, x, xo1 + L), o1);
            o2 = w1.fma(FloatVector.fromArray(S, x, xo1 + 2 * L), o2);
        }
        if (k < k1) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            e0 = w.fma(FloatVector.fromArray(S, x, xo), e0);
            e1 = w.fma(FloatVector.fromArray(S, x, xo + L), e1);
            e2 = w.fma(FloatVector.fromArray(S, x, xo + 2 * L), e2);
        }
        if (accumulate) {
            e0.add(o0).add(FloatVector.fromArray(S, c, cOff)).intoArray(c, cOff);
            e1.add(o1).add(FloatVector.fromArray(S, c, cOff + L)).intoArray(c, cOff + L);
            e2.add(o2).add(FloatVector.fromArray(S, c, cOff + 2 * L)).intoArray(c, cOff + 2 * L);
        } else {
            e0.add(o0).intoArray(c, cOff);
            e1.add(o1).intoArray(c, cOff + L);
            e2.add(o2).intoArray(c, cOff + 2 * L);
        }
    }

    /** {@link #row} with 2 vectors. */
    static void row2(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                     boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector e0 = z, o0 = z;
        FloatVector e1 = z, o1 = z;
        int k = k0;
        int ao = aOff;
        for (; k + 1 < k1; k += 2, ao += 2 * MR) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            e0 = w.fma(FloatVector.fromArray(S, x, xo), e0);
            e1 = w.fma(FloatVector.fromArray(S, x, xo + L), e1);
            int xo1 = offs[k + 1] + n0;
            FloatVector w1 = FloatVector.broadcast(S, a[ao + MR]);
            o0 = w1.fma(FloatVector.fromArray(S, x, xo1), o0);
            o1 = w1.fma(FloatVector.fromArray(S, x, xo1 + L), o1);
        }
        if (k < k1) {
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
            e0 = w.fma(FloatVector.fromArray(S, x, xo), e0);
            e1 = w.fma(FloatVector.fromArray(S, x, xo + L), e1);
        }
        if (accumulate) {
            e0.add(o0).add(FloatVector.fromArray(S, c, cOff)).intoArray(c, cOff);
            e1.add(o1).add(FloatVector.fromArray(S, c, cOff + L)).intoArray(c, cOff + L);
        } else {
            e0.add(o0).intoArray(c, cOff);
            e1.add(o1).intoArray(c, cOff + L);
        }
    }

    /** The plain loop the micro-kernel must equal (tests compare them). */
    static void tileReference(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        tileReference(MR, NR, a, aOff, x, offs, k0, k1, n0, c, cOff, ldc, accumulate);
    }

    /** {@link #tileReference} for a tile of {@code mr} rows of A packed {@code [k][mr]} and {@code nr} columns. */
    static void tileReference(int mr, int nr, float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                float acc = accumulate ? c[cOff + r * ldc + j] : 0f;
                for (int k = k0; k < k1; k++) {
                    acc = Math.fma(a[aOff + (k - k0) * mr + r], x[offs[k] + n0 + j], acc);
                }
                c[cOff + r * ldc + j] = acc;
            }
        }
    }
}
