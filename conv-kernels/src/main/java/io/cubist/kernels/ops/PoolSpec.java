package io.cubist.kernels.ops;

import io.cubist.kernels.tensor.Dims3;

/**
 * {@code F.max_pool3d} / {@code F.avg_pool3d} hyper-parameters. Output size per axis:
 * {@code out = floor_or_ceil((in + 2*padding - dilation*(k-1) - 1) / stride) + 1}, and with {@code ceil_mode} a
 * last window that would start in the right padding is dropped (PyTorch's rule).
 *
 * @param dilation         max pooling only; 1 for average pooling
 * @param countIncludePad  average pooling only
 * @param divisorOverride  average pooling only; 0 = none
 */
public record PoolSpec(Dims3 kernel, Dims3 stride, Dims3 padding, Dims3 dilation, boolean ceilMode,
                       boolean countIncludePad, int divisorOverride) {

    public PoolSpec {
        for (int a = 0; a < 3; a++) {
            if (kernel.get(a) < 1) {
                throw new IllegalArgumentException("kernel_size must be >= 1, got " + kernel);
            }
            if (stride.get(a) < 1) {
                throw new IllegalArgumentException("stride must be >= 1, got " + stride);
            }
            if (dilation.get(a) < 1) {
                throw new IllegalArgumentException("dilation must be >= 1, got " + dilation);
            }
            if (padding.get(a) < 0) {
                throw new IllegalArgumentException("padding must be >= 0, got " + padding);
            }
            if (padding.get(a) > kernel.get(a) / 2) {
                throw new IllegalArgumentException("pad should be at most half of effective kernel size, but got"
                        + " padding=" + padding + " and kernel_size=" + kernel);
            }
        }
        if (divisorOverride < 0) {
            throw new IllegalArgumentException("divisor_override must be > 0, got " + divisorOverride);
        }
    }

    public static PoolSpec max(Dims3 kernel, Dims3 stride, Dims3 padding, Dims3 dilation, boolean ceilMode) {
        return new PoolSpec(kernel, stride, padding, dilation, ceilMode, true, 0);
    }

    public static PoolSpec avg(Dims3 kernel, Dims3 stride, Dims3 padding, boolean ceilMode, boolean countIncludePad,
                               int divisorOverride) {
        return new PoolSpec(kernel, stride, padding, Dims3.of(1), ceilMode, countIncludePad, divisorOverride);
    }

    public int outputSize(int axis, int in) {
        int k = kernel.get(axis);
        int s = stride.get(axis);
        int p = padding.get(axis);
        int span = in + 2 * p - dilation.get(axis) * (k - 1) - 1;
        int out = (ceilMode ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
        if (ceilMode && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    public Dims3 outputSize(Dims3 in) {
        int[] o = new int[3];
        for (int a = 0; a < 3; a++) {
            o[a] = outputSize(a, in.get(a));
            if (o[a] < 1) {
                throw new IllegalArgumentException("pooling: input size " + in + " is too small for kernel "
                        + kernel + " (dilation " + dilation + ", padding " + padding + "): output size would be "
                        + o[a]);
            }
        }
        return new Dims3(o[0], o[1], o[2]);
    }
}
