package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import java.util.List;

/**
 * The ResNet bottleneck (He et al. 2016, "Deep Residual Learning for Image Recognition", fig. 5 right), in 1, 2 or
 * 3 spatial dimensions, as torchvision's {@code Bottleneck} with BatchNorm folded away:
 * <pre>
 *   conv1 1x1    in  -> mid
 *   conv2 kxk    mid -> mid   stride s, padding k/2
 *   conv3 1x1    mid -> out
 *   y = relu(conv3(relu(conv2(relu(conv1 x)))) + shortcut(x))     shortcut: none | x | downsample 1x1 stride s
 * </pre>
 * Shapes: {@code [N, in, S...] -> [N, out, ceil(S/s)...]}. Parameters (no bias):
 * {@code in*mid + k^dims*mid^2 + mid*out} (+ {@code in*out} for a projection); the 64-wide 2D block
 * 256-64-256 has {@code 16384 + 36864 + 16384 = 69632}.
 */
public final class Bottleneck extends AbstractBlock {

    /**
     * @param kernel odd, so that the main path and the shortcut agree on the output size
     * @param relu   ReLU after conv1, conv2 and the residual add (the paper's placement); false for a linear block
     */
    public record Config(int spatialDims, int inChannels, int midChannels, int outChannels, int kernel, int stride,
                         Shortcut shortcut, boolean bias, boolean relu) {
        public Config {
            if (kernel < 1 || kernel % 2 == 0) {
                throw new IllegalArgumentException("Bottleneck: kernel must be odd (padding k/2 keeps the size), got "
                        + kernel);
            }
        }

        /** 3x3(x3), no bias, ReLUs, torchvision's shortcut rule. */
        public static Config of(int spatialDims, int in, int mid, int out, int stride) {
            return new Config(spatialDims, in, mid, out, 3, stride,
                    Shortcut.forShapes(in, out, Dims3.expand(new int[] {stride}, spatialDims, 1, "stride")),
                    false, true);
        }
    }

    private final Config config;

    public Bottleneck(Config c, LayerWeights w) {
        super("Bottleneck(" + c.inChannels + ", " + c.midChannels + ", " + c.outChannels + ", k=" + c.kernel
                + ", stride=" + c.stride + ")", c.spatialDims, c.inChannels, stage(c, w));
        this.config = c;
    }

    public static Bottleneck random(Config c, long seed) {
        return new Bottleneck(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    private static Stage stage(Config c, LayerWeights w) {
        int d = c.spatialDims;
        Stage main = Stage.convs(c.relu, List.of(
                w.layer("conv1", ConvSpec.builder(d, c.inChannels, c.midChannels, 1).bias(c.bias).build()),
                w.layer("conv2", ConvSpec.builder(d, c.midChannels, c.midChannels, c.kernel).stride(c.stride)
                        .padding(c.kernel / 2).bias(c.bias).build()),
                w.layer("conv3", ConvSpec.builder(d, c.midChannels, c.outChannels, 1).bias(c.bias).build())));
        Dims3 stride = Dims3.expand(new int[] {c.stride}, d, 1, "stride");
        return Stage.residual(main, c.shortcut.stage(w, d, c.inChannels, c.outChannels, stride, c.bias), c.relu);
    }
}
