package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * Convolution (direct or transposed, any stride, padding, dilation, groups and padding mode) as an implicit GEMM
 * tiled through local memory: per group {@code Y[o, p] = sum_k A[o, k] * B[k, p]} with {@code A} the packed weights
 * {@code [C_out, K]}, {@code K = C_in/groups * kd*kh*kw}, and {@code B[k, p]} the input element tap {@code k} of
 * output position {@code p} reads, gathered on the fly (no im2col buffer). A work-group of 256 items computes a
 * {@value #TM} x {@value #TP} block of outputs; each K step stages a {@value #TM} x {@value #TK} weight tile and a
 * {@value #TK} x {@value #TP} input tile in local memory, and each item accumulates 4 x 4 outputs (four output
 * channels, four positions). Each item always loads the same column of the input tile, so its position's
 * coordinates are computed once, outside the K loop; the decomposition of {@code k} into (input channel, tap) comes
 * from a table uploaded with the weights. The epilogue adds bias and residual and applies ReLU before the single
 * write.
 *
 * <p>Fields are primitive arrays and ints only (Aparapi turns this class into OpenCL C). Flags are ints, 0 or 1.
 */
final class ConvKernel extends Kernel {
    static final int TM = 64;
    static final int TK = 16;
    static final int TP = 64;
    static final int LOCAL = 256;

    float[] x = new float[1];
    /** {@code [C_out, K]}: a direct conv's weight as given; a transposed conv's repacked by group. */
    float[] w = new float[1];
    /** Per {@code k}: input channel within the group, then the tap's offsets {@code a*dd, b*dh, c*dw}. */
    int[] kTab = new int[4];
    float[] bias = new float[1];
    float[] res = new float[1];
    float[] y = new float[1];

    int cin;
    int cout;
    int groups;
    int cinG;
    int coutG;
    int inD;
    int inH;
    int inW;
    int outD;
    int outH;
    int outW;
    int sd;
    int sh;
    int sw;
    int pd;
    int ph;
    int pw;
    /** 0 zeros, 1 reflect, 2 replicate, 3 circular. */
    int mode;
    int transposed;
    /** 1x1x1 kernel, stride 1, no padding: B is the input itself. */
    int pointwise;
    int hasBias;
    int hasRes;
    int relu;
    int kTotal;
    int positions;
    int mTiles;
    int pTiles;

    @Local final float[] tileA = new float[TM * TK];
    @Local final float[] tileB = new float[TK * TP];

    /** {@code PaddingMode.map}: the index read for a possibly out-of-range {@code i}, or -1 for a zero. */
    int remap(int i, int n) {
        int r = i;
        if (i < 0 || i >= n) {
            if (mode == 0) {
                r = -1;
            } else if (mode == 1) {
                if (n == 1) {
                    r = 0;
                } else if (i < 0) {
                    r = -i;
                } else {
                    r = 2 * (n - 1) - i;
                }
            } else if (mode == 2) {
                if (i < 0) {
                    r = 0;
                } else {
                    r = n - 1;
                }
            } else {
                r = ((i % n) + n) % n;
            }
        }
        return r;
    }

    /** Transposed: output {@code z = i*s - p + tap} reads input {@code i = t / s} for {@code t = z + p - tap}. */
    int adjoint(int t, int s, int n) {
        int r = -1;
        if (t >= 0 && t % s == 0 && t / s < n) {
            r = t / s;
        }
        return r;
    }

    /**
     * B[k, p]: the input element tap {@code k} reads for the position whose first-tap coordinates are
     * {@code (zd, zh, zw)} ({@code o*stride - pad} for a direct conv, {@code o + pad} for a transposed one).
     */
    float gather(int xBase, int k, int p, int zd, int zh, int zw) {
        float v = 0f;
        if (pointwise == 1) {
            v = x[xBase + k * positions + p];
        } else {
            int ci = kTab[4 * k];
            int id = 0;
            int ih = 0;
            int iw = 0;
            if (transposed == 1) {
                id = adjoint(zd - kTab[4 * k + 1], sd, inD);
                ih = adjoint(zh - kTab[4 * k + 2], sh, inH);
                iw = adjoint(zw - kTab[4 * k + 3], sw, inW);
            } else {
                id = remap(zd + kTab[4 * k + 1], inD);
                ih = remap(zh + kTab[4 * k + 2], inH);
                iw = remap(zw + kTab[4 * k + 3], inW);
            }
            if (id >= 0 && ih >= 0 && iw >= 0) {
                v = x[xBase + (ci * inD + id) * inH * inW + ih * inW + iw];
            }
        }
        return v;
    }

    void store(int n, int g, int m, int p, float acc) {
        if (m < coutG && p < positions) {
            int o = g * coutG + m;
            int idx = (n * cout + o) * positions + p;
            float v = acc;
            if (hasBias == 1) {
                v = v + bias[o];
            }
            if (hasRes == 1) {
                v = v + res[idx];
            }
            if (relu == 1 && v < 0f) {
                v = 0f;
            }
            y[idx] = v;
        }
    }

    @Override
    public void run() {
        int lid = getLocalId(0);
        int tile = getGroupId(0);
        int pt = tile % pTiles;
        int rest = tile / pTiles;
        int mt = rest % mTiles;
        rest = rest / mTiles;
        int g = rest % groups;
        int n = rest / groups;
        // outputs: rows lm + 16*i of the tile, columns lp + 16*j
        int lm = lid / 16;
        int lp = lid % 16;
        int m0 = mt * TM + lm;
        int p0 = pt * TP;
        // input tile loads: always column pc, rows lid / TP + 4*r
        int pc = lid % TP;
        int kr0 = lid / TP;
        int p = p0 + pc;
        int ow = p % outW;
        int oh = (p / outW) % outH;
        int od = p / (outW * outH);
        int zd = od * sd - pd;
        int zh = oh * sh - ph;
        int zw = ow * sw - pw;
        if (transposed == 1) {
            zd = od + pd;
            zh = oh + ph;
            zw = ow + pw;
        }
        int xBase = (n * cin + g * cinG) * inD * inH * inW;
        float a00 = 0f;
        float a01 = 0f;
        float a02 = 0f;
        float a03 = 0f;
        float a10 = 0f;
        float a11 = 0f;
        float a12 = 0f;
        float a13 = 0f;
        float a20 = 0f;
        float a21 = 0f;
        float a22 = 0f;
        float a23 = 0f;
        float a30 = 0f;
        float a31 = 0f;
        float a32 = 0f;
        float a33 = 0f;
        for (int k0 = 0; k0 < kTotal; k0 += TK) {
            // weight tile TM x TK: four elements per item
            for (int r = 0; r < 4; r++) {
                int e = lid + r * LOCAL;
                int row = mt * TM + e / TK;
                int col = k0 + e % TK;
                float a = 0f;
                if (row < coutG && col < kTotal) {
                    a = w[(g * coutG + row) * kTotal + col];
                }
                tileA[e] = a;
            }
            for (int r = 0; r < 4; r++) {
                int kr = kr0 + 4 * r;
                float b = 0f;
                if (k0 + kr < kTotal && p < positions) {
                    b = gather(xBase, k0 + kr, p, zd, zh, zw);
                }
                tileB[kr * TP + pc] = b;
            }
            localBarrier();
            for (int kk = 0; kk < TK; kk++) {
                float w0 = tileA[(lm + 0) * TK + kk];
                float w1 = tileA[(lm + 16) * TK + kk];
                float w2 = tileA[(lm + 32) * TK + kk];
                float w3 = tileA[(lm + 48) * TK + kk];
                float b0 = tileB[kk * TP + lp + 0];
                float b1 = tileB[kk * TP + lp + 16];
                float b2 = tileB[kk * TP + lp + 32];
                float b3 = tileB[kk * TP + lp + 48];
                a00 += w0 * b0;
                a01 += w0 * b1;
                a02 += w0 * b2;
                a03 += w0 * b3;
                a10 += w1 * b0;
                a11 += w1 * b1;
                a12 += w1 * b2;
                a13 += w1 * b3;
                a20 += w2 * b0;
                a21 += w2 * b1;
                a22 += w2 * b2;
                a23 += w2 * b3;
                a30 += w3 * b0;
                a31 += w3 * b1;
                a32 += w3 * b2;
                a33 += w3 * b3;
            }
            localBarrier();
        }
        store(n, g, m0 + 0, p0 + lp + 0, a00);
        store(n, g, m0 + 0, p0 + lp + 16, a01);
        store(n, g, m0 + 0, p0 + lp + 32, a02);
        store(n, g, m0 + 0, p0 + lp + 48, a03);
        store(n, g, m0 + 16, p0 + lp + 0, a10);
        store(n, g, m0 + 16, p0 + lp + 16, a11);
        store(n, g, m0 + 16, p0 + lp + 32, a12);
        store(n, g, m0 + 16, p0 + lp + 48, a13);
        store(n, g, m0 + 32, p0 + lp + 0, a20);
        store(n, g, m0 + 32, p0 + lp + 16, a21);
        store(n, g, m0 + 32, p0 + lp + 32, a22);
        store(n, g, m0 + 32, p0 + lp + 48, a23);
        store(n, g, m0 + 48, p0 + lp + 0, a30);
        store(n, g, m0 + 48, p0 + lp + 16, a31);
        store(n, g, m0 + 48, p0 + lp + 32, a32);
        store(n, g, m0 + 48, p0 + lp + 48, a33);
    }
}
