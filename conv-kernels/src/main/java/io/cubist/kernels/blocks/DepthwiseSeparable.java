package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import java.util.List;

/**
 * Depthwise separable convolution (Howard et al. 2017, "MobileNets", fig. 3; Chollet 2017, "Xception"), in 1, 2
 * or 3 spatial dimensions:
 * <pre>
 *   depthwise kxk  in -> in*m   groups = in (each channel its own m filters), stride s, padding k/2
 *   pointwise 1x1  in*m -> out
 *   y = pointwise(relu(depthwise x))       the ReLU between is MobileNet's; Xception has none (relu = false)
 * </pre>
 * Shapes: {@code [N, in, S...] -> [N, out, floor((S-1)/s)+1 ...]}. Parameters (no bias):
 * {@code in*m*k^dims + in*m*out} instead of the full conv's {@code in*out*k^dims}: a 3x3 conv 3 -> 128 has 3456
 * weights, its separable form {@code 27 + 384 = 411}.
 */
public final class DepthwiseSeparable extends AbstractBlock {

    /** @param multiplier depthwise filters per input channel (MobileNet's depth multiplier, PyTorch's
     *                    {@code out_channels = m * in_channels} with {@code groups = in_channels}) */
    public record Config(int spatialDims, int inChannels, int multiplier, int outChannels, int kernel, int stride,
                         boolean bias, boolean relu) {
        public Config {
            if (multiplier < 1) {
                throw new IllegalArgumentException("DepthwiseSeparable: channel multiplier must be >= 1, got "
                        + multiplier);
            }
        }

        /** 3x3(x3), multiplier 1, stride 1, no bias, ReLU between. */
        public static Config of(int spatialDims, int in, int out) {
            return new Config(spatialDims, in, 1, out, 3, 1, false, true);
        }
    }

    private final Config config;

    public DepthwiseSeparable(Config c, LayerWeights w) {
        super("DepthwiseSeparable" + c.spatialDims + "d(" + c.inChannels + ", " + c.outChannels + ", k=" + c.kernel
                + ", m=" + c.multiplier + ")", c.spatialDims, c.inChannels, stage(c, w));
        this.config = c;
    }

    public static DepthwiseSeparable random(Config c, long seed) {
        return new DepthwiseSeparable(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    private static Stage stage(Config c, LayerWeights w) {
        int d = c.spatialDims;
        int mid = c.inChannels * c.multiplier;
        return Stage.convs(c.relu, List.of(
                w.layer("depthwise", ConvSpec.builder(d, c.inChannels, mid, c.kernel).stride(c.stride)
                        .padding(c.kernel / 2).groups(c.inChannels).bias(c.bias).build()),
                w.layer("pointwise", ConvSpec.builder(d, mid, c.outChannels, 1).bias(c.bias).build())));
    }
}
