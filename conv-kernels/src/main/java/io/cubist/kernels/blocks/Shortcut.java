package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;

/** The residual connection of a bottleneck-style block (He et al. 2016, "Deep Residual Learning", eq. 1 and 2). */
public enum Shortcut {
    /** No residual connection: the block is a plain stack. */
    NONE,
    /** {@code y = F(x) + x}; needs equal input and output channels and unit stride. */
    IDENTITY,
    /** {@code y = F(x) + W_s x}: a 1x1(x1) conv named {@code downsample} with the block's stride, no padding. */
    PROJECTION;

    /** torchvision's rule: identity when shapes allow, else a projection. */
    public static Shortcut forShapes(int in, int out, Dims3 stride) {
        return in == out && stride.allEqual(1) ? IDENTITY : PROJECTION;
    }

    /** The shortcut branch, or null for {@link #NONE}. */
    Stage stage(LayerWeights weights, int spatialDims, int in, int out, Dims3 stride, boolean bias) {
        return switch (this) {
            case NONE -> null;
            case IDENTITY -> {
                if (in != out || !stride.allEqual(1)) {
                    throw new IllegalArgumentException("an identity shortcut needs in_channels == out_channels and"
                            + " stride 1, got " + in + " -> " + out + " with stride " + stride.toString(spatialDims)
                            + "; use PROJECTION");
                }
                yield Stage.IDENTITY;
            }
            case PROJECTION -> Stage.conv(weights.layer("downsample", ConvSpec.builder(spatialDims, in, out, 1)
                    .stride(stride.toArray(spatialDims)).bias(bias).build()));
        };
    }
}
