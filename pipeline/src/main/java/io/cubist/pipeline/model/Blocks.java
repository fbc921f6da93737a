package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The convolution literature's composite blocks as {@link Module}s: the zoo's builder for them, so each has its
 * shapes, parameters, MACs and receptive field in {@code summary}, runs on every backend, and loads weights keyed by
 * its layers' names ({@code conv1.weight}, {@code downsample.weight}). Each block is a record of its hyper-parameters,
 * validated, whose {@link Block#build()} gives the module; 1D and 2D blocks take {@code [N, C, W]} and
 * {@code [N, C, H, W]}.
 * <ul>
 *   <li>{@link ConvChain}: convolutions in a row, a ReLU between neighbours (VGG's stacked 3×3, Inception's 1×1
 *       reduction);</li>
 *   <li>{@link Bottleneck}: the ResNet bottleneck with batch norm folded away, any shortcut;</li>
 *   <li>{@link DepthwiseSeparable}: MobileNet's / Xception's depthwise then pointwise;</li>
 *   <li>{@link SpatiallySeparable}: Inception-v3's k×1 + 1×k (and the 3D k×1×1 + 1×k×1 + 1×1×k);</li>
 *   <li>{@link R2Plus1D}: the (2+1)D convolution with the paper's mid-channel rule, torchvision's as well;</li>
 *   <li>{@link P3D}: Pseudo-3D bottlenecks A (serial), B (parallel), C (serial with a shortcut from S);</li>
 *   <li>{@link ChannelSeparated}: CSN bottlenecks, interaction-preserved (ip) and interaction-reduced (ir).</li>
 * </ul>
 */
public final class Blocks {

    private Blocks() {
    }

    /** A block's hyper-parameters; {@link #build()} gives its module. */
    public interface Block {
        /** A name for messages and summaries: {@code P3D-B(256, 64, 256, stride=(1, 1, 1))}. */
        String name();

        /** The channels of the block's input. */
        int inChannels();

        Module build();
    }

    /** The residual connection of a bottleneck-style block (He et al. 2016, eq. 1 and 2). */
    public enum Shortcut {
        /** No residual connection: the block is a plain stack. */
        NONE,
        /** {@code y = F(x) + x}; needs equal input and output channels and unit stride. */
        IDENTITY,
        /** {@code y = F(x) + W_s x}: a 1×1(×1) conv named {@code downsample} with the block's stride. */
        PROJECTION;

        /** torchvision's rule: identity when shapes allow, else a projection. */
        public static Shortcut forShapes(int in, int out, Dims3 stride) {
            return in == out && stride.allEqual(1) ? IDENTITY : PROJECTION;
        }

        void check(String block, int dims, int in, int out, Dims3 stride) {
            if (this == IDENTITY && (in != out || !stride.allEqual(1))) {
                throw new IllegalArgumentException(block + ": an identity shortcut needs in_channels =="
                        + " out_channels and stride 1, got " + in + " -> " + out + " with stride "
                        + stride.toString(dims) + "; use PROJECTION");
            }
        }
    }

    /** A convolution of {@code dims} spatial axes with kernel, stride and padding given per axis (last axes). */
    static Conv3d conv(int dims, int in, int out, int[] kernel, int[] stride, int[] padding, int groups,
                       boolean bias) {
        return new Conv3d(ConvSpec.builder(dims, in, out, kernel).stride(stride).padding(padding).groups(groups)
                .bias(bias).build());
    }

    private static int[] fill(int dims, int v) {
        int[] a = new int[dims];
        Arrays.fill(a, v);
        return a;
    }

    /** {@code value} on axis {@code i} of {@code dims}, {@code other} elsewhere. */
    private static int[] axisOnly(int dims, int i, int value, int other) {
        int[] a = fill(dims, other);
        a[i] = value;
        return a;
    }

    /** Children {@code name, relu<name>} when {@code relu}, else {@code name} alone. */
    private static void add(List<Module.Child> to, String name, Module m, boolean relu) {
        to.add(new Module.Child(name, m));
        if (relu) {
            to.add(new Module.Child("relu_" + name, new ReLU()));
        }
    }

    /** The chain, summed with {@code shortcut} when there is one, then a ReLU when {@code relu}. */
    private static Module residual(String kind, List<Module.Child> main, Shortcut shortcut, Module downsample,
                                   boolean relu) {
        if (shortcut == Shortcut.NONE) {
            List<Module.Child> all = new ArrayList<>(main);
            if (relu) {
                all.add(new Module.Child("relu", new ReLU()));
            }
            return Sequential.named(all);
        }
        return new Residual(kind, main, shortcut == Shortcut.IDENTITY ? List.of()
                : List.of(new Module.Child("downsample", downsample)), relu);
    }

    /**
     * Convolutions applied one after another ({@code 0}, {@code 1}, ...), with a ReLU between neighbours when
     * {@code relu}. Each layer's input channels must be the previous one's output channels.
     */
    public record ConvChain(boolean relu, List<ConvSpec> specs) implements Block {
        public ConvChain {
            specs = List.copyOf(specs);
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("a conv chain needs at least one convolution");
            }
            for (int i = 1; i < specs.size(); i++) {
                if (specs.get(i).spatialDims() != specs.get(0).spatialDims()) {
                    throw new IllegalArgumentException("layer " + i + " is " + specs.get(i).name() + " in a "
                            + specs.get(0).spatialDims() + "D chain");
                }
                if (specs.get(i).inChannels() != specs.get(i - 1).outChannels()) {
                    throw new IllegalArgumentException("layer " + i + " (" + specs.get(i) + ") is fed "
                            + specs.get(i - 1).outChannels() + " channels");
                }
            }
        }

        public static ConvChain of(boolean relu, ConvSpec... specs) {
            return new ConvChain(relu, List.of(specs));
        }

        @Override
        public String name() {
            return "ConvChain(" + specs.size() + ")";
        }

        @Override
        public int inChannels() {
            return specs.get(0).inChannels();
        }

        @Override
        public Module build() {
            List<Module.Child> c = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                c.add(new Module.Child(Integer.toString(i), new Conv3d(specs.get(i))));
                if (relu && i < specs.size() - 1) {
                    c.add(new Module.Child("relu" + i, new ReLU()));
                }
            }
            return Sequential.named(c);
        }
    }

    /**
     * The ResNet bottleneck (He et al. 2016, fig. 5 right) in 1, 2 or 3 spatial dimensions, as torchvision's with
     * batch norm folded away: {@code conv1} 1×1 in→mid, {@code conv2} k×k mid→mid stride s padding k/2,
     * {@code conv3} 1×1 mid→out; {@code y = relu(conv3(relu(conv2(relu(conv1 x)))) + shortcut(x))}. Parameters (no
     * bias): {@code in·mid + k^dims·mid² + mid·out} (+ {@code in·out} for a projection): 69,632 for the 2D
     * 256-64-256.
     */
    public record Bottleneck(int spatialDims, int inChannels, int midChannels, int outChannels, int kernel,
                             int stride, Shortcut shortcut, boolean bias, boolean relu) implements Block {
        public Bottleneck {
            if (kernel < 1 || kernel % 2 == 0) {
                throw new IllegalArgumentException("Bottleneck: kernel must be odd (padding k/2 keeps the size), got "
                        + kernel);
            }
            shortcut.check("Bottleneck", spatialDims, inChannels, outChannels, stride(spatialDims, stride));
        }

        /** A 3×3 block without bias, ReLUs, and torchvision's shortcut rule. */
        public static Bottleneck of(int dims, int in, int mid, int out, int stride) {
            return new Bottleneck(dims, in, mid, out, 3, stride, Shortcut.forShapes(in, out, Dims3.of(stride)),
                    false, true);
        }

        private static Dims3 stride(int dims, int s) {
            return new Dims3(dims == 3 ? s : 1, dims >= 2 ? s : 1, s);
        }

        @Override
        public String name() {
            return "Bottleneck(" + inChannels + ", " + midChannels + ", " + outChannels + ", k=" + kernel
                    + ", stride=" + stride + ")";
        }

        @Override
        public Module build() {
            int d = spatialDims;
            List<Module.Child> main = new ArrayList<>();
            add(main, "conv1", conv(d, inChannels, midChannels, fill(d, 1), fill(d, 1), fill(d, 0), 1, bias), relu);
            add(main, "conv2", conv(d, midChannels, midChannels, fill(d, kernel), fill(d, stride),
                    fill(d, kernel / 2), 1, bias), relu);
            main.add(new Module.Child("conv3", conv(d, midChannels, outChannels, fill(d, 1), fill(d, 1), fill(d, 0),
                    1, bias)));
            return residual("Bottleneck", main, shortcut, conv(d, inChannels, outChannels, fill(d, 1),
                    fill(d, stride), fill(d, 0), 1, bias), relu);
        }
    }

    /**
     * Depthwise separable convolution (Howard et al. 2017, "MobileNets"; Chollet 2017, "Xception"):
     * {@code depthwise} k×k in→in·m, groups = in, stride s, padding k/2; a ReLU (MobileNet's; Xception has none);
     * {@code pointwise} 1×1 in·m→out. Parameters (no bias): {@code in·m·k^dims + in·m·out}: 411 for a 3×3 conv
     * 3→128 in 2D against the full conv's 3,456.
     */
    public record DepthwiseSeparable(int spatialDims, int inChannels, int multiplier, int outChannels, int kernel,
                                     int stride, boolean bias, boolean relu) implements Block {
        public DepthwiseSeparable {
            if (multiplier < 1) {
                throw new IllegalArgumentException("DepthwiseSeparable: channel multiplier must be >= 1, got "
                        + multiplier);
            }
        }

        /** 3×3, multiplier 1, stride 1, no bias, a ReLU between. */
        public static DepthwiseSeparable of(int dims, int in, int out) {
            return new DepthwiseSeparable(dims, in, 1, out, 3, 1, false, true);
        }

        @Override
        public String name() {
            return "DepthwiseSeparable(" + inChannels + " x" + multiplier + ", " + outChannels + ", k=" + kernel
                    + ", stride=" + stride + ")";
        }

        @Override
        public Module build() {
            int d = spatialDims;
            int mid = inChannels * multiplier;
            List<Module.Child> c = new ArrayList<>();
            add(c, "depthwise", conv(d, inChannels, mid, fill(d, kernel), fill(d, stride), fill(d, kernel / 2),
                    inChannels, bias), relu);
            c.add(new Module.Child("pointwise", conv(d, mid, outChannels, fill(d, 1), fill(d, 1), fill(d, 0), 1,
                    bias)));
            return Sequential.named(c);
        }
    }

    /**
     * Spatially separable convolution (Szegedy et al. 2016, "Rethinking the Inception Architecture", sec. 3.2):
     * one 1D convolution per axis ({@code conv_h} k×1 then {@code conv_w} 1×k in 2D; {@code conv_d}, {@code conv_h},
     * {@code conv_w} in 3D), each with the stride and padding on its own axis, a ReLU between when {@code relu}.
     * Without ReLU and with {@code mid = 1} it is exactly the full convolution of the outer product of the factors.
     */
    public record SpatiallySeparable(int spatialDims, int inChannels, int midChannels, int outChannels, int kernel,
                                     int stride, int padding, boolean bias, boolean relu) implements Block {
        private static final String[] AXIS = {"conv_d", "conv_h", "conv_w"};

        public SpatiallySeparable {
            if (spatialDims != 2 && spatialDims != 3) {
                throw new IllegalArgumentException("SpatiallySeparable: spatialDims must be 2 or 3, got "
                        + spatialDims);
            }
        }

        /** Stride 1, padding k/2, no bias, ReLUs between. */
        public static SpatiallySeparable of(int dims, int in, int out, int kernel) {
            return new SpatiallySeparable(dims, in, out, out, kernel, 1, kernel / 2, false, true);
        }

        @Override
        public String name() {
            return "SpatiallySeparable(" + inChannels + ", " + midChannels + ", " + outChannels + ", k=" + kernel
                    + ")";
        }

        @Override
        public Module build() {
            int d = spatialDims;
            List<Module.Child> c = new ArrayList<>();
            for (int i = 0; i < d; i++) {
                Conv3d conv = conv(d, i == 0 ? inChannels : midChannels, i == d - 1 ? outChannels : midChannels,
                        axisOnly(d, i, kernel, 1), axisOnly(d, i, stride, 1), axisOnly(d, i, padding, 0), 1, bias);
                add(c, AXIS[3 - d + i], conv, relu && i < d - 1);
            }
            return Sequential.named(c);
        }
    }

    /**
     * The (2+1)D convolution (Tran et al. 2018, sec. 3.5), torchvision's {@code Conv2Plus1D} without batch norm:
     * {@code spatial} 1×d×d in→M, stride (1,s,s), padding (0,p,p); a ReLU; {@code temporal} t×1×1 M→out, stride
     * (s,1,1), padding (p,0,0): the output grid of the full t×d×d convolution.
     */
    public record R2Plus1D(int inChannels, int midChannels, int outChannels, int temporalKernel, int spatialKernel,
                           int stride, int padding, boolean bias, boolean relu) implements Block {

        /** torchvision's: t = d = 3, padding 1, the paper's M, no bias, a ReLU between. */
        public static R2Plus1D of(int in, int out, int stride) {
            return new R2Plus1D(in, midChannels(in, out, 3, 3), out, 3, 3, stride, 1, false, true);
        }

        /**
         * The paper's mid-channel count, so the (2+1)D convolution has about the parameters of the full
         * {@code t×d×d} one: {@code M = floor(t·d²·in·out / (d²·in + t·out))} (64→64 with t = d = 3: 144);
         * torchvision's {@code midplanes}.
         */
        public static int midChannels(int in, int out, int t, int d) {
            long full = (long) t * d * d * in * out;
            return (int) (full / ((long) d * d * in + (long) t * out));
        }

        @Override
        public String name() {
            return "R(2+1)D(" + inChannels + ", " + midChannels + ", " + outChannels + ", t=" + temporalKernel
                    + ", d=" + spatialKernel + ", stride=" + stride + ")";
        }

        @Override
        public Module build() {
            int s = stride;
            int p = padding;
            int d = spatialKernel;
            List<Module.Child> c = new ArrayList<>();
            add(c, "spatial", conv(3, inChannels, midChannels, new int[] {1, d, d}, new int[] {1, s, s},
                    new int[] {0, p, p}, 1, bias), relu);
            c.add(new Module.Child("temporal", conv(3, midChannels, outChannels, new int[] {temporalKernel, 1, 1},
                    new int[] {s, 1, 1}, new int[] {p, 0, 0}, 1, bias)));
            return Sequential.named(c);
        }
    }

    /**
     * The Pseudo-3D residual bottleneck (Qiu et al. 2017, sec. 3.2, fig. 3): {@code conv1} 1×1×1 in→mid with the
     * stride, then a spatial {@code S = conv2} 1×3×3 and a temporal {@code T = conv3} 3×1×1 (each followed by a ReLU)
     * combined as A: {@code T(S(h))}, B: {@code S(h) + T(h)} (child {@code st}), C: {@code S(h) + T(S(h))} (child
     * {@code t}); {@code conv4} 1×1×1 mid→out; {@code y = relu(conv4(z) + shortcut(x))}. Parameters (no bias), the
     * same for A, B and C: {@code in·mid + 9·mid² + 3·mid² + mid·out} (+ {@code in·out} for a projection).
     */
    public record P3D(Variant variant, int inChannels, int midChannels, int outChannels, Dims3 stride,
                      Shortcut shortcut, boolean bias, boolean relu) implements Block {

        /** How S and T are combined. */
        public enum Variant { A, B, C }

        public P3D {
            shortcut.check("P3D-" + variant, 3, inChannels, outChannels, stride);
        }

        /** No bias, ReLUs, torchvision's shortcut rule. */
        public static P3D of(Variant variant, int in, int mid, int out, Dims3 stride) {
            return new P3D(variant, in, mid, out, stride, Shortcut.forShapes(in, out, stride), false, true);
        }

        @Override
        public String name() {
            return "P3D-" + variant + "(" + inChannels + ", " + midChannels + ", " + outChannels + ", stride="
                    + stride + ")";
        }

        @Override
        public Module build() {
            int mid = midChannels;
            int[] one = {1, 1, 1};
            int[] zero = {0, 0, 0};
            List<Module.Child> main = new ArrayList<>();
            add(main, "conv1", conv(3, inChannels, mid, one, stride.toArray(), zero, 1, bias), relu);
            List<Module.Child> s = new ArrayList<>();
            add(s, "conv2", conv(3, mid, mid, new int[] {1, 3, 3}, one, new int[] {0, 1, 1}, 1, bias), relu);
            List<Module.Child> t = new ArrayList<>();
            add(t, "conv3", conv(3, mid, mid, new int[] {3, 1, 1}, one, new int[] {1, 0, 0}, 1, bias), relu);
            switch (variant) {
                case A -> {
                    main.addAll(s);
                    main.addAll(t);
                }
                case B -> main.add(new Module.Child("st", new Residual("P3D-B sum", s, t, false)));
                case C -> {
                    main.addAll(s);
                    main.add(new Module.Child("t", new Residual("P3D-C sum", t, List.of(), false)));
                }
                default -> throw new IllegalStateException(variant.name());
            }
            main.add(new Module.Child("conv4", conv(3, mid, outChannels, one, one, zero, 1, bias)));
            return residual(name(), main, shortcut, conv(3, inChannels, outChannels, one, stride.toArray(), zero, 1,
                    bias), relu);
        }
    }

    /**
     * The channel-separated bottleneck (Tran et al. 2019, sec. 3.3, fig. 2), mmaction2's {@code CSNBottleneck3d}
     * names: {@code conv1} 1×1×1 in→mid + ReLU; ip only: {@code conv2_pointwise} 1×1×1 mid→mid (no ReLU);
     * {@code conv2_depthwise} k×k×k groups = mid, stride s, padding k/2 + ReLU; {@code conv3} 1×1×1 mid→out;
     * {@code y = relu(conv3(...) + shortcut(x))}. Parameters (no bias):
     * {@code in·mid + [mid² (ip)] + k³·mid + mid·out} (+ {@code in·out} for a projection).
     */
    public record ChannelSeparated(Variant variant, int inChannels, int midChannels, int outChannels, int kernel,
                                   Dims3 stride, Shortcut shortcut, boolean bias, boolean relu) implements Block {

        /** Which factorization of the k×k×k convolution. */
        public enum Variant {
            /** 1×1×1 conv + depthwise: the channel interactions of the replaced conv are kept. */
            IP,
            /** depthwise alone. */
            IR
        }

        public ChannelSeparated {
            if (kernel < 1 || kernel % 2 == 0) {
                throw new IllegalArgumentException("ChannelSeparated: kernel must be odd (padding k/2 keeps the"
                        + " size), got " + kernel);
            }
            shortcut.check(variant + "-CSN", 3, inChannels, outChannels, stride);
        }

        /** 3×3×3, no bias, ReLUs, torchvision's shortcut rule. */
        public static ChannelSeparated of(Variant variant, int in, int mid, int out, Dims3 stride) {
            return new ChannelSeparated(variant, in, mid, out, 3, stride, Shortcut.forShapes(in, out, stride), false,
                    true);
        }

        @Override
        public String name() {
            return variant.name().toLowerCase(Locale.ROOT) + "-CSN(" + inChannels + ", " + midChannels + ", "
                    + outChannels + ", k=" + kernel + ", stride=" + stride + ")";
        }

        @Override
        public Module build() {
            int mid = midChannels;
            int[] one = {1, 1, 1};
            int[] zero = {0, 0, 0};
            List<Module.Child> main = new ArrayList<>();
            add(main, "conv1", conv(3, inChannels, mid, one, one, zero, 1, bias), relu);
            if (variant == Variant.IP) {
                main.add(new Module.Child("conv2_pointwise", conv(3, mid, mid, one, one, zero, 1, bias)));
            }
            add(main, "conv2_depthwise", conv(3, mid, mid, new int[] {kernel, kernel, kernel}, stride.toArray(),
                    new int[] {kernel / 2, kernel / 2, kernel / 2}, mid, bias), relu);
            main.add(new Module.Child("conv3", conv(3, mid, outChannels, one, one, zero, 1, bias)));
            return residual(name(), main, shortcut, conv(3, inChannels, outChannels, one, stride.toArray(), zero, 1,
                    bias), relu);
        }
    }
}
