package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import java.util.ArrayList;
import java.util.List;

/**
 * The channel-separated bottleneck (Tran et al. 2019, "Video Classification with Channel-Separated Convolutional
 * Networks", sec. 3.3, fig. 2): the bottleneck's 3x3x3 conv keeps no channel interaction of its own. Layer names
 * follow mmaction2's {@code CSNBottleneck3d}:
 * <pre>
 *   conv1            1x1x1  in -> mid
 *   conv2_pointwise  1x1x1  mid -> mid                       (ip only; no ReLU before the depthwise)
 *   conv2_depthwise  kxkxk  mid -> mid, groups = mid, stride s, padding k/2
 *   conv3            1x1x1  mid -> out
 *   ip (interaction-preserved): y = relu(conv3(relu(dw(pw(relu(conv1 x))))) + shortcut(x))
 *   ir (interaction-reduced):   y = relu(conv3(relu(dw(relu(conv1 x)))) + shortcut(x))
 * </pre>
 * Shapes: {@code [N, in, T, H, W] -> [N, out, ceil(T/s_t), ceil(H/s_h), ceil(W/s_w)]}. Parameters (no bias):
 * {@code in*mid + [mid^2 (ip)] + k^3*mid + mid*out} (+ {@code in*out} for a projection), against
 * {@code k^3*mid^2} for the conv they replace.
 */
public final class ChannelSeparated extends AbstractBlock {

    /** Which factorization of the 3x3x3 conv. */
    public enum Variant {
        /** 1x1x1 conv + depthwise kxkxk: the channel interactions of the replaced conv are kept. */
        IP,
        /** depthwise kxkxk alone. */
        IR
    }

    /** @param kernel odd, so that the main path and the shortcut agree on the output size */
    public record Config(Variant variant, int inChannels, int midChannels, int outChannels, int kernel,
                         Dims3 stride, Shortcut shortcut, boolean bias, boolean relu) {
        public Config {
            if (kernel < 1 || kernel % 2 == 0) {
                throw new IllegalArgumentException("ChannelSeparated: kernel must be odd (padding k/2 keeps the"
                        + " size), got " + kernel);
            }
        }

        /** 3x3x3, no bias, ReLUs, torchvision's shortcut rule. */
        public static Config of(Variant variant, int in, int mid, int out, Dims3 stride) {
            return new Config(variant, in, mid, out, 3, stride, Shortcut.forShapes(in, out, stride), false, true);
        }
    }

    private final Config config;

    public ChannelSeparated(Config c, LayerWeights w) {
        super(c.variant.name().toLowerCase(java.util.Locale.ROOT) + "-CSN(" + c.inChannels + ", " + c.midChannels
                + ", " + c.outChannels + ", k=" + c.kernel + ", stride=" + c.stride + ")", 3, c.inChannels,
                stage(c, w));
        this.config = c;
    }

    public static ChannelSeparated random(Config c, long seed) {
        return new ChannelSeparated(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    private static Stage stage(Config c, LayerWeights w) {
        int mid = c.midChannels;
        List<Stage> main = new ArrayList<>();
        main.add(Stage.conv(w.layer("conv1", ConvSpec.builder(3, c.inChannels, mid, 1).bias(c.bias).build())));
        main.add(Stage.relu(c.relu));
        if (c.variant == Variant.IP) {
            main.add(Stage.conv(w.layer("conv2_pointwise", ConvSpec.builder(3, mid, mid, 1).bias(c.bias).build())));
        }
        main.add(Stage.conv(w.layer("conv2_depthwise", ConvSpec.builder(3, mid, mid, c.kernel)
                .stride(c.stride.toArray()).padding(c.kernel / 2).groups(mid).bias(c.bias).build())));
        main.add(Stage.relu(c.relu));
        main.add(Stage.conv(w.layer("conv3", ConvSpec.builder(3, mid, c.outChannels, 1).bias(c.bias).build())));
        return Stage.residual(Stage.chain(main.toArray(Stage[]::new)),
                c.shortcut.stage(w, 3, c.inChannels, c.outChannels, c.stride, c.bias), c.relu);
    }
}
