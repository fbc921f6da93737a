package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * Depthwise convolution ({@code groups == C_in}, each output channel reads one input channel): one work item per
 * output element walks its {@code kd*kh*kw} taps. A tiled GEMM would leave all but one row of each weight tile idle
 * here. Stride, padding, dilation and padding modes as {@link ConvKernel}; the same fused epilogue.
 */
final class DepthwiseKernel extends Kernel {
    float[] x = new float[1];
    /** {@code [C_out, 1, kd, kh, kw]}. */
    float[] w = new float[1];
    float[] bias = new float[1];
    float[] res = new float[1];
    float[] y = new float[1];

    int cin;
    int cout;
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
    int mode;
    int hasBias;
    int hasRes;
    int relu;
    int total;

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

    @Override
    public void run() {
        int gid = getGlobalId(0);
        if (gid < total) {
            int ow = gid % outW;
            int rest = gid / outW;
            int oh = rest % outH;
            rest = rest / outH;
            int od = rest % outD;
            rest = rest / outD;
            int o = rest % cout;
            int n = rest / cout;
            int c = o / coutG;
            int xBase = (n * cin + c) * inD * inH * inW;
            int wBase = o * kd * kh * kw;
            float acc = 0f;
            for (int a = 0; a < kd; a++) {
                int id = remap(od * sd - pd + a * dd, inD);
                if (id >= 0) {
                    for (int b = 0; b < kh; b++) {
                        int ih = remap(oh * sh - ph + b * dh, inH);
                        if (ih >= 0) {
                            for (int e = 0; e < kw; e++) {
                                int iw = remap(ow * sw - pw + e * dw, inW);
                                if (iw >= 0) {
                                    acc += x[xBase + (id * inH + ih) * inW + iw] * w[wBase + (a * kh + b) * kw + e];
                                }
                            }
                        }
                    }
                }
            }
            if (hasBias == 1) {
                acc = acc + bias[o];
            }
            if (hasRes == 1) {
                acc = acc + res[gid];
            }
            if (relu == 1 && acc < 0f) {
                acc = 0f;
            }
            y[gid] = acc;
        }
    }
}
