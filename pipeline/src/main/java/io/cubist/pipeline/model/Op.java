package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * A module lowered to a straight list of operations holding their weights ({@link Module#lower}): the form in which
 * {@link Fusion} folds batch norm into convolutions and fuses ReLU and residual additions, and which a backend then
 * prepares once. Only a {@link Residual} nests lists; everything else is a single backend call.
 */
public sealed interface Op {

    /** Reads the weights into the backend's own form (convolutions packed) for repeated forward passes. */
    PreparedModule prepare(Backend backend);

    /**
     * {@code relu?(conv3d(x, weight, bias))} (or {@code conv_transpose3d}).
     *
     * @param key    the weight's key, for messages
     * @param weight {@link ConvSpec#weightShape()}
     * @param bias   {@code [out]}, or null when {@code spec.bias()} is false
     */
    record Conv(String key, ConvSpec spec, Tensor weight, Tensor bias, boolean relu) implements Op {
        public Conv {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(weight, key);
            if (spec.bias() != (bias != null)) {
                throw new IllegalArgumentException(key + ": " + spec + (spec.bias() ? " needs a bias" : " has no bias"));
            }
        }

        public Conv withRelu() {
            return new Conv(key, spec, weight, bias, true);
        }

        @Override
        public PreparedModule prepare(Backend backend) {
            PreparedConv p = backend.prepare(spec, weight, bias);
            return relu ? x -> p.forward(x, null, true) : p::forward;
        }
    }

    /**
     * {@code F.batch_norm} in inference on channel dimension 1: {@code (x - mean) / sqrt(var + eps) * weight + bias};
     * {@code weight}/{@code bias} are null when the layer has {@code affine=False}.
     */
    record BatchNorm(String key, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, double eps)
            implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.BatchNorm(runningMean, runningVar, weight, bias, eps));
        }
    }

    /** {@code F.relu}. */
    record Relu() implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.Pointwise(OpSpec.Function.RELU));
        }
    }

    /** {@code F.max_pool3d}. */
    record MaxPool(PoolSpec spec) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.MaxPool(spec));
        }
    }

    /** {@code F.avg_pool3d}. */
    record AvgPool(PoolSpec spec) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.AvgPool(spec));
        }
    }

    /** {@code F.adaptive_avg_pool3d}. */
    record AdaptiveAvgPool(Dims3 outputSize) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.AdaptiveAvgPool(outputSize));
        }
    }

    /** {@code torch.flatten(x, 1)}: {@code [N, ...] -> [N, prod(...)]}, sharing the data. */
    record Flatten() implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return x -> x.reshape(x.dim(0), x.numel() / Math.max(1, x.dim(0)));
        }
    }

    /** {@code F.linear}: {@code x W^T + b}. */
    record Linear(String key, Tensor weight, Tensor bias) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.Linear(weight, bias));
        }
    }

    /**
     * {@code relu?(main(x) + shortcut(x))}; an empty {@code shortcut} is the identity. When {@code main} ends in a
     * convolution without its own ReLU, the addition and the ReLU run in that convolution's epilogue
     * ({@link PreparedConv#forward(Tensor, Tensor, boolean)}).
     */
    record Residual(String key, List<Op> main, List<Op> shortcut, boolean relu) implements Op {
        public Residual {
            main = List.copyOf(main);
            shortcut = List.copyOf(shortcut);
            if (main.isEmpty()) {
                throw new IllegalArgumentException(key + ": a residual block needs a main path");
            }
        }

        public Residual withRelu() {
            return new Residual(key, main, shortcut, true);
        }

        @Override
        public PreparedModule prepare(Backend backend) {
            PreparedModule sc = Op.prepare(shortcut, backend);
            if (main.get(main.size() - 1) instanceof Conv last && !last.relu()) {
                PreparedModule head = Op.prepare(main.subList(0, main.size() - 1), backend);
                PreparedConv conv = backend.prepare(last.spec(), last.weight(), last.bias());
                return x -> conv.forward(head.forward(x), sc.forward(x), relu);
            }
            PreparedModule m = Op.prepare(main, backend);
            PreparedOp add = backend.prepare(new OpSpec.Add(relu));
            return x -> {
                Tensor y = m.forward(x);
                Tensor r = sc.forward(x);
                return named(key, () -> add.forward(y, r));
            };
        }
    }

    /**
     * {@code torch.cat([b(x) for b in branches], dim=1)}: every branch runs on the same input and the outputs,
     * {@code [N, C_i, D, H, W]} with the same N, D, H and W, are stacked along the channels in branch order.
     */
    record Concat(String key, List<List<Op>> branches) implements Op {
        public Concat {
            branches = branches.stream().map(List::copyOf).toList();
            if (branches.isEmpty()) {
                throw new IllegalArgumentException(key + ": a concatenation needs at least one branch");
            }
        }

        @Override
        public PreparedModule prepare(Backend backend) {
            List<PreparedModule> bs = branches.stream().map(b -> Op.prepare(b, backend)).toList();
            PreparedOp cat = backend.prepare(new OpSpec.Concat());
            return x -> {
                Tensor[] ys = new Tensor[bs.size()];
                for (int i = 0; i < ys.length; i++) {
                    ys[i] = bs.get(i).forward(x);
                }
                return named(key, () -> cat.forward(ys));
            };
        }
    }

    /** A stateless element-wise function ({@link Activation.Function}: sigmoid, swish), by the backend. */
    record Elementwise(Activation.Function function) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return switch (function) {
                case SIGMOID -> one(backend, new OpSpec.Pointwise(OpSpec.Function.SIGMOID));
                case SWISH -> one(backend, new OpSpec.Pointwise(OpSpec.Function.SWISH));
                case IDENTITY -> x -> x;
            };
        }
    }

    /**
     * {@code x * gate(x)}: {@code gate} maps {@code [N, C, ...]} to one factor per sample and channel
     * ({@code [N, C, 1, 1, 1]}), which scales every position of that channel (a squeeze-and-excitation block); with
     * {@code swish} the swish after it runs in the same pass ({@link Fusion}).
     */
    record Gate(String key, List<Op> gate, boolean swish) implements Op {
        public Gate {
            gate = List.copyOf(gate);
        }

        public Gate(String key, List<Op> gate) {
            this(key, gate, false);
        }

        @Override
        public PreparedModule prepare(Backend backend) {
            PreparedModule g = Op.prepare(gate, backend);
            PreparedOp scale = backend.prepare(new OpSpec.ScaleChannels(swish));
            return x -> scale.forward(x, g.forward(x));
        }
    }

    /** TensorFlow's {@code "SAME"} padding ({@link OpSpec.SamePad}) for the layer of {@code kernel} and {@code stride}. */
    record SamePad(Dims3 kernel, Dims3 stride) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return one(backend, new OpSpec.SamePad(kernel, stride));
        }
    }

    /**
     * Hands its input on unchanged and keeps it in {@code taps} under {@code key}: an intermediate output a caller
     * asked for. Fusion does not reach across it, so what it keeps is exactly the output of the module it follows.
     */
    record Tap(String key, Taps taps) implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return x -> {
                taps.keep(key, x);
                return x;
            };
        }
    }

    /**
     * A two-pathway trunk ({@link PathwayNet}): per stage the ops of the slow and the fast pathway, the fusion's ops
     * (run on the fast output and concatenated to the slow one; null where a stage has none), and each pathway's
     * pool before the final concatenation. Fusion rewrites apply inside every list.
     */
    record Pathways(String key, int alpha, List<List<List<Op>>> stages, List<List<Op>> fusions, List<List<Op>> pools)
            implements Op {
        @Override
        public PreparedModule prepare(Backend backend) {
            return PathwayNet.prepare(this, backend);
        }
    }

    /** Whether a convolution anywhere in {@code ops} (inside blocks too) satisfies {@code test}. */
    static boolean anyConv(List<Op> ops, java.util.function.Predicate<ConvSpec> test) {
        for (Op op : ops) {
            boolean hit = false;
            if (op instanceof Conv c) {
                hit = test.test(c.spec());
            } else if (op instanceof Residual r) {
                hit = anyConv(r.main(), test) || anyConv(r.shortcut(), test);
            } else if (op instanceof Concat c) {
                hit = c.branches().stream().anyMatch(b -> anyConv(b, test));
            } else if (op instanceof Gate g) {
                hit = anyConv(g.gate(), test);
            } else if (op instanceof Pathways p) {
                hit = p.stages().stream().flatMap(List::stream).anyMatch(b -> anyConv(b, test))
                        || p.fusions().stream().anyMatch(f -> f != null && anyConv(f, test));
            }
            if (hit) {
                return true;
            }
        }
        return false;
    }

    /** A one-input op the backend prepares once. */
    static PreparedModule one(Backend backend, OpSpec spec) {
        PreparedOp p = backend.prepare(spec);
        return p::forward;
    }

    /** Runs {@code body}, naming {@code key} in the message of a shape error. */
    static Tensor named(String key, java.util.function.Supplier<Tensor> body) {
        try {
            return body.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /**
     * The module key an op stands for, for {@link Profile}s: a convolution's or batch norm's without the tensor
     * name, a block's own; an op without one (pools, ReLU, flatten) by its kind.
     */
    static String label(Op op) {
        String key = null;
        if (op instanceof Conv c) {
            key = c.key();
        } else if (op instanceof BatchNorm b) {
            key = b.key();
        } else if (op instanceof Linear l) {
            key = l.key();
        } else if (op instanceof Residual r) {
            key = r.key();
        } else if (op instanceof Concat c) {
            key = c.key();
        } else if (op instanceof Gate g) {
            key = g.key();
        } else if (op instanceof Pathways p) {
            key = p.key();
        }
        if (key == null || key.isEmpty()) {
            return op.getClass().getSimpleName();
        }
        return key.endsWith(".weight") ? key.substring(0, key.length() - ".weight".length()) : key;
    }

    /** {@link #prepare(List, Backend)}, timing each op into {@code profile} under its {@link #label}. */
    static PreparedModule prepare(List<Op> ops, Backend backend, Profile profile) {
        List<PreparedModule> steps = new java.util.ArrayList<>();
        for (Op op : ops) {
            steps.add(profile.timed(label(op), op.prepare(backend)));
        }
        return x -> {
            Tensor y = x;
            for (PreparedModule s : steps) {
                y = s.forward(y);
            }
            return y;
        };
    }

    /** The ops run one after another; the empty list is the identity. */
    static PreparedModule prepare(List<Op> ops, Backend backend) {
        List<PreparedModule> steps = ops.stream().map(o -> o.prepare(backend)).toList();
        if (steps.isEmpty()) {
            return x -> x;
        }
        if (steps.size() == 1) {
            return steps.get(0);
        }
        return x -> {
            Tensor y = x;
            for (PreparedModule s : steps) {
                y = s.forward(y);
            }
            return y;
        };
    }
}
