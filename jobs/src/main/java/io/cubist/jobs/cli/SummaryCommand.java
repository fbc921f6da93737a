package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.RandomWeights;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code cubist summary}: a model's layer table (output shapes, parameters, MACs, receptive fields) and totals. */
final class SummaryCommand implements Command {

    static final int[] DEFAULT_INPUT = {1, 3, 16, 112, 112};

    @Override
    public String name() {
        return "summary";
    }

    @Override
    public String summary() {
        return "print a model's layers: output shape, parameters, MACs, receptive field; and the totals";
    }

    @Override
    public Set<String> valued() {
        return new LinkedHashSet<>(List.of("model", "input-shape", "widths", "devices", "backend"));
    }

    @Override
    public Set<String> switches() {
        return Set.of("layers");
    }

    @Override
    public String usage() {
        return """
                usage: cubist summary --model NAME [--input-shape N,C,T,H,W] [--widths W1,W2,W3,W4] [--layers]
                                      [--devices LIST [--backend NAME]]

                One row per layer, in forward order, named by its state_dict path: type, output shape, parameters,
                multiply-accumulates and receptive field (input elements along time x height x width that one
                output element depends on, counting padding, and the input distance between neighbouring
                outputs); then the totals. Parameters count as sum(p.numel() for p in model.parameters())
                (batch-norm running statistics are buffers, not parameters); MACs count convolutions and linear
                layers, every kernel tap, as torchvision's published GFLOPS figures do.

                --model        %s
                --input-shape  clip batch shape (default: the model's, %s for the ResNets and c3d,
                               1,3,16,224,224 for s3d, 1,3,32,224,224 for ir_csn_50)
                --widths       the four stage widths of a reduced variant (default 64,128,256,512)
                --layers       list the names --layer takes (embed, extract): every module whose output can be
                               handed back, by state_dict prefix, in forward order
                --devices      also the plan over these devices (as embed, bench and extract take them): which
                               groups of the grouped layers each device runs, or its share of a batch, and the
                               bytes exchanged per clip, from one forward pass of the input shape with random
                               weights""".formatted(
                String.join(", ", ModelZoo.names()), join(DEFAULT_INPUT));
    }

    @Override
    public int run(Flags flags) {
        String model = flags.required("model");
        int[] in = flags.positiveInts("input-shape", 5, ModelZoo.describe(model).defaultInput());
        int[] widths = flags.positiveInts("widths", 4, null);
        Network net = ModelZoo.network(model, widths);
        if (flags.has("layers")) {
            net.layerNames().forEach(System.out::println);
            return 0;
        }
        System.out.println(net.summary(in).format());
        System.out.println("(the names --layer takes: cubist summary --model " + model + " --layers)");
        if (flags.has("devices")) {
            List<Backend> engines = EngineFlags.open(EngineFlags.request(flags));
            Model m = net.load(RandomWeights.torchvisionInit(net.stateDict(), ModelZoo.RANDOM_SEED));
            PreparedModel p = m.prepare(engines, List.of(), LayerPool.AVG);
            System.out.println();
            System.out.println("plan over " + String.join(" + ", engines.stream().map(Backend::describe).toList())
                    + ":");
            p.describePlan().forEach(line -> System.out.println("  " + line));
            if (p.plan() != null && !p.dataParallel()) {
                p.plan().resetBytesMoved();
                p.forward(Tensor.random(1, in));
                System.out.println("  bytes exchanged per clip: " + p.plan().bytesMoved() / in[0]);
            }
        }
        return 0;
    }

    static String join(int[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.toString();
    }
}
