package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Spatially separable convolution: a k x k (x k) conv factorized into one 1D conv per axis (Szegedy et al. 2016,
 * "Rethinking the Inception Architecture", sec. 3.2: 7x7 as 1x7 + 7x1):
 * <pre>
 *   2D: conv_h k x 1      in -> mid,   stride (s,1), padding (p,0)
 *       conv_w 1 x k      mid -> out,  stride (1,s), padding (0,p)
 *   3D: conv_d k x 1 x 1  in -> mid;  conv_h 1 x k x 1  mid -> mid;  conv_w 1 x 1 x k  mid -> out
 *   y = conv_w(relu(conv_h(x)))            (ReLU between, as Inception; relu = false for the exact factorization)
 * </pre>
 * Shapes: {@code [N, in, S...] -> [N, out, floor((S + 2p - k)/s) + 1 ...]}, the same as the full conv. Without
 * ReLU and with {@code mid = 1}, it is exactly the full conv whose kernel is the outer product of the factors
 * (a rank-1 kernel). Parameters (no bias): 2D {@code k*in*mid + k*mid*out}; 3D
 * {@code k*in*mid + k*mid^2 + k*mid*out}.
 */
public final class SpatiallySeparable extends AbstractBlock {

    private static final String[] AXIS = {"conv_d", "conv_h", "conv_w"};

    public record Config(int spatialDims, int inChannels, int midChannels, int outChannels, int kernel, int stride,
                         int padding, boolean bias, boolean relu) {
        public Config {
            if (spatialDims != 2 && spatialDims != 3) {
                throw new IllegalArgumentException("SpatiallySeparable: spatialDims must be 2 or 3, got "
                        + spatialDims);
            }
        }

        /** {@code mid = out}, stride 1, padding k/2, no bias, ReLU between. */
        public static Config of(int spatialDims, int in, int out, int kernel) {
            return new Config(spatialDims, in, out, out, kernel, 1, kernel / 2, false, true);
        }
    }

    private final Config config;

    public SpatiallySeparable(Config c, LayerWeights w) {
        super("SpatiallySeparable" + c.spatialDims + "d(" + c.inChannels + ", " + c.outChannels + ", k="
                + c.kernel + ")", c.spatialDims, c.inChannels, stage(c, w));
        this.config = c;
    }

    public static SpatiallySeparable random(Config c, long seed) {
        return new SpatiallySeparable(c, LayerWeights.random(seed));
    }

    public Config config() {
        return config;
    }

    private static Stage stage(Config c, LayerWeights w) {
        int dims = c.spatialDims;
        List<ConvLayer> layers = new ArrayList<>();
        for (int i = 0; i < dims; i++) {
            int[] kernel = axisOnly(dims, i, c.kernel, 1);
            ConvSpec spec = ConvSpec.builder(dims, i == 0 ? c.inChannels : c.midChannels,
                            i == dims - 1 ? c.outChannels : c.midChannels, kernel)
                    .stride(axisOnly(dims, i, c.stride, 1)).padding(axisOnly(dims, i, c.padding, 0))
                    .bias(c.bias).build();
            layers.add(w.layer(AXIS[3 - dims + i], spec));
        }
        return Stage.convs(c.relu, layers);
    }

    /** {@code value} on axis {@code i} of {@code dims}, {@code other} elsewhere. */
    private static int[] axisOnly(int dims, int i, int value, int other) {
        int[] a = new int[dims];
        Arrays.fill(a, other);
        a[i] = value;
        return a;
    }
}
