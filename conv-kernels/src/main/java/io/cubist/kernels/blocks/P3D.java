package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;

/**
 * The Pseudo-3D residual bottleneck (Qiu et al. 2017, "Learning Spatio-Temporal Representation with Pseudo-3D
 * Residual Networks", sec. 3.2, fig. 3): a 3x3x3 conv replaced by a spatial {@code S = 1x3x3} and a temporal
 * {@code T = 3x1x1} conv in one of three arrangements, inside a ResNet bottleneck. Layer names follow the authors'
 * PyTorch release:
 * <pre>
 *   conv1 1x1x1  in -> mid   stride s (on the reduce conv, so S and T see one grid)
 *   conv2 S      1x3x3 mid -> mid, padding (0,1,1)
 *   conv3 T      3x1x1 mid -> mid, padding (1,0,0)
 *   conv4 1x1x1  mid -> out
 *   h = relu(conv1 x);  S' = relu . S,  T' = relu . T
 *   A: z = T'(S'(h))            serial
 *   B: z = S'(h) + T'(h)        parallel
 *   C: z = S'(h) + T'(S'(h))    serial with a shortcut from S
 *   y = relu(conv4(z) + shortcut(x))
 * </pre>
 * Shapes: {@code [N, in, T, H, W] -> [N, out, ceil(T/s_t), ceil(H/s_h), ceil(W/s_w)]}. Parameters (no bias), the
 * same for A, B and C: {@code in*mid + 9*mid^2 + 3*mid^2 + mid*out} (+ {@code in*out} for a projection).
 * Receptive field: 3x3x3 for all three (B's parallel S and T together span a 3x3x3 box).
 */
public final class P3D extends AbstractBlock {

    /** How S and T are combined. */
    public enum Variant { A, B, C }

    /** @param relu the ReLUs of the paper's figure 3; false makes the block linear */
    public record Config(Variant variant, int inChannels, int midChannels, int outChannels, Dims3 stride,
                         Shortcut shortcut, boolean bias, boolean relu) {

        /** No bias, ReLUs, torchvision's shortcut rule. */
        public static Config of(Variant variant, int in, int mid, int out, Dims3 stride) {
            return new Config(variant, in, mid, out, stride, Shortcut.forShapes(in, out, stride), false, true);
        }
    }

    private final Config config;

    public P3D(Config c, LayerWeights w) {
        super("P3D-" + c.variant + "(" + c.inChannels + ", " + c.midChannels + ", " + c.outChannels + ", stride="
                + c.stride + ")", 3, c.inChannels, stage(c, w));
        this.config = c;
    }

    public static P3D random(Config c, long seed) {
        return new P3D(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    private static Stage stage(Config c, LayerWeights w) {
        int mid = c.midChannels;
        Stage reduce = Stage.conv(w.layer("conv1", ConvSpec.builder(3, c.inChannels, mid, 1)
                .stride(c.stride.toArray()).bias(c.bias).build()));
        Stage s = Stage.chain(Stage.conv(w.layer("conv2", ConvSpec.builder(3, mid, mid, 1, 3, 3)
                .padding(0, 1, 1).bias(c.bias).build())), Stage.relu(c.relu));
        Stage t = Stage.chain(Stage.conv(w.layer("conv3", ConvSpec.builder(3, mid, mid, 3, 1, 1)
                .padding(1, 0, 0).bias(c.bias).build())), Stage.relu(c.relu));
        Stage st = switch (c.variant) {
            case A -> Stage.chain(s, t);
            case B -> Stage.sum(s, t);
            case C -> Stage.chain(s, Stage.sum(Stage.IDENTITY, t));
        };
        Stage expand = Stage.conv(w.layer("conv4", ConvSpec.builder(3, mid, c.outChannels, 1).bias(c.bias)
                .build()));
        Stage main = Stage.chain(reduce, Stage.relu(c.relu), st, expand);
        return Stage.residual(main, c.shortcut.stage(w, 3, c.inChannels, c.outChannels, c.stride, c.bias), c.relu);
    }
}
