package io.cubist.kernels.conv;

import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * The checks of every op's operands and the shapes of its output, shared by every engine (each engine validates with
 * these before it computes, so all refuse the same inputs with the same messages): convolution, pooling, batch norm,
 * linear, pixel shuffle, deformable convolution and the structural ops (sum, concatenation, padding, frames).
 */
public final class OpShapes {

    private OpShapes() {
    }

    /** Rejects a weight or bias whose shape does not match {@code spec}, naming both shapes. */
    public static void checkParameters(ConvSpec spec, Tensor weight, Tensor bias) {
        int[] expected = spec.weightShape();
        if (!Arrays.equals(weight.shape(), expected)) {
            throw new IllegalArgumentException(spec.name() + ": weight must have shape " + Arrays.toString(expected)
                    + (spec.transposed() ? " [in, out/groups, k...]" : " [out, in/groups, k...]") + ", got "
                    + Arrays.toString(weight.shape()));
        }
        if (spec.bias()) {
            if (bias == null) {
                throw new IllegalArgumentException(spec.name() + ": bias of shape [" + spec.outChannels()
                        + "] is required by the spec but missing");
            }
            if (bias.rank() != 1 || bias.dim(0) != spec.outChannels()) {
                throw new IllegalArgumentException(spec.name() + ": bias must have shape [" + spec.outChannels()
                        + "], got " + Arrays.toString(bias.shape()));
            }
        } else if (bias != null) {
            throw new IllegalArgumentException(spec.name() + ": the spec has bias=False but a bias was given");
        }
    }

    /**
     * Checks an input against the spec and returns its spatial size; accepts PyTorch's unbatched form
     * ({@code [C, ...]}) as batch 1. Returns {@code [N, C, D, H, W]}.
     */
    public static int[] inputShape5d(ConvSpec spec, Tensor input) {
        int s = spec.spatialDims();
        int[] shape = input.shape();
        if (shape.length == s + 1) {
            int[] b = new int[s + 2];
            b[0] = 1;
            System.arraycopy(shape, 0, b, 1, s + 1);
            shape = b;
        }
        if (shape.length != s + 2) {
            throw new IllegalArgumentException(spec.name() + ": expected a " + (s + 1) + "D (unbatched) or " + (s + 2)
                    + "D (batched) input, got shape " + Arrays.toString(input.shape()));
        }
        if (shape[1] != spec.inChannels()) {
            throw new IllegalArgumentException(spec.name() + ": expected input " + Arrays.toString(input.shape())
                    + " to have " + spec.inChannels() + " channels, but got " + shape[1] + " channels instead");
        }
        return Tensor.shape5d(shape, s);
    }

    /** The output shape at the input's own rank (unbatched stays unbatched). */
    public static int[] convOutputShape(ConvSpec spec, Tensor input, Dims3 out) {
        int s = spec.spatialDims();
        boolean batched = input.rank() == s + 2;
        int[] o = new int[input.rank()];
        int i = 0;
        if (batched) {
            o[i++] = input.dim(0);
        }
        o[i++] = spec.outChannels();
        int[] sp = out.toArray(s);
        System.arraycopy(sp, 0, o, i, s);
        return o;
    }

    /**
     * The input's shape as {@code [N, C, D, H, W]}, accepting unbatched {@code [C, D, H, W]} as PyTorch does. Shared
     * with the fast engines so every backend applies the same rules.
     */
    public static int[] batched(String op, Tensor input) {
        int[] s = input.shape();
        if (s.length != 4 && s.length != 5) {
            throw new IllegalArgumentException(op + ": input must have shape [N, C, D, H, W] or [C, D, H, W], got "
                    + Arrays.toString(s));
        }
        int[] b = s.length == 5 ? s : new int[] {1, s[0], s[1], s[2], s[3]};
        for (int i = 1; i < 5; i++) {
            if (b[i] < 1) {
                throw new IllegalArgumentException(op + ": input must have non-zero C, D, H and W, got "
                        + Arrays.toString(s));
            }
        }
        return b;
    }

    /** Validates an average pooling's input as PyTorch does and returns it as {@code [N, C, D, H, W]}. */
    public static int[] checkAvgPool(PoolSpec spec, Tensor input) {
        int[] in = batched("avg_pool3d", input);
        if (!spec.dilation().allEqual(1)) {
            throw new IllegalArgumentException("avg_pool3d: dilation must be 1, got " + spec.dilation());
        }
        for (int a = 0; a < 3; a++) {
            // PyTorch's avg_pool3d (unlike max_pool3d) checks the unpadded input against the kernel
            if (in[2 + a] < spec.kernel().get(a)) {
                throw new IllegalArgumentException("avg_pool3d: input spatial size must be at least kernel_size "
                        + spec.kernel() + " on every axis (padding does not count), got input "
                        + Arrays.toString(input.shape()));
            }
        }
        return in;
    }

    /** Validates an adaptive pooling's input and returns it as {@code [N, C, D, H, W]}. */
    public static int[] checkAdaptive(Tensor input, Dims3 outputSize) {
        int[] in = batched("adaptive_avg_pool3d", input);
        for (int a = 0; a < 3; a++) {
            if (outputSize.get(a) < 0) {
                throw new IllegalArgumentException("adaptive_avg_pool3d: output_size must be >= 0, got "
                        + outputSize);
            }
        }
        return in;
    }

    /** {@code result} at the input's rank: unbatched in, unbatched out. */
    public static Tensor unbatched(Tensor result, Tensor input) {
        if (input.rank() == 5) {
            return result;
        }
        int[] s = result.shape();
        return result.reshape(s[1], s[2], s[3], s[4]);
    }

    /** Validates batch norm's operands (shared by every engine); returns the input's shape. */
    public static int[] checkBatchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight,
                                       Tensor bias) {
        int[] s = input.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("batch_norm: input must have shape [N, C, ...] (rank >= 2), got "
                    + Arrays.toString(s));
        }
        requireChannels("running_mean", runningMean, s[1], false);
        requireChannels("running_var", runningVar, s[1], false);
        requireChannels("weight", weight, s[1], true);
        requireChannels("bias", bias, s[1], true);
        return s;
    }

    private static void requireChannels(String name, Tensor t, int c, boolean optional) {
        if (t == null) {
            if (optional) {
                return;
            }
            throw new IllegalArgumentException("batch_norm: " + name + " is required in inference (shape [" + c
                    + "]), got null");
        }
        if (t.rank() != 1 || t.dim(0) != c) {
            throw new IllegalArgumentException("batch_norm: " + name + " must have shape [" + c
                    + "] (the input's channels), got " + Arrays.toString(t.shape()));
        }
    }

    /** Validates linear's operands (shared by every engine). */
    public static void checkLinear(Tensor input, Tensor weight, Tensor bias) {
        int[] s = input.shape();
        if (s.length < 1) {
            throw new IllegalArgumentException("linear: input must have shape [..., in_features] (rank >= 1), got "
                    + Arrays.toString(s));
        }
        int in = s[s.length - 1];
        int[] ws = weight.shape();
        if (ws.length != 2 || ws[1] != in) {
            throw new IllegalArgumentException("linear: weight must have shape [out_features, " + in
                    + "] (in_features from the input's last dimension), got " + Arrays.toString(ws));
        }
        int out = ws[0];
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != out)) {
            throw new IllegalArgumentException("linear: bias must have shape [" + out + "] (out_features), got "
                    + Arrays.toString(bias.shape()));
        }
    }

    /**
     * The output shape of a pixel shuffle ({@code up}) or unshuffle, the input validated as those
     * ops validate it (shared by every engine).
     */
    public static int[] shuffleShape(Tensor input, int factor, int spatialDims, boolean up) {
        String op = (up ? "pixel_shuffle" : "pixel_unshuffle") + (spatialDims == 3 ? "3d" : "");
        int[] s = checkedShape(op, up ? "upscale_factor" : "downscale_factor", input, factor, spatialDims);
        int batchDims = s.length - spatialDims - 1;
        int r = factor;
        int group = (spatialDims == 3 ? r : 1) * r * r;
        int[] os = s.clone();
        if (up) {
            if (s[batchDims] % group != 0) {
                throw new IllegalArgumentException(op + ": input channels (dimension " + batchDims + ") must be"
                        + " divisible by upscale_factor^" + spatialDims + " = " + group + ", got shape "
                        + Arrays.toString(s));
            }
            os[batchDims] = s[batchDims] / group;
        } else {
            for (int a = batchDims + 1; a < s.length; a++) {
                if (s[a] % r != 0) {
                    throw new IllegalArgumentException(op + ": spatial dimensions must be divisible by"
                            + " downscale_factor " + r + ", got shape " + Arrays.toString(s));
                }
            }
            os[batchDims] = s[batchDims] * group;
        }
        for (int a = batchDims + 1; a < s.length; a++) {
            os[a] = up ? s[a] * r : s[a] / r;
        }
        return os;
    }

    private static int[] checkedShape(String op, String factorName, Tensor input, int factor, int spatialDims) {
        if (spatialDims != 2 && spatialDims != 3) {
            throw new IllegalArgumentException(op + ": spatial dimensions must be 2 or 3, got " + spatialDims);
        }
        if (factor < 1) {
            throw new IllegalArgumentException(op + ": " + factorName + " must be > 0, got " + factor);
        }
        if (Math.pow(factor, spatialDims) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + factorName + "^" + spatialDims + " must fit in an int, got "
                    + factorName + "=" + factor);
        }
        int[] s = input.shape();
        if (s.length < spatialDims + 1) {
            String expected = spatialDims == 3 ? "[*, C, D, H, W]" : "[*, C, H, W]";
            throw new IllegalArgumentException(op + ": input must have shape " + expected + " (rank >= "
                    + (spatialDims + 1) + "), got " + Arrays.toString(s));
        }
        return s;
    }

    /**
     * Checks a squeeze-and-excitation gate's operands: {@code scale} holds one value per sample and channel of
     * {@code x [N, C, ...]}. Returns the elements each value scales (per sample and channel).
     */
    public static int checkScale(Tensor x, Tensor scale) {
        int n = x.dim(0);
        int c = x.dim(1);
        if (scale.numel() != n * c) {
            throw new IllegalArgumentException("scale " + Arrays.toString(scale.shape()) + " is not one value"
                    + " per sample and channel of " + Arrays.toString(x.shape()));
        }
        return x.numel() / Math.max(1, n * c);
    }

    /** Checks that {@code inputs} has the op's number of inputs. */
    public static void arity(OpSpec spec, Tensor[] inputs) {
        int n = spec.arity();
        if (n < 0 ? inputs.length == 0 : inputs.length != n) {
            throw new IllegalArgumentException(spec.getClass().getSimpleName() + " takes " + (n < 0 ? "one or more"
                    : String.valueOf(n)) + " input" + (n == 1 ? "" : "s") + ", got " + inputs.length);
        }
    }

    /** The one input of a one-input op. */
    public static Tensor one(OpSpec spec, Tensor[] inputs) {
        arity(spec, inputs);
        return inputs[0];
    }

    /** The shape of {@code relu?(a + b)}: both inputs' shape, which must be the same. */
    public static int[] checkAdd(Tensor[] in) {
        if (in.length != 2) {
            throw new IllegalArgumentException("a sum takes 2 inputs, got " + in.length);
        }
        if (!Arrays.equals(in[0].shape(), in[1].shape())) {
            throw new IllegalArgumentException("the main path gives " + Arrays.toString(in[0].shape())
                    + " but the shortcut gives " + Arrays.toString(in[1].shape()));
        }
        return in[0].shape();
    }

    /** The shape of {@code torch.cat(ys, dim=1)}; anything but the channels differing is an error. */
    public static int[] checkConcat(Tensor[] ys) {
        if (ys.length == 0) {
            throw new IllegalArgumentException("a concatenation takes one or more inputs, got none");
        }
        int[] s0 = ys[0].shape();
        int channels = 0;
        for (int i = 0; i < ys.length; i++) {
            int[] s = ys[i].shape();
            if (s.length < 2 || s.length != s0.length || s[0] != s0[0]
                    || !Arrays.equals(s, 2, s.length, s0, 2, s0.length)) {
                throw new IllegalArgumentException("branch " + i + " gives " + Arrays.toString(s)
                        + " but branch 0 gives " + Arrays.toString(s0) + "; only the channels may differ");
            }
            channels += s[1];
        }
        int[] shape = s0.clone();
        shape[1] = channels;
        return shape;
    }

    /** {@code x}'s shape if it is {@code [N, C, D, H, W]}, else an error naming {@code op}. */
    public static int[] check5d(String op, Tensor x) {
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + " takes [N, C, D, H, W], got " + Arrays.toString(x.shape()));
        }
        return x.shape();
    }

    /** The shape {@code x.index_select(2, index)} gives; an index out of {@code [0, T)} is an error. */
    public static int[] checkFrames(OpSpec.Frames f, Tensor x) {
        int[] s = check5d("frame selection", x);
        for (int i : f.index()) {
            if (i < 0 || i >= s[2]) {
                throw new IllegalArgumentException("frame " + i + " of a clip of " + s[2] + " frames");
            }
        }
        int[] out = s.clone();
        out[2] = f.index().length;
        return out;
    }

    /**
     * The sizes of a {@code deform_conv3d} call, validated: batch {@code n}, channels {@code c}, input
     * {@code (id, ih, iw)}, out channels {@code o}, weight groups {@code groups} of {@code cg} input and {@code og}
     * output channels, kernel {@code (kd, kh, kw)} of {@code k} points, {@code g} offset groups, output {@code out}.
     */
    public record DeformShape(int n, int c, int id, int ih, int iw, int o, int cg, int groups, int og, int kd, int kh,
                        int kw, int k, int g, Dims3 out) {
    }

    /** Validates every operand's shape (shared by every engine) with a message naming the tensor. */
    public static DeformShape checkDeform(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                          Tensor mask) {
        int[] is = input.shape();
        if (is.length != 5) {
            throw new IllegalArgumentException("deform_conv3d: input must have shape [N, C, D, H, W], got "
                    + Arrays.toString(is));
        }
        int n = is[0];
        int c = is[1];
        int id = is[2];
        int ih = is[3];
        int iw = is[4];
        if (c < 1 || id < 1 || ih < 1 || iw < 1) {
            throw new IllegalArgumentException("deform_conv3d: input must have non-zero C, D, H and W, got "
                    + Arrays.toString(is));
        }
        int[] ws = weight.shape();
        if (ws.length != 5 || ws[0] < 1 || ws[1] < 1 || c % ws[1] != 0 || ws[2] < 1 || ws[3] < 1 || ws[4] < 1) {
            throw new IllegalArgumentException("deform_conv3d: weight must have shape [O, C/groups, kd, kh, kw] with"
                    + " C/groups dividing the input's " + c + " channels, got " + Arrays.toString(ws));
        }
        int cg = ws[1];
        int groups = c / cg;
        int o = ws[0];
        if (o % groups != 0) {
            throw new IllegalArgumentException("deform_conv3d: weight's out channels (" + o + ") must be divisible by"
                    + " groups = C / weight.shape[1] = " + c + " / " + cg + " = " + groups + ", got weight "
                    + Arrays.toString(ws));
        }
        int og = o / groups;
        int kd = ws[2];
        int kh = ws[3];
        int kw = ws[4];
        int k = kd * kh * kw;
        Dims3 out = spec.outputSize(new Dims3(id, ih, iw), new Dims3(kd, kh, kw));
        int od = out.d();
        int oh = out.h();
        int ow = out.w();
        int[] offs = offset.shape();
        int g = offs.length == 5 ? Math.max(1, offs[1] / (3 * k)) : 1;
        int[] expectedOffset = {n, 3 * g * k, od, oh, ow};
        if (!Arrays.equals(offs, expectedOffset)) {
            throw new IllegalArgumentException("deform_conv3d: offset must have shape "
                    + Arrays.toString(expectedOffset) + " (3*G*K channels with K=" + k + "), got "
                    + Arrays.toString(offs));
        }
        if (c % g != 0) {
            throw new IllegalArgumentException("deform_conv3d: input channels (" + c + ") must be divisible by the"
                    + " offset groups G = offset.shape[1] / (3*K) = " + offs[1] + " / " + (3 * k) + " = " + g);
        }
        if (mask != null) {
            int[] expectedMask = {n, g * k, od, oh, ow};
            if (!Arrays.equals(mask.shape(), expectedMask)) {
                throw new IllegalArgumentException("deform_conv3d: mask must have shape "
                        + Arrays.toString(expectedMask) + " (G*K channels with G=" + g + ", K=" + k + "), got "
                        + Arrays.toString(mask.shape()));
            }
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != o)) {
            throw new IllegalArgumentException("deform_conv3d: bias must have shape [" + o + "] (weight's out"
                    + " channels), got " + Arrays.toString(bias.shape()));
        }

        return new DeformShape(n, c, id, ih, iw, o, cg, groups, og, kd, kh, kw, k, g, out);
    }
}
