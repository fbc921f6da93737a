package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution with {@code (kd, 3, kw)} taps at stride 1 in height, on the padded flattened grid
 * {@link CpuConv} builds: four output rows at once, so that each input row loaded feeds up to three of them (row
 * {@code r} of the block reads input row {@code r + b} for tap {@code b}). Per (depth tap, width tap) that is six
 * two-vector loads for twelve two-vector FMAs, in eight independent accumulator chains.
 */
final class DepthwiseKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Output positions per row of a block. */
    static final int WIDTH = 2 * L;
    /** Output rows per block. */
    static final int ROWS = 4;

    private DepthwiseKernel() {
    }

    /**
     * Writes the block of {@code ROWS x WIDTH} outputs at grid position {@code p} (rows {@code gw} apart) into
     * {@code out[r * WIDTH + j]}. {@code w} holds the channel's taps {@code [kd][3][kw]} from {@code wOff};
     * {@code depthStride} is one padded depth plane of the grid.
     */
    static void block(float[] x, int p, int gw, int depthStride, int kd, int kw, float[] w, int wOff, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector r0a = z, r0b = z, r1a = z, r1b = z, r2a = z, r2b = z, r3a = z, r3b = z;
        // one flat loop over (depth tap, width tap): nested loops keep C2 from unboxing the accumulators
        for (int t = 0; t < kd * kw; t++) {
            int a = t / kw;
            int c = t - a * kw;
            {
                int base = p + a * depthStride + c;
                int wi = wOff + a * 3 * kw + c;
                FloatVector w0 = FloatVector.broadcast(S, w[wi]);
                FloatVector w1 = FloatVector.broadcast(S, w[wi + kw]);
                FloatVector w2 = FloatVector.broadcast(S, w[wi + 2 * kw]);
                // input row i feeds output row i - b with tap b
                FloatVector xa = FloatVector.fromArray(S, x, base);
                FloatVector xb = FloatVector.fromArray(S, x, base + L);
                r0a = w0.fma(xa, r0a);
                r0b = w0.fma(xb, r0b);
                xa = FloatVector.fromArray(S, x, base + gw);
                xb = FloatVector.fromArray(S, x, base + gw + L);
                r0a = w1.fma(xa, r0a);
                r0b = w1.fma(xb, r0b);
                r1a = w0.fma(xa, r1a);
                r1b = w0.fma(xb, r1b);
                xa = FloatVector.fromArray(S, x, base + 2 * gw);
                xb = FloatVector.fromArray(S, x, base + 2 * gw + L);
                r0a = w2.fma(xa, r0a);
                r0b = w2.fma(xb, r0b);
                r1a = w1.fma(xa, r1a);
                r1b = w1.fma(xb, r1b);
                r2a = w0.fma(xa, r2a);
                r2b = w0.fma(xb, r2b);
                xa = FloatVector.fromArray(S, x, base + 3 * gw);
                xb = FloatVector.fromArray(S, x, base + 3 * gw + L);
                r1a = w2.fma(xa, r1a);
                r1b = w2.fma(xb, r1b);
                r2a = w1.fma(xa, r2a);
                r2b = w1.fma(xb, r2b);
                r3a = w0.fma(xa, r3a);
                r3b = w0.fma(xb, r3b);
                xa = FloatVector.fromArray(S, x, base + 4 * gw);
                xb = FloatVector.fromArray(S, x, base + 4 * gw + L);
                r2a = w2.fma(xa, r2a);
                r2b = w2.fma(xb, r2b);
                r3a = w1.fma(xa, r3a);
                r3b = w1.fma(xb, r3b);
                xa = FloatVector.fromArray(S, x, base + 5 * gw);
                xb = FloatVector.fromArray(S, x, base + 5 * gw + L);
                r3a = w2.fma(xa, r3a);
                r3b = w2.fma(xb, r3b);
            }
        }
        r0a.intoArray(out, 0);
        r0b.intoArray(out, L);
        r1a.intoArray(out, WIDTH);
        r1b.intoArray(out, WIDTH + L);
        r2a.intoArray(out, 2 * WIDTH);
        r2b.intoArray(out, 2 * WIDTH + L);
        r3a.intoArray(out, 3 * WIDTH);
        r3b.intoArray(out, 3 * WIDTH + L);
    }

    /** The plain loop {@link #block} must equal. */
    static void blockReference(float[] x, int p, int gw, int depthStride, int kd, int kw, float[] w, int wOff,
                               float[] out) {
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < WIDTH; j++) {
                float acc = 0f;
                for (int a = 0; a < kd; a++) {
                    for (int b = 0; b < 3; b++) {
                        for (int c = 0; c < kw; c++) {
                            acc = Math.fma(w[wOff + (a * 3 + b) * kw + c],
                                    x[p + a * depthStride + (r + b) * gw + c + j], acc);
                        }
                    }
                }
                out[r * WIDTH + j] = acc;
            }
        }
    }
}
