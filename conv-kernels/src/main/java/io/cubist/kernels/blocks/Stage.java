package io.cubist.kernels.blocks;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The wiring of a block: convolutions, ReLUs, serial chains and summed parallel branches. Every block is one
 * {@code Stage} tree, so shapes, parameters, MACs, receptive fields and the forward pass are written once, here.
 */
sealed interface Stage {

    /** The empty chain: passes its input through (an identity shortcut). */
    Stage IDENTITY = new Chain(List.of());

    Stage RELU = new Relu();

    /** Output channels for {@code in} input channels; rejects a layer whose input channels do not match. */
    int outChannels(int in);

    Dims3 outputSize(Dims3 in);

    long macs(int batch, Dims3 in);

    ReceptiveField receptiveField();

    void collectLayers(List<ConvLayer> into);

    UnaryOperator<Tensor> prepare(Backend backend);

    static Stage conv(ConvLayer layer) {
        return new Conv(layer);
    }

    /** {@link #RELU} when {@code on}, else the identity. */
    static Stage relu(boolean on) {
        return on ? RELU : IDENTITY;
    }

    static Stage chain(Stage... stages) {
        return new Chain(List.of(stages));
    }

    static Stage sum(Stage... branches) {
        return new Sum(List.of(branches));
    }

    /** The shared "sequence of convs" form: {@code layers} in order, with a ReLU between neighbours when asked. */
    static Stage convs(boolean reluBetween, List<ConvLayer> layers) {
        List<Stage> s = new ArrayList<>();
        for (ConvLayer l : layers) {
            if (!s.isEmpty() && reluBetween) {
                s.add(RELU);
            }
            s.add(conv(l));
        }
        return new Chain(List.copyOf(s));
    }

    /** {@code relu(main(x) + shortcut(x))} (ResNet); with no shortcut (null) just {@code relu(main(x))}. */
    static Stage residual(Stage main, Stage shortcut, boolean relu) {
        return chain(shortcut == null ? main : sum(main, shortcut), relu(relu));
    }

    record Conv(ConvLayer layer) implements Stage {
        @Override
        public int outChannels(int in) {
            if (in != layer.spec().inChannels()) {
                throw new IllegalArgumentException(layer.name() + ": " + layer.spec() + " is fed " + in
                        + " channels");
            }
            return layer.spec().outChannels();
        }

        @Override
        public Dims3 outputSize(Dims3 in) {
            return layer.spec().outputSize(in);
        }

        @Override
        public long macs(int batch, Dims3 in) {
            return layer.spec().macs(batch, in);
        }

        @Override
        public ReceptiveField receptiveField() {
            return layer.spec().receptiveField();
        }

        @Override
        public void collectLayers(List<ConvLayer> into) {
            into.add(layer);
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend) {
            PreparedConv p = backend.prepare(layer.spec(), layer.weight(), layer.bias());
            return p::forward;
        }
    }

    record Relu() implements Stage {
        @Override
        public int outChannels(int in) {
            return in;
        }

        @Override
        public Dims3 outputSize(Dims3 in) {
            return in;
        }

        @Override
        public long macs(int batch, Dims3 in) {
            return 0;
        }

        @Override
        public ReceptiveField receptiveField() {
            return ReceptiveField.IDENTITY;
        }

        @Override
        public void collectLayers(List<ConvLayer> into) {
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend) {
            return backend::relu;
        }
    }

    /** {@code x -> s_n(...s_1(x))}. */
    record Chain(List<Stage> stages) implements Stage {
        @Override
        public int outChannels(int in) {
            int c = in;
            for (Stage s : stages) {
                c = s.outChannels(c);
            }
            return c;
        }

        @Override
        public Dims3 outputSize(Dims3 in) {
            Dims3 d = in;
            for (Stage s : stages) {
                d = s.outputSize(d);
            }
            return d;
        }

        @Override
        public long macs(int batch, Dims3 in) {
            long m = 0;
            Dims3 d = in;
            for (Stage s : stages) {
                m += s.macs(batch, d);
                d = s.outputSize(d);
            }
            return m;
        }

        @Override
        public ReceptiveField receptiveField() {
            ReceptiveField rf = ReceptiveField.IDENTITY;
            for (Stage s : stages) {
                rf = rf.then(s.receptiveField());
            }
            return rf;
        }

        @Override
        public void collectLayers(List<ConvLayer> into) {
            stages.forEach(s -> s.collectLayers(into));
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend) {
            List<UnaryOperator<Tensor>> ops = stages.stream().map(s -> s.prepare(backend)).toList();
            return x -> {
                Tensor y = x;
                for (UnaryOperator<Tensor> op : ops) {
                    y = op.apply(y);
                }
                return y;
            };
        }
    }

    /** {@code x -> b_1(x) + ... + b_n(x)}: parallel branches on one input, added element-wise. */
    record Sum(List<Stage> branches) implements Stage {
        public Sum {
            if (branches.size() < 2) {
                throw new IllegalArgumentException("a sum needs at least two branches, got " + branches.size());
            }
        }

        @Override
        public int outChannels(int in) {
            int c = branches.get(0).outChannels(in);
            for (Stage b : branches) {
                if (b.outChannels(in) != c) {
                    throw new IllegalArgumentException("summed branches disagree on channels: " + c + " vs "
                            + b.outChannels(in));
                }
            }
            return c;
        }

        @Override
        public Dims3 outputSize(Dims3 in) {
            Dims3 d = branches.get(0).outputSize(in);
            for (Stage b : branches) {
                if (!b.outputSize(in).equals(d)) {
                    throw new IllegalArgumentException("summed branches disagree on the output size for input " + in
                            + ": " + d + " vs " + b.outputSize(in));
                }
            }
            return d;
        }

        @Override
        public long macs(int batch, Dims3 in) {
            return branches.stream().mapToLong(b -> b.macs(batch, in)).sum();
        }

        // Per axis the larger window: a 1x3x3 branch beside a 3x1x1 branch sees a 3x3x3 box of its input.
        @Override
        public ReceptiveField receptiveField() {
            return branches.stream().map(Stage::receptiveField).reduce(ReceptiveField::max).orElseThrow();
        }

        @Override
        public void collectLayers(List<ConvLayer> into) {
            branches.forEach(b -> b.collectLayers(into));
        }

        @Override
        public UnaryOperator<Tensor> prepare(Backend backend) {
            List<UnaryOperator<Tensor>> ops = branches.stream().map(b -> b.prepare(backend)).toList();
            return x -> {
                Tensor y = ops.get(0).apply(x);
                for (int i = 1; i < ops.size(); i++) {
                    y = ElementwiseAdd.add(y, ops.get(i).apply(x));
                }
                return y;
            };
        }
    }
}
