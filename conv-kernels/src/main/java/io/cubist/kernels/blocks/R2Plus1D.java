package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import java.util.List;

/**
 * The (2+1)D convolution (Tran et al. 2018, "A Closer Look at Spatiotemporal Convolutions for Action
 * Recognition", sec. 3.5), laid out as torchvision's {@code Conv2Plus1D} with BatchNorm folded away:
 * <pre>
 *   spatial  1 x d x d   in -> M     stride (1,s,s)  padding (0,p,p)
 *   temporal t x 1 x 1   M  -> out   stride (s,1,1)  padding (p,0,0)
 *   y = temporal(relu(spatial x))
 * </pre>
 * Shapes: {@code [N, in, T, H, W] -> [N, out, floor((T+2p-t)/s)+1, floor((H+2p-d)/s)+1, floor((W+2p-d)/s)+1]},
 * the same as the full {@code t x d x d} conv with stride s and padding p. Parameters (no bias):
 * {@code M * (d^2*in + t*out)}; with the paper's {@link #midChannels} rule this is at most, and within
 * {@code d^2*in + t*out} of, the full conv's {@code t*d^2*in*out}.
 */
public final class R2Plus1D extends AbstractBlock {

    /** @param midChannels M; {@link #midChannels(int, int, int, int)} gives the paper's choice */
    public record Config(int inChannels, int midChannels, int outChannels, int temporalKernel, int spatialKernel,
                         int stride, int padding, boolean bias, boolean relu) {

        /** torchvision's blocks: {@code t = d = 3}, padding 1, the paper's M, no bias, ReLU between. */
        public static Config of(int in, int out, int stride) {
            return new Config(in, R2Plus1D.midChannels(in, out, 3, 3), out, 3, 3, stride, 1, false, true);
        }
    }

    private final Config config;

    public R2Plus1D(Config c, LayerWeights w) {
        super("R(2+1)D(" + c.inChannels + ", " + c.midChannels + ", " + c.outChannels + ", t=" + c.temporalKernel
                + ", d=" + c.spatialKernel + ", stride=" + c.stride + ")", 3, c.inChannels, stage(c, w));
        this.config = c;
    }

    public static R2Plus1D random(Config c, long seed) {
        return new R2Plus1D(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    /**
     * The paper's mid-channel count, chosen so the (2+1)D block has about the parameters of the full
     * {@code t x d x d} conv: {@code M = floor(t*d^2*in*out / (d^2*in + t*out))} (64 -> 64 with t = d = 3: 144).
     */
    public static int midChannels(int in, int out, int t, int d) {
        long full = (long) t * d * d * in * out;
        return (int) (full / ((long) d * d * in + (long) t * out));
    }

    private static Stage stage(Config c, LayerWeights w) {
        int s = c.stride;
        int p = c.padding;
        int d = c.spatialKernel;
        return Stage.convs(c.relu, List.of(
                w.layer("spatial", ConvSpec.builder(3, c.inChannels, c.midChannels, 1, d, d).stride(1, s, s)
                        .padding(0, p, p).bias(c.bias).build()),
                w.layer("temporal", ConvSpec.builder(3, c.midChannels, c.outChannels, c.temporalKernel, 1, 1)
                        .stride(s, 1, 1).padding(p, 0, 0).bias(c.bias).build())));
    }
}
