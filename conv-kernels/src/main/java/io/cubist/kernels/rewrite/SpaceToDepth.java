package io.cubist.kernels.rewrite;

import io.cubist.kernels.backend.reference.ReferenceShuffle;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * The space-to-depth identity between a convolution over a pixel-unshuffled map and one over the full-resolution
 * map. With {@code x} of shape {@code [N, C, rH, rW]} and {@code x' = pixel_unshuffle(x, r)} of shape
 * {@code [N, C*r^2, H, W]}:
 * <pre>
 *   conv(x', W',  kernel K,  stride S,  padding P)  ==  conv(x, W,  kernel rK,  stride rS,  padding rP)
 *   W[o, c, a*r + i, b*r + j] = W'[o, c*r^2 + i*r + j, a, b]        i.e. W = pixel_shuffle(W', r)
 * </pre>
 * (the kernel is shuffled exactly as the map: an {@code [O, C*r^2, K, K]} weight read as a batch of O maps)
 * because tap {@code (a, b)} on channel {@code c*r^2 + i*r + j} of {@code x'} at output {@code (p, q)} reads
 * {@code x[c, (pS - P + a)r + i, (qS - P + b)r + j]} = {@code x[c, p(rS) - rP + (ar + i), ...]}, and a zero-padded
 * position of {@code x'} is exactly a block of zero-padded positions of {@code x}. The same holds in 3D with
 * {@code pixel_shuffle3d} (channel {@code c*r^3 + i*r^2 + j*r + k}). Output shapes are equal; the bias is
 * unchanged. Groups carry over when each group's input channels are whole pixel blocks
 * ({@code in/groups} divisible by {@code r^dims}).
 *
 * <p>The identity needs dilation 1 (a dilated tap would skip inside a pixel block), zero padding (reflect,
 * replicate and circular padding act on the map they pad, so they differ at the two resolutions), no kernel flip
 * and a forward (not transposed) conv; such specs are rejected.
 */
public final class SpaceToDepth {

    private SpaceToDepth() {
    }

    /** An equivalent convolution; pair it with the original's bias. */
    public record Rewrite(ConvSpec spec, Tensor weight) {
    }

    /**
     * From a conv over the unshuffled map ({@code C*r^dims} channels, kernel K, stride S, padding P) to the
     * equivalent conv over {@code pixel_shuffle(x', r)} (C channels, kernel rK, stride rS, padding rP):
     * {@code conv(x', spec, weight) == conv(pixel_shuffle(x', r), result)}. {@code padding='same'} becomes the
     * explicit padding it stood for, scaled.
     */
    public static Rewrite rewrite(ConvSpec spec, Tensor weight, int r) {
        int dims = check(spec, weight, r, "rewrite");
        int block = pow(r, dims);
        int inPerGroup = spec.inChannels() / spec.groups();
        if (inPerGroup % block != 0) {
            throw new IllegalArgumentException(what(spec, r, "rewrite") + ": the input channels of each group ("
                    + inPerGroup + " = in_channels/groups) must be whole pixel blocks of r^" + dims + " = " + block
                    + " channels");
        }
        ConvSpec s = new ConvSpec(dims, spec.inChannels() / block, spec.outChannels(), scale(spec.kernel(), r, dims),
                scale(spec.stride(), r, dims), explicit(spec.paddingKind()), scale(spec.padBefore(), r, dims),
                scale(spec.padAfter(), r, dims), spec.dilation(), spec.groups(), spec.bias(), PaddingMode.ZEROS,
                spec.outputPadding(), false, false);
        return new Rewrite(s, ReferenceShuffle.pixelShuffle(weight, r, dims));
    }

    /**
     * The reverse direction: from a conv over a full-resolution map whose kernel, stride and padding are multiples
     * of {@code r} to the equivalent conv over {@code pixel_unshuffle(x, r)}:
     * {@code conv(x, spec, weight) == conv(pixel_unshuffle(x, r), result)}. The input's spatial size must be
     * divisible by {@code r} for the unshuffle.
     */
    public static Rewrite reverse(ConvSpec spec, Tensor weight, int r) {
        int dims = check(spec, weight, r, "reverse");
        requireMultiple(spec.kernel(), r, dims, spec, "kernel_size");
        requireMultiple(spec.stride(), r, dims, spec, "stride");
        requireMultiple(spec.padBefore(), r, dims, spec, "padding");
        requireMultiple(spec.padAfter(), r, dims, spec, "padding");
        ConvSpec s = new ConvSpec(dims, spec.inChannels() * pow(r, dims), spec.outChannels(),
                shrink(spec.kernel(), r, dims), shrink(spec.stride(), r, dims), explicit(spec.paddingKind()),
                shrink(spec.padBefore(), r, dims), shrink(spec.padAfter(), r, dims), spec.dilation(), spec.groups(),
                spec.bias(), PaddingMode.ZEROS, spec.outputPadding(), false, false);
        return new Rewrite(s, ReferenceShuffle.pixelUnshuffle(weight, r, dims));
    }

    private static int check(ConvSpec spec, Tensor weight, int r, String direction) {
        String what = what(spec, r, direction);
        if (r < 1) {
            throw new IllegalArgumentException(what + ": the block factor r must be >= 1");
        }
        int dims = spec.spatialDims();
        if (dims != 2 && dims != 3) {
            throw new IllegalArgumentException(what + ": pixel shuffle is defined for 2D (pixel_shuffle) and 3D"
                    + " (pixel_shuffle3d) maps only");
        }
        if (spec.transposed()) {
            throw new IllegalArgumentException(what + ": transposed convolutions are not supported");
        }
        if (spec.flip()) {
            throw new IllegalArgumentException(what + ": flip=True is not supported; flip the kernel first");
        }
        if (spec.paddingMode() != PaddingMode.ZEROS) {
            throw new IllegalArgumentException(what + ": padding_mode='" + spec.paddingMode().torchName()
                    + "' pads the map itself, so the two resolutions pad differently; only 'zeros' is exact");
        }
        if (!spec.dilation().allEqual(1)) {
            throw new IllegalArgumentException(what + ": dilation " + spec.dilation().toString(dims)
                    + " would skip inside a pixel block; the identity needs dilation 1");
        }
        if (!Arrays.equals(weight.shape(), spec.weightShape())) {
            throw new IllegalArgumentException(what + ": weight must have shape "
                    + Arrays.toString(spec.weightShape()) + ", got " + Arrays.toString(weight.shape()));
        }
        return dims;
    }

    private static String what(ConvSpec spec, int r, String direction) {
        return "space-to-depth " + direction + " of " + spec + " with r=" + r;
    }

    private static void requireMultiple(Dims3 v, int r, int dims, ConvSpec spec, String name) {
        for (int a = 3 - dims; a < 3; a++) {
            if (v.get(a) % r != 0) {
                throw new IllegalArgumentException(what(spec, r, "reverse") + ": " + name + " " + v.toString(dims)
                        + " must be a multiple of r on every axis");
            }
        }
    }

    // SAME resolves to explicit pads (and SAME forbids the stride the rewrite introduces); VALID stays VALID.
    private static ConvSpec.PaddingKind explicit(ConvSpec.PaddingKind k) {
        return k == ConvSpec.PaddingKind.SAME ? ConvSpec.PaddingKind.EXPLICIT : k;
    }

    /** {@code v} times {@code r} on the trailing {@code dims} axes; leading unit/zero entries stay. */
    private static Dims3 scale(Dims3 v, int r, int dims) {
        int[] a = v.toArray();
        for (int i = 3 - dims; i < 3; i++) {
            a[i] *= r;
        }
        return new Dims3(a[0], a[1], a[2]);
    }

    private static Dims3 shrink(Dims3 v, int r, int dims) {
        int[] a = v.toArray();
        for (int i = 3 - dims; i < 3; i++) {
            a[i] /= r;
        }
        return new Dims3(a[0], a[1], a[2]);
    }

    private static int pow(int r, int dims) {
        return dims == 3 ? r * r * r : r * r;
    }
}
