package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.reference.ReferencePool;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3D pooling as three separable 1D passes (width, then height, then depth): a box maximum is the maximum of row
 * maxima, and PyTorch's average divisor is a product of per-axis counts, so a {@code k^3} window costs {@code 3k}
 * operations instead of {@code k^3}. The height and depth passes combine whole contiguous rows, so they run as
 * vector operations over the width; the width pass is scalar. Same validation and window rules as
 * {@link ReferencePool}.
 */
final class CpuPool {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private CpuPool() {
    }

    /** The per-axis window of every output index: {@code [start, end)} clipped, and the divisor to use. */
    private record Windows(int[] start, int[] end, float[] divisor) {
    }

    private interface WindowRule {
        Windows along(int axis, int in, int out);
    }

    static Tensor maxPool3d(PoolSpec spec, Tensor input, CpuThreads threads) {
        int[] in = OpShapes.batched("max_pool3d", input);
        Dims3 out = spec.outputSize(new Dims3(in[2], in[3], in[4]));
        // window o along an axis reads o*s - p + k*d for k < kernel, in range only (padding is -inf)
        return separable(input, in, out, true, threads, null, spec);
    }

    static Tensor avgPool3d(PoolSpec spec, Tensor input, CpuThreads threads) {
        int[] in = OpShapes.checkAvgPool(spec, input);
        Dims3 out = spec.outputSize(new Dims3(in[2], in[3], in[4]));
        boolean override = spec.divisorOverride() != 0;
        Tensor y = separable(input, in, out, false, threads, (axis, n, o) -> {
            int[] st = new int[o];
            int[] en = new int[o];
            float[] div = new float[o];
            for (int i = 0; i < o; i++) {
                int[] w = ReferencePool.window(spec, axis, i, n);
                st[i] = w[0];
                en[i] = Math.max(w[0], w[1]);
                // pool_size counts the padding (count_include_pad), else only the clipped window
                div[i] = override ? 1f : spec.countIncludePad() ? w[2] : Math.max(1, en[i] - st[i]);
            }
            return new Windows(st, en, div);
        }, spec);
        if (override) {
            float inv = 1f / spec.divisorOverride();
            float[] d = y.data();
            for (int i = 0; i < d.length; i++) {
                d[i] *= inv;
            }
        }
        return y;
    }

    static Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize, CpuThreads threads) {
        int[] in = OpShapes.checkAdaptive(input, outputSize);
        return separable(input, in, outputSize, false, threads, (axis, n, o) -> {
            int[] st = new int[o];
            int[] en = new int[o];
            float[] div = new float[o];
            for (int i = 0; i < o; i++) {
                st[i] = ReferencePool.start(i, n, o);
                en[i] = ReferencePool.end(i, n, o);
                div[i] = en[i] - st[i];
            }
            return new Windows(st, en, div);
        }, null);
    }

    /**
     * Runs the three passes. For max pooling ({@code max}) the windows are the spec's dilated taps; for averages
     * {@code rule} gives contiguous windows and divisors.
     */
    private static Tensor separable(Tensor input, int[] in, Dims3 out, boolean max, CpuThreads threads,
                                    WindowRule rule, PoolSpec spec) {
        int planes = in[0] * in[1];
        int id = in[2];
        int ih = in[3];
        int iw = in[4];
        float[] x = input.data();
        // width pass: [planes*id*ih][iw] -> [planes*id*ih][ow]
        float[] t1 = new float[planes * id * ih * out.w()];
        int[][] tapsW = max ? taps(spec, 2, iw, out.w()) : null;
        Windows ww = max ? null : rule.along(2, iw, out.w());
        threads.parallelFor(planes, p -> {
            for (int row = p * id * ih; row < (p + 1) * id * ih; row++) {
                int xs = row * iw;
                int ts = row * out.w();
                for (int o = 0; o < out.w(); o++) {
                    if (max) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int q : tapsW[o]) {
                            float v = x[xs + q];
                            if (v > m || Float.isNaN(v)) {
                                m = v;
                            }
                        }
                        t1[ts + o] = m;
                    } else {
                        float sum = 0f;
                        for (int q = ww.start[o]; q < ww.end[o]; q++) {
                            sum += x[xs + q];
                        }
                        t1[ts + o] = sum / ww.divisor[o];
                    }
                }
            }
        });
        // height pass over rows of length ow, then depth pass over planes of oh*ow
        float[] t2 = new float[planes * id * out.h() * out.w()];
        rowPass(t1, t2, planes * id, ih, out.h(), out.w(), max, max ? taps(spec, 1, ih, out.h()) : null,
                max ? null : rule.along(1, ih, out.h()), threads);
        Tensor y = Tensor.zeros(in[0], in[1], out.d(), out.h(), out.w());
        rowPass(t2, y.data(), planes, id, out.d(), out.h() * out.w(), max, max ? taps(spec, 0, id, out.d()) : null,
                max ? null : rule.along(0, id, out.d()), threads);
        return OpShapes.unbatched(y, input);
    }

    /** {@code dst[b][o][:] = combine over the window of o of src[b][i][:]}, rows of {@code len} floats. */
    private static void rowPass(float[] src, float[] dst, int blocks, int n, int o, int len, boolean max,
                                int[][] taps, Windows win, CpuThreads threads) {
        threads.parallelFor(blocks, b -> {
            for (int i = 0; i < o; i++) {
                int d = (b * o + i) * len;
                if (max) {
                    Arrays.fill(dst, d, d + len, Float.NEGATIVE_INFINITY);
                    for (int r : taps[i]) {
                        combine(dst, d, src, (b * n + r) * len, len, true);
                    }
                } else {
                    for (int r = win.start[i]; r < win.end[i]; r++) {
                        combine(dst, d, src, (b * n + r) * len, len, false);
                    }
                    scale(dst, d, len, 1f / win.divisor[i]);
                }
            }
        });
    }

    /** {@code dst[d..d+len) = max|+ (dst, src[s..s+len))}; max propagates NaN as Math.max does. */
    private static void combine(float[] dst, int d, float[] src, int s, int len, boolean max) {
        int i = 0;
        for (; i <= len - S.length(); i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, dst, d + i);
            FloatVector b = FloatVector.fromArray(S, src, s + i);
            (max ? a.lanewise(VectorOperators.MAX, b) : a.add(b)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] = max ? Math.max(dst[d + i], src[s + i]) : dst[d + i] + src[s + i];
        }
    }

    private static void scale(float[] dst, int d, int len, float f) {
        int i = 0;
        for (; i <= len - S.length(); i += S.length()) {
            FloatVector.fromArray(S, dst, d + i).mul(f).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] *= f;
        }
    }

    /** Max pooling: the in-range input indices of each output's dilated window along {@code axis}. */
    private static int[][] taps(PoolSpec spec, int axis, int n, int o) {
        int k = spec.kernel().get(axis);
        int s = spec.stride().get(axis);
        int p = spec.padding().get(axis);
        int dl = spec.dilation().get(axis);
        int[][] t = new int[o][];
        for (int i = 0; i < o; i++) {
            int[] buf = new int[k];
            int c = 0;
            for (int j = 0; j < k; j++) {
                int q = i * s - p + j * dl;
                if (q >= 0 && q < n) {
                    buf[c++] = q;
                }
            }
            t[i] = Arrays.copyOf(buf, c);
        }
        return t;
    }
}
