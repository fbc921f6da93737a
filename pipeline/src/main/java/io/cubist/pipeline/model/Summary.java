package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A network's layer table for one input shape: per leaf layer its {@code state_dict} path, PyTorch class, output
 * shape, parameters, MACs and receptive field (what one output element sees of the network input, and the input
 * distance between neighbouring outputs), plus totals. Parameter totals are
 * {@code sum(p.numel() for p in model.parameters())}; MACs count convolutions and linear layers (see {@link Module}).
 */
public record Summary(String network, int[] input, List<SummaryRow> rows, long parameters, long macs,
                      ReceptiveField receptiveField) {

    public Summary {
        input = input.clone();
        rows = List.copyOf(rows);
    }

    @Override
    public int[] input() {
        return input.clone();
    }

    public static Summary of(Network net, int[] in) {
        List<SummaryRow> rows = new ArrayList<>();
        ReceptiveField rf = net.backbone().summarize("", in, ReceptiveField.IDENTITY, rows);
        if (net.head() != null) {
            rf = net.head().summarize(net.headName(), net.featureShape(in), rf, rows);
        }
        return new Summary(net.name(), in, rows, net.parameterCount(), net.macs(in), rf);
    }

    /** {@code macs / 1e9}, as torchvision's tables give "GFLOPS". */
    public double gmacs() {
        return macs / 1e9;
    }

    /** The table as {@code cubist summary} prints it. */
    public String format() {
        int nameW = Math.max("layer".length(), rows.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        int kindW = Math.max("type".length(), rows.stream().mapToInt(r -> r.kind().length()).max().orElse(0));
        int shapeW = Math.max(12, rows.stream().mapToInt(r -> Arrays.toString(r.outputShape()).length()).max()
                .orElse(0));
        String fmt = "%-" + nameW + "s  %-" + kindW + "s  %-" + shapeW + "s  %12s  %16s  %-16s %s%n";
        StringBuilder b = new StringBuilder();
        b.append(network).append("  input ").append(Arrays.toString(input)).append('\n');
        b.append(String.format(Locale.ROOT, fmt, "layer", "type", "output shape", "parameters", "MACs",
                "receptive field", "jump"));
        for (SummaryRow r : rows) {
            b.append(String.format(Locale.ROOT, fmt, r.name(), r.kind(), Arrays.toString(r.outputShape()),
                    group(r.parameters()), group(r.macs()), dims(r.receptiveField().size()),
                    dims(r.receptiveField().jump())));
        }
        b.append(String.format(Locale.ROOT, "%ntotal parameters  %s%n", group(parameters)));
        b.append(String.format(Locale.ROOT, "total MACs        %s (%.2f GMACs, conv and linear layers)%n",
                group(macs), gmacs()));
        b.append(String.format(Locale.ROOT, "receptive field   %s (jump %s)", dims(receptiveField.size()),
                dims(receptiveField.jump())));
        return b.toString();
    }

    private static String group(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String dims(Dims3 d) {
        return d.d() + "x" + d.h() + "x" + d.w();
    }
}
