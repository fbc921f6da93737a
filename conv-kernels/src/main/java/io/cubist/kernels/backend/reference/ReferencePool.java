package io.cubist.kernels.backend.reference;

import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * Plain-loop 3D pooling: {@code F.max_pool3d}, {@code F.avg_pool3d} and {@code F.adaptive_avg_pool3d} with
 * PyTorch's exact window and divisor rules. Inputs are {@code [N, C, D, H, W]} or, as in PyTorch, unbatched
 * {@code [C, D, H, W]} (the output then has rank 4 too). Sums are accumulated in double and written as float.
 */
public final class ReferencePool {

    private ReferencePool() {
    }

    /**
     * {@code F.max_pool3d}: the maximum over each dilated window; padded positions count as minus infinity and a
     * NaN anywhere in the window makes the result NaN (as PyTorch's CPU kernel does).
     */
    public static Tensor maxPool3d(PoolSpec spec, Tensor input) {
        int[] in = OpShapes.batched("max_pool3d", input);
        int n = in[0];
        int c = in[1];
        int id = in[2];
        int ih = in[3];
        int iw = in[4];
        Dims3 out = spec.outputSize(new Dims3(id, ih, iw));
        int od = out.d();
        int oh = out.h();
        int ow = out.w();
        int kd = spec.kernel().d();
        int kh = spec.kernel().h();
        int kw = spec.kernel().w();
        int sd = spec.stride().d();
        int sh = spec.stride().h();
        int sw = spec.stride().w();
        int pd = spec.padding().d();
        int ph = spec.padding().h();
        int pw = spec.padding().w();
        int dd = spec.dilation().d();
        int dh = spec.dilation().h();
        int dw = spec.dilation().w();
        float[] x = input.data();
        Tensor result = Tensor.zeros(n, c, od, oh, ow);
        float[] y = result.data();
        int o = 0;
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * id * ih * iw;
            for (int a = 0; a < od; a++) {
                for (int b = 0; b < oh; b++) {
                    for (int e = 0; e < ow; e++) {
                        // y = max_{i,j,l} x[a*sd - pd + i*dd, b*sh - ph + j*dh, e*sw - pw + l*dw], padding = -inf
                        double m = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < kd; i++) {
                            int z = a * sd - pd + i * dd;
                            if (z < 0 || z >= id) {
                                continue;
                            }
                            for (int j = 0; j < kh; j++) {
                                int r = b * sh - ph + j * dh;
                                if (r < 0 || r >= ih) {
                                    continue;
                                }
                                for (int l = 0; l < kw; l++) {
                                    int q = e * sw - pw + l * dw;
                                    if (q < 0 || q >= iw) {
                                        continue;
                                    }
                                    double v = x[base + (z * ih + r) * iw + q];
                                    if (v > m || Double.isNaN(v)) {
                                        m = v;
                                    }
                                }
                            }
                        }
                        y[o++] = (float) m;
                    }
                }
            }
        }
        return OpShapes.unbatched(result, input);
    }

    /**
     * {@code F.avg_pool3d}: the window sum divided by {@code divisor_override} if set, else by the window size
     * counted with padding ({@code count_include_pad}) or without it. A window lying wholly in the padding that
     * {@code ceil_mode} adds gives 0, as in PyTorch. As PyTorch does for {@code avg_pool3d}, the unpadded input must
     * be at least as large as the kernel on every axis.
     */
    public static Tensor avgPool3d(PoolSpec spec, Tensor input) {
        int[] in = OpShapes.checkAvgPool(spec, input);
        int n = in[0];
        int c = in[1];
        int id = in[2];
        int ih = in[3];
        int iw = in[4];
        Dims3 out = spec.outputSize(new Dims3(id, ih, iw));
        int od = out.d();
        int oh = out.h();
        int ow = out.w();
        float[] x = input.data();
        Tensor result = Tensor.zeros(n, c, od, oh, ow);
        float[] y = result.data();
        int o = 0;
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * id * ih * iw;
            for (int a = 0; a < od; a++) {
                int[] wd = window(spec, 0, a, id);
                for (int b = 0; b < oh; b++) {
                    int[] wh = window(spec, 1, b, ih);
                    for (int e = 0; e < ow; e++) {
                        int[] ww = window(spec, 2, e, iw);
                        // pool_size = prod(min(start+k, in+pad) - start); y = sum(x[clipped window]) / divisor
                        if (wd[0] >= wd[1] || wh[0] >= wh[1] || ww[0] >= ww[1]) {
                            y[o++] = 0f;
                            continue;
                        }
                        long poolSize = (long) wd[2] * wh[2] * ww[2];
                        long clipped = (long) (wd[1] - wd[0]) * (wh[1] - wh[0]) * (ww[1] - ww[0]);
                        double sum = 0;
                        for (int z = wd[0]; z < wd[1]; z++) {
                            for (int r = wh[0]; r < wh[1]; r++) {
                                for (int q = ww[0]; q < ww[1]; q++) {
                                    sum += x[base + (z * ih + r) * iw + q];
                                }
                            }
                        }
                        long divisor = spec.divisorOverride() != 0 ? spec.divisorOverride()
                                : spec.countIncludePad() ? poolSize : clipped;
                        y[o++] = (float) (sum / divisor);
                    }
                }
            }
        }
        return OpShapes.unbatched(result, input);
    }

    /**
     * The average-pooling window of output index {@code o} along {@code axis}, PyTorch's rule:
     * {@code {clippedStart, clippedEnd, unclippedSize}} where the unclipped window may reach into the padding but
     * never past {@code in + pad}.
     */
    public static int[] window(PoolSpec spec, int axis, int o, int in) {
        int pad = spec.padding().get(axis);
        int start = o * spec.stride().get(axis) - pad;
        int end = Math.min(start + spec.kernel().get(axis), in + pad);
        int size = end - start;
        return new int[] {Math.max(start, 0), Math.min(end, in), size};
    }

    /**
     * {@code F.adaptive_avg_pool3d}: output index {@code i} of an axis averages input indices
     * {@code [floor(i*in/out), ceil((i+1)*in/out))}.
     */
    public static Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        int[] in = OpShapes.checkAdaptive(input, outputSize);
        int n = in[0];
        int c = in[1];
        int id = in[2];
        int ih = in[3];
        int iw = in[4];
        int od = outputSize.d();
        int oh = outputSize.h();
        int ow = outputSize.w();
        float[] x = input.data();
        Tensor result = Tensor.zeros(n, c, od, oh, ow);
        float[] y = result.data();
        int o = 0;
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * id * ih * iw;
            for (int a = 0; a < od; a++) {
                int d0 = start(a, id, od);
                int d1 = end(a, id, od);
                for (int b = 0; b < oh; b++) {
                    int h0 = start(b, ih, oh);
                    int h1 = end(b, ih, oh);
                    for (int e = 0; e < ow; e++) {
                        int w0 = start(e, iw, ow);
                        int w1 = end(e, iw, ow);
                        // y[i] = mean(x[floor(i*in/out) : ceil((i+1)*in/out)]) along each axis
                        double sum = 0;
                        for (int z = d0; z < d1; z++) {
                            for (int r = h0; r < h1; r++) {
                                for (int q = w0; q < w1; q++) {
                                    sum += x[base + (z * ih + r) * iw + q];
                                }
                            }
                        }
                        y[o++] = (float) (sum / ((long) (d1 - d0) * (h1 - h0) * (w1 - w0)));
                    }
                }
            }
        }
        return OpShapes.unbatched(result, input);
    }

    /** Adaptive pooling: the first input index output {@code i} of {@code out} averages. */
    public static int start(int i, int in, int out) {
        return (int) Math.floorDiv((long) i * in, out);
    }

    /** Adaptive pooling: one past the last input index output {@code i} of {@code out} averages. */
    public static int end(int i, int in, int out) {
        return (int) -Math.floorDiv(-(long) (i + 1) * in, out);
    }

}
