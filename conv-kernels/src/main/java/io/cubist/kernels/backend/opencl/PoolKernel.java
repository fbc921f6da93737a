package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * 3D pooling, one work item per output element, with PyTorch's window rules ({@code ReferencePool} is the
 * oracle): {@code op} 0 is {@code max_pool3d} (dilated window, padding never wins, NaN propagates), 1
 * {@code avg_pool3d} (window clipped to {@code in + pad}, divisor by {@code count_include_pad} or
 * {@code divisor_override}), 2 {@code adaptive_avg_pool3d} ({@code [floor(i*in/out), ceil((i+1)*in/out))}).
 */
final class PoolKernel extends Kernel {
    float[] x = new float[1];
    float[] y = new float[1];

    int op;
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
    int countIncludePad;
    int divisorOverride;
    int total;
    /** Minus infinity, passed in rather than written as a constant the code generator would have to spell. */
    float lowest;

    float maxWindow(int base, int od, int oh, int ow) {
        float m = lowest;
        for (int a = 0; a < kd; a++) {
            int z = od * sd - pd + a * dd;
            if (z >= 0 && z < inD) {
                for (int b = 0; b < kh; b++) {
                    int r = oh * sh - ph + b * dh;
                    if (r >= 0 && r < inH) {
                        for (int e = 0; e < kw; e++) {
                            int q = ow * sw - pw + e * dw;
                            if (q >= 0 && q < inW) {
                                float v = x[base + (z * inH + r) * inW + q];
                                if (v > m || v != v) {
                                    m = v;
                                }
                            }
                        }
                    }
                }
            }
        }
        return m;
    }

    float sum(int base, int d0, int d1, int h0, int h1, int w0, int w1) {
        float s = 0f;
        for (int z = d0; z < d1; z++) {
            for (int r = h0; r < h1; r++) {
                for (int q = w0; q < w1; q++) {
                    s += x[base + (z * inH + r) * inW + q];
                }
            }
        }
        return s;
    }

    float avgWindow(int base, int od, int oh, int ow) {
        // window: [o*s - pad, min(o*s - pad + k, in + pad)), clipped to [0, in) for the sum
        int ds = od * sd - pd;
        int de = min(ds + kd, inD + pd);
        int hs = oh * sh - ph;
        int he = min(hs + kh, inH + ph);
        int ws = ow * sw - pw;
        int we = min(ws + kw, inW + pw);
        int poolSize = (de - ds) * (he - hs) * (we - ws);
        int d0 = max(ds, 0);
        int d1 = min(de, inD);
        int h0 = max(hs, 0);
        int h1 = min(he, inH);
        int w0 = max(ws, 0);
        int w1 = min(we, inW);
        float v = 0f;
        if (d0 < d1 && h0 < h1 && w0 < w1) {
            int divisor = (d1 - d0) * (h1 - h0) * (w1 - w0);
            if (divisorOverride != 0) {
                divisor = divisorOverride;
            } else if (countIncludePad == 1) {
                divisor = poolSize;
            }
            v = sum(base, d0, d1, h0, h1, w0, w1) / divisor;
        }
        return v;
    }

    float adaptiveWindow(int base, int od, int oh, int ow) {
        // output i averages input [floor(i*in/out), ceil((i+1)*in/out))
        int d0 = (od * inD) / outD;
        int d1 = ((od + 1) * inD + outD - 1) / outD;
        int h0 = (oh * inH) / outH;
        int h1 = ((oh + 1) * inH + outH - 1) / outH;
        int w0 = (ow * inW) / outW;
        int w1 = ((ow + 1) * inW + outW - 1) / outW;
        return sum(base, d0, d1, h0, h1, w0, w1) / ((d1 - d0) * (h1 - h0) * (w1 - w0));
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
            int plane = rest / outD;
            int base = plane * inD * inH * inW;
            float v = 0f;
            if (op == 0) {
                v = maxWindow(base, od, oh, ow);
            } else if (op == 1) {
                v = avgWindow(base, od, oh, ow);
            } else {
                v = adaptiveWindow(base, od, oh, ow);
            }
            y[gid] = v;
        }
    }
}
