package io.cubist.kernels.backend;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * A compute engine for every op of the {@code cubist op} contract. Engines: {@code reference} (plain loops, the
 * oracle every other engine is tested against), {@code cpu} (Vector API), {@code opencl} (Aparapi). Found through
 * {@link Backends}, which ranks them and never silently swaps one that was asked for by name.
 *
 * <p>Unless stated otherwise tensors are NCDHW ({@code [N, C, D, H, W]}); inputs are never modified and every
 * method returns a new tensor.
 */
public interface Backend {

    /** The name users select it by: {@code reference}, {@code cpu}, {@code opencl}. */
    String name();

    /** Higher ranks are preferred when no backend is named. */
    int rank();

    /** Null if the backend can run here, else why not (a missing OpenCL driver, a JVM flag). */
    String unavailableReason();

    /**
     * Validates {@code weight} ({@link ConvSpec#weightShape()}) and {@code bias} ({@code [out]}, or null when
     * {@code spec.bias()} is false) and packs them for repeated {@link PreparedConv#forward} calls.
     */
    PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias);

    /** {@code F.max_pool3d} on {@code [N, C, D, H, W]}; padded positions count as minus infinity. */
    Tensor maxPool3d(PoolSpec spec, Tensor input);

    /** {@code F.avg_pool3d} on {@code [N, C, D, H, W]}. */
    Tensor avgPool3d(PoolSpec spec, Tensor input);

    /**
     * {@code F.adaptive_avg_pool3d}: output index {@code i} of an axis averages input
     * {@code [floor(i*in/out), ceil((i+1)*in/out))}.
     */
    Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize);

    /**
     * {@code F.batch_norm} in inference: {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per channel
     * (dimension 1); {@code input} has rank >= 2; {@code weight}/{@code bias} may be null (1 and 0).
     */
    Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, double eps);

    /** {@code F.relu}, any shape. */
    Tensor relu(Tensor input);

    /** {@code torch.sigmoid}: {@code 1 / (1 + exp(-x))}, any shape. The default runs the reference loop. */
    default Tensor sigmoid(Tensor input) {
        return io.cubist.kernels.backend.reference.ReferenceElementwise.sigmoid(input, false);
    }

    /** Swish / {@code F.silu}: {@code x * sigmoid(x)}, any shape. The default runs the reference loop. */
    default Tensor swish(Tensor input) {
        return io.cubist.kernels.backend.reference.ReferenceElementwise.sigmoid(input, true);
    }

    /**
     * {@code x * scale} with {@code scale} one value per sample and channel ({@code [N, C, 1, ...]} or {@code [N, C]})
     * broadcast over the positions of {@code x [N, C, ...]}, then swish when {@code swish}: a squeeze-and-excitation
     * gate and the activation after it in one pass. The default runs the reference loop.
     */
    default Tensor scaleChannels(Tensor x, Tensor scale, boolean swish) {
        return io.cubist.kernels.backend.reference.ReferenceElementwise.scaleChannels(x, scale, swish);
    }

    /** {@code F.linear}: {@code y = x W^T + b}, {@code x [..., in]}, {@code W [out, in]}, {@code b [out]} or null. */
    Tensor linear(Tensor input, Tensor weight, Tensor bias);

    /**
     * Pixel shuffle over the last {@code spatialDims} (2 or 3) dimensions: {@code [N, C*r^s, ...] -> [N, C, ...*r]};
     * input channel {@code c*r^s + i*r^(s-1) + ... } feeds output position offset {@code (i, ...)}.
     * {@code spatialDims = 2} is {@code F.pixel_shuffle} on {@code [N, C, H, W]}; 3 is Cubist's
     * {@code pixel_shuffle3d} on {@code [N, C, D, H, W]}.
     */
    Tensor pixelShuffle(Tensor input, int factor, int spatialDims);

    /** The inverse of {@link #pixelShuffle}: {@code F.pixel_unshuffle} and {@code pixel_unshuffle3d}. */
    Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims);

    /**
     * {@code deform_conv3d} as defined in DESIGN.md: {@code input [N, C, D, H, W]}, {@code offset
     * [N, 3*G*K, oD, oH, oW]}, {@code weight [O, C/groups, kd, kh, kw]}, {@code bias [O]} or null,
     * {@code mask [N, G*K, oD, oH, oW]} or null.
     */
    Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias, Tensor mask);
}
