package io.cubist.kernels.conv;

import io.cubist.kernels.tensor.Dims3;
import java.util.Arrays;

/**
 * Every hyper-parameter of PyTorch's {@code nn.Conv1d/2d/3d} and {@code nn.ConvTranspose1d/2d/3d}, validated, in
 * 3D form (a conv1d's kernel 5 is {@code (1,1,5)}), plus {@code flip}: true convolution (kernel flipped along every
 * spatial axis) instead of PyTorch's cross-correlation.
 *
 * <p>Output size per spatial axis (PyTorch's formulas):
 * <pre>
 *   conv:       out = floor((in + padBefore + padAfter - dilation*(k-1) - 1) / stride) + 1
 *   transposed: out = (in - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1
 * </pre>
 * Weight layout: conv {@code [out, in/groups, k...]}; transposed {@code [in, out/groups, k...]}.
 *
 * @param padBefore padding added before each axis; for {@code same} it is {@code floor(total/2)}
 * @param padAfter  padding added after each axis; differs from {@code padBefore} only for {@code same} with an even
 *                  effective kernel, where PyTorch puts the extra element at the end
 */
public record ConvSpec(
        int spatialDims,
        int inChannels,
        int outChannels,
        Dims3 kernel,
        Dims3 stride,
        PaddingKind paddingKind,
        Dims3 padBefore,
        Dims3 padAfter,
        Dims3 dilation,
        int groups,
        boolean bias,
        PaddingMode paddingMode,
        Dims3 outputPadding,
        boolean transposed,
        boolean flip) {

    /** How the padding was given. */
    public enum PaddingKind { EXPLICIT, SAME, VALID }

    public ConvSpec {
        if (spatialDims < 1 || spatialDims > 3) {
            throw new IllegalArgumentException("a convolution has 1, 2 or 3 spatial dimensions, got " + spatialDims);
        }
        String what = (transposed ? "conv_transpose" : "conv") + spatialDims + "d";
        if (groups < 1) {
            throw new IllegalArgumentException(what + ": groups must be >= 1, got " + groups);
        }
        if (inChannels < 1) {
            throw new IllegalArgumentException(what + ": in_channels must be >= 1, got " + inChannels);
        }
        if (outChannels < 1) {
            throw new IllegalArgumentException(what + ": out_channels must be >= 1, got " + outChannels);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException(what + ": in_channels (" + inChannels + ") must be divisible by groups ("
                    + groups + ")");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException(what + ": out_channels (" + outChannels
                    + ") must be divisible by groups (" + groups + ")");
        }
        requireAll(kernel, 1, what, "kernel_size", spatialDims);
        requireAll(stride, 1, what, "stride", spatialDims);
        requireAll(dilation, 1, what, "dilation", spatialDims);
        requireAll(padBefore, 0, what, "padding", spatialDims);
        requireAll(padAfter, 0, what, "padding", spatialDims);
        requireAll(outputPadding, 0, what, "output_padding", spatialDims);
        if (paddingKind == PaddingKind.SAME && !stride.allEqual(1)) {
            throw new IllegalArgumentException(what + ": padding='same' is not supported for strided convolutions"
                    + " (stride=" + stride.toString(spatialDims) + ")");
        }
        if (transposed) {
            if (paddingMode != PaddingMode.ZEROS) {
                throw new IllegalArgumentException(what + ": only padding_mode='zeros' is supported for transposed"
                        + " convolutions, got '" + paddingMode.torchName() + "'");
            }
            if (paddingKind != PaddingKind.EXPLICIT && paddingKind != PaddingKind.VALID) {
                throw new IllegalArgumentException(what + ": padding='same' is not supported for transposed"
                        + " convolutions");
            }
            for (int a = 0; a < 3; a++) {
                if (outputPadding.get(a) >= Math.max(stride.get(a), dilation.get(a))) {
                    throw new IllegalArgumentException(what + ": output_padding " + outputPadding.toString(spatialDims)
                            + " must be smaller than either stride " + stride.toString(spatialDims)
                            + " or dilation " + dilation.toString(spatialDims));
                }
            }
        } else if (!outputPadding.allEqual(0)) {
            throw new IllegalArgumentException(what + ": output_padding applies to transposed convolutions only");
        }
        for (int a = 0; a < 3 - spatialDims; a++) {
            if (kernel.get(a) != 1 || stride.get(a) != 1 || dilation.get(a) != 1 || padBefore.get(a) != 0
                    || padAfter.get(a) != 0) {
                throw new IllegalArgumentException(what + ": leading unit dimensions must be trivial");
            }
        }
    }

    private static void requireAll(Dims3 v, int min, String what, String name, int spatialDims) {
        for (int a = 0; a < 3; a++) {
            if (v.get(a) < min) {
                throw new IllegalArgumentException(what + ": " + name + " must be >= " + min + " in every dimension,"
                        + " got " + v.toString(spatialDims));
            }
        }
    }

    public static Builder builder(int spatialDims, int inChannels, int outChannels, int... kernel) {
        return new Builder(spatialDims, inChannels, outChannels, kernel);
    }

    /** {@code dilation*(k-1)+1}: the extent of input one output element sees along each axis. */
    public Dims3 effectiveKernel() {
        return new Dims3(dilation.d() * (kernel.d() - 1) + 1, dilation.h() * (kernel.h() - 1) + 1,
                dilation.w() * (kernel.w() - 1) + 1);
    }

    public int outputSize(int axis, int in) {
        int k = kernel.get(axis);
        int s = stride.get(axis);
        int dl = dilation.get(axis);
        if (transposed) {
            return (in - 1) * s - padBefore.get(axis) - padAfter.get(axis) + dl * (k - 1) + outputPadding.get(axis) + 1;
        }
        int span = in + padBefore.get(axis) + padAfter.get(axis) - dl * (k - 1) - 1;
        return span < 0 ? 0 : span / s + 1;
    }

    /** Output spatial size for an input of spatial size {@code in}; rejects a non-positive result. */
    public Dims3 outputSize(Dims3 in) {
        int[] o = new int[3];
        for (int a = 0; a < 3; a++) {
            o[a] = outputSize(a, in.get(a));
            if (o[a] < 1) {
                throw new IllegalArgumentException(name() + ": input size " + in.toString(spatialDims)
                        + " is too small for kernel " + kernel.toString(spatialDims) + " with padding "
                        + padBefore.toString(spatialDims) + " and dilation " + dilation.toString(spatialDims)
                        + " (output size would be " + o[a] + ")");
            }
        }
        return new Dims3(o[0], o[1], o[2]);
    }

    /**
     * Checks that an input of spatial size {@code in} can be padded as the mode requires (PyTorch: reflect needs
     * padding &lt; input size, circular padding &lt;= input size).
     */
    public void checkPaddingFits(Dims3 in) {
        for (int a = 3 - spatialDims; a < 3; a++) {
            int p = Math.max(padBefore.get(a), padAfter.get(a));
            int n = in.get(a);
            if (paddingMode == PaddingMode.REFLECT && p >= n) {
                throw new IllegalArgumentException(name() + ": reflect padding " + p + " must be smaller than the"
                        + " input size " + n + " along that dimension");
            }
            if (paddingMode == PaddingMode.CIRCULAR && p > n) {
                throw new IllegalArgumentException(name() + ": circular padding " + p + " must be at most the"
                        + " input size " + n + " along that dimension");
            }
        }
    }

    /** The op name as in {@code torch.nn.functional}: {@code conv3d}, {@code conv_transpose2d}, ... */
    public String name() {
        return (transposed ? "conv_transpose" : "conv") + spatialDims + "d";
    }

    /** PyTorch's weight shape at the op's own rank. */
    public int[] weightShape() {
        int[] s = new int[spatialDims + 2];
        if (transposed) {
            s[0] = inChannels;
            s[1] = outChannels / groups;
        } else {
            s[0] = outChannels;
            s[1] = inChannels / groups;
        }
        int[] k = kernel.toArray(spatialDims);
        System.arraycopy(k, 0, s, 2, spatialDims);
        return s;
    }

    public long weightCount() {
        return (long) inChannels / groups * outChannels * kernel.product();
    }

    /** Learnable parameters: weights plus one bias per output channel. */
    public long parameterCount() {
        return weightCount() + (bias ? outChannels : 0);
    }

    /**
     * Multiply-accumulates of the direct computation for a batch of {@code batch} inputs of spatial size {@code in}
     * (every kernel tap counted, padded or not, as fvcore and torchvision's tables count them).
     */
    public long macs(int batch, Dims3 in) {
        if (transposed) {
            return (long) batch * in.product() * inChannels * (outChannels / groups) * kernel.product();
        }
        return (long) batch * outputSize(in).product() * outChannels * (inChannels / groups) * kernel.product();
    }

    /** {@code 2 * macs}: the FLOP count benchmarks divide by time. */
    public long flops(int batch, Dims3 in) {
        return 2 * macs(batch, in);
    }

    /** This layer alone, as a receptive-field step: window {@link #effectiveKernel()}, jump {@code stride}. */
    public ReceptiveField receptiveField() {
        return ReceptiveField.IDENTITY.then(effectiveKernel(), stride);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(name()).append('(').append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Arrays.toString(kernel.toArray(spatialDims)));
        if (!stride.allEqual(1)) {
            b.append(", stride=").append(stride.toString(spatialDims));
        }
        switch (paddingKind) {
            case SAME -> b.append(", padding='same'");
            case VALID -> b.append(", padding='valid'");
            default -> {
                if (!padBefore.equals(padAfter)) {
                    b.append(", padding_before=").append(padBefore.toString(spatialDims))
                            .append(", padding_after=").append(padAfter.toString(spatialDims));
                } else if (!padBefore.allEqual(0)) {
                    b.append(", padding=").append(padBefore.toString(spatialDims));
                }
            }
        }
        if (!outputPadding.allEqual(0)) {
            b.append(", output_padding=").append(outputPadding.toString(spatialDims));
        }
        if (!dilation.allEqual(1)) {
            b.append(", dilation=").append(dilation.toString(spatialDims));
        }
        if (groups != 1) {
            b.append(", groups=").append(groups);
        }
        if (!bias) {
            b.append(", bias=False");
        }
        if (paddingMode != PaddingMode.ZEROS) {
            b.append(", padding_mode='").append(paddingMode.torchName()).append('\'');
        }
        if (flip) {
            b.append(", flip=True");
        }
        return b.append(')').toString();
    }

    /** Builds a {@link ConvSpec} with PyTorch's defaults; values are given at the conv's own rank. */
    public static final class Builder {
        private final int spatialDims;
        private final int inChannels;
        private final int outChannels;
        private final Dims3 kernel;
        private Dims3 stride;
        private PaddingKind paddingKind = PaddingKind.EXPLICIT;
        private Dims3 padding;
        private Dims3 dilation;
        private int groups = 1;
        private boolean bias = true;
        private PaddingMode paddingMode = PaddingMode.ZEROS;
        private Dims3 outputPadding = Dims3.of(0);
        private boolean transposed;
        private boolean flip;

        private Builder(int spatialDims, int inChannels, int outChannels, int[] kernel) {
            if (spatialDims < 1 || spatialDims > 3) {
                throw new IllegalArgumentException("a convolution has 1, 2 or 3 spatial dimensions, got "
                        + spatialDims);
            }
            this.spatialDims = spatialDims;
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernel = Dims3.expand(kernel, spatialDims, 1, "kernel_size");
            this.stride = Dims3.expand(new int[] {1}, spatialDims, 1, "stride");
            this.dilation = Dims3.expand(new int[] {1}, spatialDims, 1, "dilation");
            this.padding = Dims3.of(0);
        }

        public Builder stride(int... s) {
            stride = Dims3.expand(s, spatialDims, 1, "stride");
            return this;
        }

        public Builder padding(int... p) {
            paddingKind = PaddingKind.EXPLICIT;
            padding = Dims3.expand(p, spatialDims, 0, "padding");
            return this;
        }

        public Builder paddingSame() {
            paddingKind = PaddingKind.SAME;
            return this;
        }

        public Builder paddingValid() {
            paddingKind = PaddingKind.VALID;
            padding = Dims3.of(0);
            return this;
        }

        public Builder dilation(int... d) {
            dilation = Dims3.expand(d, spatialDims, 1, "dilation");
            return this;
        }

        public Builder groups(int g) {
            groups = g;
            return this;
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        public Builder paddingMode(PaddingMode m) {
            paddingMode = m;
            return this;
        }

        public Builder outputPadding(int... p) {
            outputPadding = Dims3.expand(p, spatialDims, 0, "output_padding");
            return this;
        }

        public Builder transposed(boolean t) {
            transposed = t;
            return this;
        }

        public Builder flip(boolean f) {
            flip = f;
            return this;
        }

        public ConvSpec build() {
            Dims3 before = padding;
            Dims3 after = padding;
            if (paddingKind == PaddingKind.SAME) {
                // PyTorch: total = dilation*(k-1); left = total // 2; the odd element goes to the end.
                int[] b = new int[3];
                int[] a = new int[3];
                for (int i = 0; i < 3; i++) {
                    int total = dilation.get(i) * (kernel.get(i) - 1);
                    b[i] = total / 2;
                    a[i] = total - b[i];
                }
                before = new Dims3(b[0], b[1], b[2]);
                after = new Dims3(a[0], a[1], a[2]);
            }
            return new ConvSpec(spatialDims, inChannels, outChannels, kernel, stride, paddingKind, before, after,
                    dilation, groups, bias, paddingMode, outputPadding, transposed, flip);
        }
    }
}
