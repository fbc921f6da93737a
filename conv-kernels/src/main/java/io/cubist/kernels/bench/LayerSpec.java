package io.cubist.kernels.bench;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.io.Json;
import io.cubist.kernels.op.TorchArgs;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/**
 * One {@code torch.nn} layer as {@code cubist bench} takes it: {@code {"module": "Conv3d", "args": {...}}} with the
 * module's constructor keyword arguments, PyTorch's names and defaults. Parsed and validated here, at the edge;
 * {@link #prepare} then builds the layer on a backend once (random weights from a seed, packed by the backend) and
 * returns the forward function the bench times.
 *
 * <p>Inputs are batched, as PyTorch's shapes: {@code [N, C, L]} for Conv1d, {@code [N, C, H, W]} for Conv2d,
 * {@code [N, C, D, H, W]} for the 3D modules; ReLU takes any shape.
 */
public sealed interface LayerSpec {

    /** Every module name {@link #parse} accepts. */
    List<String> MODULES = List.of("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
            "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "BatchNorm3d", "ReLU");

    /** The {@code torch.nn} class name. */
    String module();

    /** Checks an input shape against the layer and returns the output shape. */
    int[] outputShape(int[] inputShape);

    /** {@code 2 * MACs} of the direct computation ({@link ConvSpec#flops}) for convolutions; empty otherwise. */
    default OptionalLong flops(int[] inputShape) {
        return OptionalLong.empty();
    }

    /**
     * Builds the layer on {@code backend}: weights (and running statistics) uniform from {@code seed}, scaled by
     * {@code 1/sqrt(fan_in)} as PyTorch's default init bounds them, prepared once.
     */
    UnaryOperator<Tensor> prepare(Backend backend, long seed);

    /** Parses {@code {"module": NAME, "args": {...}}}; {@code args} may be left out for modules without any. */
    static LayerSpec parse(String json) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer: " + e.getMessage(), e);
        }
        for (String k : m.keySet()) {
            if (!k.equals("module") && !k.equals("args")) {
                throw new IllegalArgumentException("layer: unknown key '" + k + "'; a layer is"
                        + " {\"module\": NAME, \"args\": {...}}");
            }
        }
        if (!(m.get("module") instanceof String module)) {
            throw new IllegalArgumentException("layer: \"module\" must be a string, one of "
                    + String.join(", ", MODULES));
        }
        Object a = m.getOrDefault("args", Map.of());
        if (!(a instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("layer: \"args\" must be an object of " + module
                    + " constructor arguments, got " + Json.typeName(a));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> args = (Map<String, Object>) a;
        return parse(module, args);
    }

    /** Builds the layer {@code module(**args)}. */
    static LayerSpec parse(String module, Map<String, Object> args) {
        try {
            return switch (module) {
                case "Conv1d" -> Conv.parse(module, 1, false, args);
                case "Conv2d" -> Conv.parse(module, 2, false, args);
                case "Conv3d" -> Conv.parse(module, 3, false, args);
                case "ConvTranspose1d" -> Conv.parse(module, 1, true, args);
                case "ConvTranspose2d" -> Conv.parse(module, 2, true, args);
                case "ConvTranspose3d" -> Conv.parse(module, 3, true, args);
                case "MaxPool3d" -> MaxPool3d.parse(args);
                case "AvgPool3d" -> AvgPool3d.parse(args);
                case "AdaptiveAvgPool3d" -> AdaptiveAvgPool3d.parse(args);
                case "BatchNorm3d" -> BatchNorm3d.parse(args);
                case "ReLU" -> {
                    new TorchArgs(module, args, List.of("inplace")).bool("inplace", false);
                    yield new Relu();
                }
                default -> throw new IllegalArgumentException("unknown module '" + module + "'; modules: "
                        + String.join(", ", MODULES));
            };
        } catch (IllegalArgumentException e) {
            // shared validation (ConvSpec, PoolSpec, Dims3) may not say which module it came from
            String msg = e.getMessage();
            if (msg != null && MODULES.contains(module) && !msg.startsWith(module)) {
                throw new IllegalArgumentException(module + ": " + msg, e);
            }
            throw e;
        }
    }

    /** {@code [N, C, D, H, W]} with {@code C == channels} (0: any). */
    private static void require5d(String module, int[] in, int channels) {
        if (in.length != 5) {
            throw new IllegalArgumentException(module + ": expected a 5D input [N, C, D, H, W], got shape "
                    + Arrays.toString(in));
        }
        if (channels > 0 && in[1] != channels) {
            throw new IllegalArgumentException(module + ": expected " + channels + " input channels, got shape "
                    + Arrays.toString(in));
        }
        requirePositive(module, in);
    }

    private static void requirePositive(String module, int[] in) {
        for (int d : in) {
            if (d < 1) {
                throw new IllegalArgumentException(module + ": every input dimension must be >= 1, got shape "
                        + Arrays.toString(in));
            }
        }
    }

    private static Dims3 spatial(int[] in5d) {
        return new Dims3(in5d[2], in5d[3], in5d[4]);
    }

    private static Tensor scaled(Tensor t, double scale) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (d[i] * scale);
        }
        return t;
    }

    /** {@code nn.ConvNd} / {@code nn.ConvTransposeNd}. */
    record Conv(String module, ConvSpec spec) implements LayerSpec {

        static Conv parse(String module, int s, boolean transposed, Map<String, Object> args) {
            TorchArgs p = new TorchArgs(module, args, transposed
                    ? List.of("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                    "groups", "bias", "dilation", "padding_mode")
                    : List.of("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                    "groups", "bias", "padding_mode"));
            ConvSpec.Builder b = ConvSpec.builder(s, p.integer("in_channels", 0, true),
                            p.integer("out_channels", 0, true), p.ints("kernel_size", null))
                    .stride(p.ints("stride", new int[] {1}))
                    .dilation(p.ints("dilation", new int[] {1}))
                    .groups(p.integer("groups", 1, false))
                    .bias(p.bool("bias", true))
                    .paddingMode(PaddingMode.parse(p.string("padding_mode", "zeros")))
                    .transposed(transposed);
            Object pad = p.raw("padding");
            if (pad instanceof String str) {
                if (transposed) {
                    // nn.ConvTransposeNd passes padding straight to F.conv_transposeNd, which takes ints only
                    throw p.bad("padding", "an int or a list of ints");
                }
                switch (str) {
                    case "same" -> b.paddingSame();
                    case "valid" -> b.paddingValid();
                    default -> throw p.bad("padding", "an int, a list of ints, 'same' or 'valid'");
                }
            } else {
                b.padding(p.ints("padding", new int[] {0}));
            }
            if (transposed) {
                b.outputPadding(p.ints("output_padding", new int[] {0}));
            }
            return new Conv(module, b.build());
        }

        private Dims3 inputSize(int[] in) {
            int s = spec.spatialDims();
            if (in.length != s + 2) {
                String layout = switch (s) {
                    case 1 -> "[N, C, L]";
                    case 2 -> "[N, C, H, W]";
                    default -> "[N, C, D, H, W]";
                };
                throw new IllegalArgumentException(module + ": expected a " + (s + 2) + "D input " + layout
                        + ", got shape " + Arrays.toString(in));
            }
            if (in[1] != spec.inChannels()) {
                throw new IllegalArgumentException(module + ": expected " + spec.inChannels()
                        + " input channels, got shape " + Arrays.toString(in));
            }
            requirePositive(module, in);
            return spatial(Tensor.shape5d(in, s));
        }

        @Override
        public int[] outputShape(int[] in) {
            Dims3 out = spec.outputSize(inputSize(in));
            int s = spec.spatialDims();
            int[] shape = new int[s + 2];
            shape[0] = in[0];
            shape[1] = spec.outChannels();
            System.arraycopy(out.toArray(s), 0, shape, 2, s);
            return shape;
        }

        @Override
        public OptionalLong flops(int[] in) {
            return OptionalLong.of(spec.flops(in[0], inputSize(in)));
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            int[] ws = spec.weightShape();
            // PyTorch's default init: uniform(-b, b) with b = 1/sqrt(fan_in), fan_in = weight.size(1) * taps
            double bound = 1 / Math.sqrt((double) ws[1] * spec.kernel().product());
            Tensor w = scaled(Tensor.random(seed, ws), bound);
            Tensor bias = spec.bias() ? scaled(Tensor.random(seed + 1, spec.outChannels()), bound) : null;
            PreparedConv conv = backend.prepare(spec, w, bias);
            return conv::forward;
        }

        @Override
        public String toString() {
            return module + spec.toString().substring(spec.name().length());
        }
    }

    /** {@code nn.MaxPool3d}. */
    record MaxPool3d(PoolSpec spec) implements LayerSpec {

        static MaxPool3d parse(Map<String, Object> args) {
            TorchArgs p = new TorchArgs("MaxPool3d", args,
                    List.of("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"));
            if (p.bool("return_indices", false)) {
                throw p.bad("return_indices", "false (the bench times the pooled values only)");
            }
            int[] k = p.ints("kernel_size", null);
            return new MaxPool3d(PoolSpec.max(Dims3.expand(k, 3, 1, "kernel_size"),
                    Dims3.expand(p.ints("stride", k), 3, 1, "stride"),
                    Dims3.expand(p.ints("padding", new int[] {0}), 3, 0, "padding"),
                    Dims3.expand(p.ints("dilation", new int[] {1}), 3, 1, "dilation"), p.bool("ceil_mode", false)));
        }

        @Override
        public String module() {
            return "MaxPool3d";
        }

        @Override
        public int[] outputShape(int[] in) {
            require5d(module(), in, 0);
            Dims3 o = spec.outputSize(spatial(in));
            return new int[] {in[0], in[1], o.d(), o.h(), o.w()};
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            return x -> backend.maxPool3d(spec, x);
        }

        @Override
        public String toString() {
            return "MaxPool3d(kernel_size=" + spec.kernel() + ", stride=" + spec.stride() + ", padding="
                    + spec.padding() + ", dilation=" + spec.dilation() + ", ceil_mode=" + py(spec.ceilMode()) + ")";
        }
    }

    /** {@code nn.AvgPool3d}. */
    record AvgPool3d(PoolSpec spec) implements LayerSpec {

        static AvgPool3d parse(Map<String, Object> args) {
            TorchArgs p = new TorchArgs("AvgPool3d", args,
                    List.of("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"));
            int[] k = p.ints("kernel_size", null);
            int divisor = 0;
            if (p.has("divisor_override")) {
                divisor = p.integer("divisor_override", 0, false);
                if (divisor <= 0) {
                    throw p.bad("divisor_override", "a positive int or null");
                }
            }
            return new AvgPool3d(PoolSpec.avg(Dims3.expand(k, 3, 1, "kernel_size"),
                    Dims3.expand(p.ints("stride", k), 3, 1, "stride"),
                    Dims3.expand(p.ints("padding", new int[] {0}), 3, 0, "padding"), p.bool("ceil_mode", false),
                    p.bool("count_include_pad", true), divisor));
        }

        @Override
        public String module() {
            return "AvgPool3d";
        }

        @Override
        public int[] outputShape(int[] in) {
            require5d(module(), in, 0);
            Dims3 o = spec.outputSize(spatial(in));
            return new int[] {in[0], in[1], o.d(), o.h(), o.w()};
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            return x -> backend.avgPool3d(spec, x);
        }

        @Override
        public String toString() {
            return "AvgPool3d(kernel_size=" + spec.kernel() + ", stride=" + spec.stride() + ", padding="
                    + spec.padding() + (spec.ceilMode() ? ", ceil_mode=True" : "")
                    + (spec.countIncludePad() ? "" : ", count_include_pad=False")
                    + (spec.divisorOverride() > 0 ? ", divisor_override=" + spec.divisorOverride() : "") + ")";
        }
    }

    /**
     * {@code nn.AdaptiveAvgPool3d}.
     *
     * @param outputSize one or three entries; -1 (PyTorch's None) keeps the input's size along that axis
     */
    record AdaptiveAvgPool3d(int[] outputSize) implements LayerSpec {

        public AdaptiveAvgPool3d {
            if (outputSize.length != 1 && outputSize.length != 3) {
                throw new IllegalArgumentException("AdaptiveAvgPool3d: output_size must be an int or a list of 3"
                        + " (int or None), got " + outputSize.length + " values");
            }
            for (int v : outputSize) {
                if (v == 0 || v < -1) {
                    throw new IllegalArgumentException("AdaptiveAvgPool3d: output_size must be positive (or None),"
                            + " got " + Arrays.toString(outputSize));
                }
            }
            outputSize = outputSize.clone();
        }

        static AdaptiveAvgPool3d parse(Map<String, Object> args) {
            return new AdaptiveAvgPool3d(new TorchArgs("AdaptiveAvgPool3d", args, List.of("output_size"))
                    .intsOrNone("output_size"));
        }

        private Dims3 size(int[] in) {
            int[] s = new int[3];
            for (int a = 0; a < 3; a++) {
                int v = outputSize[outputSize.length == 1 ? 0 : a];
                s[a] = v == -1 ? in[2 + a] : v;
            }
            return new Dims3(s[0], s[1], s[2]);
        }

        @Override
        public String module() {
            return "AdaptiveAvgPool3d";
        }

        @Override
        public int[] outputShape(int[] in) {
            require5d(module(), in, 0);
            Dims3 o = size(in);
            return new int[] {in[0], in[1], o.d(), o.h(), o.w()};
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            return x -> backend.adaptiveAvgPool3d(x, size(x.shape()));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AdaptiveAvgPool3d a && Arrays.equals(outputSize, a.outputSize);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(outputSize);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("AdaptiveAvgPool3d(output_size=");
            if (outputSize.length == 1) {
                b.append(outputSize[0]);
            } else {
                b.append('(');
                for (int a = 0; a < 3; a++) {
                    b.append(a > 0 ? ", " : "").append(outputSize[a] == -1 ? "None" : outputSize[a]);
                }
                b.append(')');
            }
            return b.append(')').toString();
        }
    }

    /**
     * {@code nn.BatchNorm3d} in inference ({@code eval()}): normalizes with running statistics, which must be
     * tracked.
     */
    record BatchNorm3d(int numFeatures, double eps, boolean affine) implements LayerSpec {

        public BatchNorm3d {
            if (numFeatures < 1) {
                throw new IllegalArgumentException("BatchNorm3d: num_features must be >= 1, got " + numFeatures);
            }
            if (!(eps >= 0)) {
                throw new IllegalArgumentException("BatchNorm3d: eps must be >= 0, got " + eps);
            }
        }

        static BatchNorm3d parse(Map<String, Object> args) {
            TorchArgs p = new TorchArgs("BatchNorm3d", args,
                    List.of("num_features", "eps", "momentum", "affine", "track_running_stats"));
            p.number("momentum", 0.1); // training only
            if (!p.bool("track_running_stats", true)) {
                throw p.bad("track_running_stats", "true (inference normalizes with the running statistics)");
            }
            return new BatchNorm3d(p.integer("num_features", 0, true), p.number("eps", 1e-5),
                    p.bool("affine", true));
        }

        @Override
        public String module() {
            return "BatchNorm3d";
        }

        @Override
        public int[] outputShape(int[] in) {
            require5d(module(), in, numFeatures);
            return in.clone();
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            Tensor mean = Tensor.random(seed, numFeatures);
            Tensor var = Tensor.random(seed + 1, numFeatures);
            float[] v = var.data();
            for (int i = 0; i < v.length; i++) {
                v[i] = 1.0f + 0.5f * v[i]; // in [0.5, 1.5): positive, like a trained network's variances
            }
            Tensor weight = affine ? Tensor.random(seed + 2, numFeatures) : null;
            Tensor bias = affine ? Tensor.random(seed + 3, numFeatures) : null;
            return x -> backend.batchNorm(x, mean, var, weight, bias, eps);
        }

        @Override
        public String toString() {
            return "BatchNorm3d(" + numFeatures + ", eps="
                    + new java.math.BigDecimal(Double.toString(eps)).stripTrailingZeros().toPlainString()
                    + (affine ? "" : ", affine=False") + ")";
        }
    }

    /** {@code nn.ReLU}; {@code inplace} is accepted and has no effect (every op returns a new tensor). */
    record Relu() implements LayerSpec {

        @Override
        public String module() {
            return "ReLU";
        }

        @Override
        public int[] outputShape(int[] in) {
            if (in.length < 1) {
                throw new IllegalArgumentException("ReLU: the input shape is empty");
            }
            requirePositive(module(), in);
            return in.clone();
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend, long seed) {
            return backend::relu;
        }

        @Override
        public String toString() {
            return "ReLU()";
        }
    }

    private static String py(boolean b) {
        return b ? "True" : "False";
    }
}
