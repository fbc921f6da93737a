package io.cubist.kernels.op;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.io.Json;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs one op of the {@code cubist op} contract (DESIGN.md): {@code {"op": NAME, "args": {...}}} with
 * {@code torch.nn.functional}'s names and defaults, on named input tensors ({@code input}, {@code weight}, ...).
 * Every malformed spec or input fails with one {@link IllegalArgumentException} line that names what is wrong and
 * what was expected.
 */
public final class OpRunner {

    /** Every op name the contract defines, in the order the help lists them. */
    public static final List<String> OPS = List.of("conv1d", "conv2d", "conv3d", "conv_transpose1d",
            "conv_transpose2d", "conv_transpose3d", "deform_conv3d", "max_pool3d", "avg_pool3d",
            "adaptive_avg_pool3d", "batch_norm", "relu", "linear", "pixel_shuffle", "pixel_unshuffle",
            "pixel_shuffle3d", "pixel_unshuffle3d");

    private OpRunner() {
    }

    /** Parses a SPEC.json text and runs it. */
    public static Tensor run(Backend backend, String specJson, Map<String, Tensor> tensors) {
        Map<String, Object> spec;
        try {
            spec = Json.parseObject(specJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("spec: " + e.getMessage());
        }
        for (String k : spec.keySet()) {
            if (!k.equals("op") && !k.equals("args")) {
                throw new IllegalArgumentException("spec: unknown key '" + k + "'; a spec is {\"op\": NAME, \"args\": {...}}");
            }
        }
        if (!(spec.get("op") instanceof String op)) {
            throw new IllegalArgumentException("spec: \"op\" must be a string, one of " + String.join(", ", OPS));
        }
        Object a = spec.getOrDefault("args", Map.of());
        if (!(a instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("spec: \"args\" must be an object, got " + Json.typeName(a));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> args = (Map<String, Object>) a;
        return run(backend, op, args, tensors);
    }

    public static Tensor run(Backend backend, String op, Map<String, Object> args, Map<String, Tensor> tensors) {
        try {
            return dispatch(backend, op, args, tensors);
        } catch (IllegalArgumentException e) {
            // messages from shared validation (Dims3, specs) may not say which op they came from
            if (e.getMessage() != null && !e.getMessage().startsWith(op) && OPS.contains(op)) {
                throw new IllegalArgumentException(op + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private static Tensor dispatch(Backend backend, String op, Map<String, Object> args, Map<String, Tensor> tensors) {
        return switch (op) {
            case "conv1d" -> conv(backend, op, 1, false, args, tensors);
            case "conv2d" -> conv(backend, op, 2, false, args, tensors);
            case "conv3d" -> conv(backend, op, 3, false, args, tensors);
            case "conv_transpose1d" -> conv(backend, op, 1, true, args, tensors);
            case "conv_transpose2d" -> conv(backend, op, 2, true, args, tensors);
            case "conv_transpose3d" -> conv(backend, op, 3, true, args, tensors);
            case "deform_conv3d" -> deform(backend, args, tensors);
            case "max_pool3d" -> maxPool(backend, args, tensors);
            case "avg_pool3d" -> avgPool(backend, args, tensors);
            case "adaptive_avg_pool3d" -> adaptivePool(backend, args, tensors);
            case "batch_norm" -> batchNorm(backend, args, tensors);
            case "relu" -> {
                TorchArgs p = new TorchArgs(op, args, List.of("inplace"));
                p.bool("inplace", false); // no observable effect: the output is a new file
                yield backend.relu(inputs(op, tensors, List.of("input"), List.of()).get("input"));
            }
            case "linear" -> {
                new TorchArgs(op, args, List.of());
                Map<String, Tensor> t = inputs(op, tensors, List.of("input", "weight"), List.of("bias"));
                yield backend.linear(t.get("input"), t.get("weight"), t.get("bias"));
            }
            case "pixel_shuffle" -> shuffle(backend, op, "upscale_factor", 2, true, args, tensors);
            case "pixel_unshuffle" -> shuffle(backend, op, "downscale_factor", 2, false, args, tensors);
            case "pixel_shuffle3d" -> shuffle(backend, op, "upscale_factor", 3, true, args, tensors);
            case "pixel_unshuffle3d" -> shuffle(backend, op, "downscale_factor", 3, false, args, tensors);
            default -> throw new IllegalArgumentException("unknown op '" + op + "'; known ops: " + String.join(", ", OPS));
        };
    }

    /** Checks the tensor names an op takes: all of {@code required}, any of {@code optional}, nothing else. */
    static Map<String, Tensor> inputs(String op, Map<String, Tensor> tensors, List<String> required,
                                      List<String> optional) {
        for (String r : required) {
            if (!tensors.containsKey(r)) {
                throw new IllegalArgumentException(op + ": missing input tensor '" + r + "'; " + op + " takes "
                        + describe(required, optional) + ", the file has " + tensors.keySet());
            }
        }
        for (String k : tensors.keySet()) {
            if (!required.contains(k) && !optional.contains(k)) {
                throw new IllegalArgumentException(op + ": unexpected input tensor '" + k + "'; " + op + " takes "
                        + describe(required, optional));
            }
        }
        return tensors;
    }

    private static String describe(List<String> required, List<String> optional) {
        List<String> all = new ArrayList<>(required);
        optional.forEach(o -> all.add(o + " (optional)"));
        return String.join(", ", all);
    }

    private static Tensor conv(Backend backend, String op, int s, boolean transposed, Map<String, Object> args,
                               Map<String, Tensor> tensors) {
        TorchArgs p = new TorchArgs(op, args, transposed
                ? List.of("stride", "padding", "output_padding", "groups", "dilation", "padding_mode", "flip")
                : List.of("stride", "padding", "dilation", "groups", "padding_mode", "flip"));
        Map<String, Tensor> t = inputs(op, tensors, List.of("input", "weight"), List.of("bias"));
        Tensor w = t.get("weight");
        Tensor b = t.get("bias");
        if (w.rank() != s + 2) {
            throw new IllegalArgumentException(op + ": weight must have rank " + (s + 2) + " ["
                    + (transposed ? "in, out/groups" : "out, in/groups") + ", k...], got shape "
                    + Arrays.toString(w.shape()));
        }
        int groups = p.integer("groups", 1, false);
        if (groups < 1) {
            throw new IllegalArgumentException(op + ": groups must be >= 1, got " + groups);
        }
        int in = transposed ? w.dim(0) : w.dim(1) * groups;
        int out = transposed ? w.dim(1) * groups : w.dim(0);
        int[] kernel = Arrays.copyOfRange(w.shape(), 2, s + 2);
        ConvSpec.Builder sb = ConvSpec.builder(s, in, out, kernel)
                .stride(p.ints("stride", new int[] {1}))
                .dilation(p.ints("dilation", new int[] {1}))
                .groups(groups)
                .bias(b != null)
                .flip(p.bool("flip", false))
                .paddingMode(PaddingMode.parse(p.string("padding_mode", "zeros")))
                .transposed(transposed);
        Object pad = p.raw("padding");
        if ("same".equals(pad)) {
            sb.paddingSame();
        } else if ("valid".equals(pad)) {
            sb.paddingValid();
        } else if (pad instanceof String str) {
            throw new IllegalArgumentException(op + ": padding must be an int, a list of ints, 'same' or 'valid',"
                    + " got '" + str + "'");
        } else {
            sb.padding(p.ints("padding", new int[] {0}));
        }
        if (transposed) {
            sb.outputPadding(p.ints("output_padding", new int[] {0}));
        }
        return backend.prepare(sb.build(), w, b).forward(t.get("input"));
    }

    private static Tensor deform(Backend backend, Map<String, Object> args, Map<String, Tensor> tensors) {
        String op = "deform_conv3d";
        TorchArgs p = new TorchArgs(op, args, List.of("stride", "padding", "dilation"));
        Map<String, Tensor> t = inputs(op, tensors, List.of("input", "offset", "weight"), List.of("bias", "mask"));
        DeformSpec spec = new DeformSpec(Dims3.expand(p.ints("stride", new int[] {1}), 3, 1, "stride"),
                Dims3.expand(p.ints("padding", new int[] {0}), 3, 0, "padding"),
                Dims3.expand(p.ints("dilation", new int[] {1}), 3, 1, "dilation"));
        return backend.deformConv3d(spec, t.get("input"), t.get("offset"), t.get("weight"), t.get("bias"),
                t.get("mask"));
    }

    /** PyTorch's 3D pools take {@code [N, C, D, H, W]} or unbatched {@code [C, D, H, W]}. */
    private static Tensor pool5d(String op, Tensor x) {
        if (x.rank() == 4) {
            return x.reshape(1, x.dim(0), x.dim(1), x.dim(2), x.dim(3));
        }
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + ": expected a 4D [C, D, H, W] or 5D [N, C, D, H, W] input, got"
                    + " shape " + Arrays.toString(x.shape()));
        }
        return x;
    }

    private static Tensor unpool5d(Tensor original, Tensor y) {
        return original.rank() == 4 ? y.reshape(Arrays.copyOfRange(y.shape(), 1, 5)) : y;
    }

    private static Tensor maxPool(Backend backend, Map<String, Object> args, Map<String, Tensor> tensors) {
        String op = "max_pool3d";
        TorchArgs p = new TorchArgs(op, args,
                List.of("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"));
        Tensor x = inputs(op, tensors, List.of("input"), List.of()).get("input");
        if (p.bool("return_indices", false)) {
            throw new IllegalArgumentException(op + ": return_indices=True is not supported; the op writes one"
                    + " tensor, 'output'");
        }
        int[] k = p.ints("kernel_size", null);
        Dims3 kernel = Dims3.expand(k, 3, 1, "kernel_size");
        PoolSpec spec = PoolSpec.max(kernel, Dims3.expand(p.ints("stride", k), 3, 1, "stride"),
                Dims3.expand(p.ints("padding", new int[] {0}), 3, 0, "padding"),
                Dims3.expand(p.ints("dilation", new int[] {1}), 3, 1, "dilation"), p.bool("ceil_mode", false));
        return unpool5d(x, backend.maxPool3d(spec, pool5d(op, x)));
    }

    private static Tensor avgPool(Backend backend, Map<String, Object> args, Map<String, Tensor> tensors) {
        String op = "avg_pool3d";
        TorchArgs p = new TorchArgs(op, args,
                List.of("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"));
        Tensor x = inputs(op, tensors, List.of("input"), List.of()).get("input");
        int[] k = p.ints("kernel_size", null);
        int divisor = 0;
        if (p.has("divisor_override")) {
            divisor = p.integer("divisor_override", 0, false);
            if (divisor <= 0) {
                throw new IllegalArgumentException(op + ": divisor_override must be a positive int or null, got "
                        + divisor);
            }
        }
        PoolSpec spec = PoolSpec.avg(Dims3.expand(k, 3, 1, "kernel_size"),
                Dims3.expand(p.ints("stride", k), 3, 1, "stride"),
                Dims3.expand(p.ints("padding", new int[] {0}), 3, 0, "padding"), p.bool("ceil_mode", false),
                p.bool("count_include_pad", true), divisor);
        return unpool5d(x, backend.avgPool3d(spec, pool5d(op, x)));
    }

    private static Tensor adaptivePool(Backend backend, Map<String, Object> args, Map<String, Tensor> tensors) {
        String op = "adaptive_avg_pool3d";
        TorchArgs p = new TorchArgs(op, args, List.of("output_size"));
        Tensor x = pool5d(op, inputs(op, tensors, List.of("input"), List.of()).get("input"));
        int[] o = p.intsOrNone("output_size");
        if (o.length != 1 && o.length != 3) {
            throw new IllegalArgumentException(op + ": output_size must be an int or a list of 3 (int or null), got "
                    + o.length + " values");
        }
        int[] size = new int[3];
        for (int a = 0; a < 3; a++) {
            int v = o[o.length == 1 ? 0 : a];
            size[a] = v == -1 ? x.dim(2 + a) : v;
            if (size[a] < 1) {
                throw new IllegalArgumentException(op + ": output_size must be positive, got " + v);
            }
        }
        Tensor y = backend.adaptiveAvgPool3d(x, new Dims3(size[0], size[1], size[2]));
        return unpool5d(tensors.get("input"), y);
    }

    private static Tensor batchNorm(Backend backend, Map<String, Object> args, Map<String, Tensor> tensors) {
        String op = "batch_norm";
        TorchArgs p = new TorchArgs(op, args, List.of("training", "momentum", "eps"));
        Map<String, Tensor> t = inputs(op, tensors, List.of("input", "running_mean", "running_var"),
                List.of("weight", "bias"));
        if (p.bool("training", false)) {
            throw new IllegalArgumentException(op + ": training=True is not supported; Cubist runs batch norm in"
                    + " inference mode with the running statistics");
        }
        p.number("momentum", 0.1); // only used in training
        double eps = p.number("eps", 1e-5);
        if (!(eps >= 0)) {
            throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        }
        return backend.batchNorm(t.get("input"), t.get("running_mean"), t.get("running_var"), t.get("weight"),
                t.get("bias"), eps);
    }

    private static Tensor shuffle(Backend backend, String op, String factorName, int s, boolean up,
                                  Map<String, Object> args, Map<String, Tensor> tensors) {
        TorchArgs p = new TorchArgs(op, args, List.of(factorName));
        Tensor x = inputs(op, tensors, List.of("input"), List.of()).get("input");
        int r = p.integer(factorName, -1, true);
        if (r < 1) {
            throw new IllegalArgumentException(op + ": " + factorName + " must be >= 1, got " + r);
        }
        return up ? backend.pixelShuffle(x, r, s) : backend.pixelUnshuffle(x, r, s);
    }
}
