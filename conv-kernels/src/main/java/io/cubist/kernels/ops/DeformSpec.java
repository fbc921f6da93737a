package io.cubist.kernels.ops;

import io.cubist.kernels.tensor.Dims3;

/**
 * Hyper-parameters of {@code deform_conv3d} (torchvision's {@code deform_conv2d} extended to 3D; the exact
 * definition is in DESIGN.md). Groups and offset groups follow from the tensor shapes.
 */
public record DeformSpec(Dims3 stride, Dims3 padding, Dims3 dilation) {

    public DeformSpec {
        for (int a = 0; a < 3; a++) {
            if (stride.get(a) < 1) {
                throw new IllegalArgumentException("deform_conv3d: stride must be >= 1, got " + stride);
            }
            if (dilation.get(a) < 1) {
                throw new IllegalArgumentException("deform_conv3d: dilation must be >= 1, got " + dilation);
            }
            if (padding.get(a) < 0) {
                throw new IllegalArgumentException("deform_conv3d: padding must be >= 0, got " + padding);
            }
        }
    }

    /** {@code floor((in + 2*padding - dilation*(k-1) - 1) / stride) + 1} per axis. */
    public Dims3 outputSize(Dims3 in, Dims3 kernel) {
        int[] o = new int[3];
        for (int a = 0; a < 3; a++) {
            int span = in.get(a) + 2 * padding.get(a) - dilation.get(a) * (kernel.get(a) - 1) - 1;
            o[a] = span < 0 ? 0 : span / stride.get(a) + 1;
            if (o[a] < 1) {
                throw new IllegalArgumentException("deform_conv3d: input size " + in + " is too small for kernel "
                        + kernel + " with padding " + padding + " and dilation " + dilation);
            }
        }
        return new Dims3(o[0], o[1], o[2]);
    }
}
