package io.cubist.pipeline.model;

import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import io.cubist.pipeline.weights.WeightFileException;
import java.util.Arrays;

/** Input checks shared by the layers, so every layer rejects a bad shape with the same kind of message. */
final class Shapes {

    private Shapes() {
    }

    /** {@code in} must be {@code [N, channels, D, H, W]}; {@code channels < 0} accepts any. */
    static void requireNcdhw(String layer, int[] in, int channels) {
        if (in.length != 5) {
            throw new IllegalArgumentException(layer + " expects a 5D input [N, C, D, H, W], got "
                    + Arrays.toString(in));
        }
        if (channels >= 0 && in[1] != channels) {
            throw new IllegalArgumentException(layer + " expects " + channels + " input channels, got input "
                    + Arrays.toString(in));
        }
    }

    /** The tensor {@code key} of {@code weights}, which must have shape {@code shape}. */
    static Tensor weight(StateDict weights, String key, int[] shape) {
        Tensor t = weights.get(key);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new WeightFileException(weights.source(), "'" + key + "' has shape " + Arrays.toString(t.shape())
                    + " but the layer needs " + Arrays.toString(shape));
        }
        return t;
    }

    static Dims3 spatial(int[] in) {
        return new Dims3(in[2], in[3], in[4]);
    }

    static int[] ncdhw(int n, int c, Dims3 s) {
        return new int[] {n, c, s.d(), s.h(), s.w()};
    }
}
