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

    /**
     * {@code in} must be {@code [N, channels, spatial...]} with {@code dims} spatial axes ({@code channels < 0}
     * accepts any); the 1D and 2D forms of a layer take {@code [N, C, W]} and {@code [N, C, H, W]}.
     */
    static void requireRank(String layer, int[] in, int dims, int channels) {
        if (dims == 3) {
            requireNcdhw(layer, in, channels);
            return;
        }
        if (in.length != dims + 2) {
            throw new IllegalArgumentException(layer + " expects a " + (dims + 2) + "D input [N, C, "
                    + (dims == 2 ? "H, W" : "W") + "], got " + Arrays.toString(in));
        }
        if (channels >= 0 && in[1] != channels) {
            throw new IllegalArgumentException(layer + " expects " + channels + " input channels, got input "
                    + Arrays.toString(in));
        }
    }

    /** The spatial axes of {@code [N, C, spatial...]} as (d, h, w), missing leading axes 1. */
    static Dims3 spatialAny(int[] in) {
        int[] s = {1, 1, 1};
        System.arraycopy(in, 2, s, 3 - (in.length - 2), in.length - 2);
        return new Dims3(s[0], s[1], s[2]);
    }

    /** {@code [n, c]} followed by the last {@code dims} axes of {@code s}. */
    static int[] shape(int n, int c, Dims3 s, int dims) {
        int[] out = new int[dims + 2];
        out[0] = n;
        out[1] = c;
        System.arraycopy(s.toArray(), 3 - dims, out, 2, dims);
        return out;
    }

    static int[] ncdhw(int n, int c, Dims3 s) {
        return new int[] {n, c, s.d(), s.h(), s.w()};
    }
}
