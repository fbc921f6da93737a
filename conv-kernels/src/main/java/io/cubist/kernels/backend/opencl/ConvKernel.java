package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * Convolution (direct or transposed, any stride, padding, dilation, groups and padding mode) as an implicit GEMM
 * tiled through local memory: per group {@code Y[o, p] = sum_k A[o, k] * B[k, p]} with {@code A} the packed weights
 * {@code [C_out, K]}, {@code K = C_in/groups * kd*kh*kw}, and {@code B[k, p]} the input element tap {@code k} of
 * output position {@code p} reads, gathered on the fly (no im2col buffer). A work-group of 256 items computes a
 * {@value #TM} x {@value #TP} block of outputs; each K step stages a {@value #TM} x {@value #TK} weight tile and a
 * {@value #TK} x {@value #TP} input tile in local memory, and each item accumulates {@value #TP}/16 = 4 outputs.
 * The epilogue adds bias and residual and applies ReLU before the single write.
 *
 * <p>Fields are primitive arrays and ints only (Aparapi turns this class into OpenCL C). Flags are ints, 0 or 1.
 */
final class ConvKernel extends Kernel {
    static final int TM = 16;
    static final int TK = 16;
    static final int TP = 64;
    static final int LOCAL = 256;

    float[] x = new float[1];
    /** {@code [C_out, K]}: a direct conv's weight as given; a transposed conv's repacked by group. */
    float[] w = new float[1];
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
    int kd;
    int kh;
    int kw;
    int sd;
    int sh;
    int sw;
    int pd;
    int ph;
    int pw;
    int dd;
    int dh;
    int dw;
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

    /** The input index of output position {@code o} and tap {@code a} along an axis, or -1 when it reads nothing. */
    int source(int o, int a, int s, int p, int dl, int n) {
        int r = -1;
        if (transposed == 1) {
            // y[z] += x[i] * w[a] where z = i*s - p + a*dl
            int t = o + p - a * dl;
            if (t >= 0 && t % s == 0 && t / s < n) {
                r = t / s;
            }
        } else {
            r = remap(o * s - p + a * dl, n);
        }
        return r;
    }

    float gather(int n, int g, int k, int p) {
        float v = 0f;
        if (k < kTotal && p < positions) {
            if (pointwise == 1) {
                v = x[((n * cin) + g * cinG + k) * positions + p];
            } else {
                int taps = kd * kh * kw;
                int ci = k / taps;
                int tap = k % taps;
                int a = tap / (kh * kw);
                int b = (tap / kw) % kh;
                int c = tap % kw;
                int ow = p % outW;
                int oh = (p / outW) % outH;
                int od = p / (outW * outH);
                int id = source(od, a, sd, pd, dd, inD);
                int ih = source(oh, b, sh, ph, dh, inH);
                int iw = source(ow, c, sw, pw, dw, inW);
                if (id >= 0 && ih >= 0 && iw >= 0) {
                    v = x[(((n * cin) + g * cinG + ci) * inD + id) * inH * inW + ih * inW + iw];
                }
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
        int lm = lid / 16;
        int lp = lid % 16;
        int m = mt * TM + lm;
        int p0 = pt * TP;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        for (int k0 = 0; k0 < kTotal; k0 += TK) {
            float a = 0f;
            if (m < coutG && k0 + lp < kTotal) {
                a = w[(g * coutG + m) * kTotal + k0 + lp];
            }
            tileA[lm * TK + lp] = a;
            for (int r = 0; r < 4; r++) {
                int e = lid + r * LOCAL;
                int kr = e / TP;
                int pc = e % TP;
                tileB[e] = gather(n, g, k0 + kr, p0 + pc);
            }
            localBarrier();
            for (int kk = 0; kk < TK; kk++) {
                float av = tileA[lm * TK + kk];
                acc0 += av * tileB[kk * TP + lp];
                acc1 += av * tileB[kk * TP + lp + 16];
                acc2 += av * tileB[kk * TP + lp + 32];
                acc3 += av * tileB[kk * TP + lp + 48];
            }
            localBarrier();
        }
        store(n, g, m, p0 + lp, acc0);
        store(n, g, m, p0 + lp + 16, acc1);
        store(n, g, m, p0 + lp + 32, acc2);
        store(n, g, m, p0 + lp + 48, acc3);
    }
}
