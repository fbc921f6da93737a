package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * The per-element ops, one work item per output element: {@code op} 0 is {@code relu} ({@code max(x, 0)}, NaN
 * stays NaN), 1 inference batch norm folded on the host into {@code y = x * scale[c] + shift[c]}, 2
 * {@code linear} ({@code y[r, o] = sum_i x[r, i] * W[o, i] + b[o]}, one output per item).
 */
final class ElementwiseKernel extends Kernel {
    float[] x = new float[1];
    float[] y = new float[1];
    /** Batch norm: {@code weight / sqrt(var + eps)} per channel; linear: {@code W [out, in]}. */
    float[] a = new float[1];
    /** Batch norm: {@code bias - mean * scale}; linear: the bias. */
    float[] b = new float[1];

    int op;
    int total;
    /** Batch norm: channels and elements per channel and sample. */
    int channels;
    int inner;
    /** Linear: input and output features. */
    int inF;
    int outF;
    int hasBias;

    @Override
    public void run() {
        int gid = getGlobalId(0);
        if (gid < total) {
            if (op == 0) {
                float v = x[gid];
                y[gid] = v < 0f ? 0f : v;
            } else if (op == 1) {
                int c = (gid / inner) % channels;
                y[gid] = x[gid] * a[c] + b[c];
            } else {
                int r = gid / outF;
                int o = gid % outF;
                float s = 0f;
                for (int i = 0; i < inF; i++) {
                    s += x[r * inF + i] * a[o * inF + i];
                }
                if (hasBias == 1) {
                    s = s + b[o];
                }
                y[gid] = s;
            }
        }
    }
}
