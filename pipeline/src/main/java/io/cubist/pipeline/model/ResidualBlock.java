package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code relu(main(x) + shortcut(x))}, the residual unit of torchvision's ResNets: {@code main} is the block's
 * convolution children run in order, {@code shortcut} its {@code downsample} child or, when it has none, the identity.
 * Prepared, the addition and the ReLU run in the epilogue of the main path's last convolution.
 *
 * <p>The receptive field of the block is, per axis, the larger of the two paths' (they share input and output).
 */
public abstract sealed class ResidualBlock implements Module permits BasicBlock, Bottleneck {

    private final List<Child> main;
    private final Module downsample;
    private final List<Child> children;

    /**
     * @param main       the main path's children, in order ({@code conv1}, {@code conv2}, ...)
     * @param downsample the shortcut, or null for the identity
     */
    ResidualBlock(List<Child> main, Module downsample) {
        this.main = List.copyOf(main);
        this.downsample = downsample;
        // torchvision registers conv1.., then relu, then downsample; state_dict order follows.
        List<Child> all = new ArrayList<>(main);
        all.add(new Child("relu", new ReLU()));
        if (downsample != null) {
            all.add(new Child("downsample", downsample));
        }
        this.children = List.copyOf(all);
    }

    /** The shortcut, or null for the identity. */
    public Module downsample() {
        return downsample;
    }

    @Override
    public final List<Child> children() {
        return children;
    }

    private int[] mainShape(int[] in) {
        int[] s = in;
        for (Child c : main) {
            s = c.module().outputShape(s);
        }
        return s;
    }

    @Override
    public final int[] outputShape(int[] in) {
        Shapes.requireNcdhw(kind(), in, -1);
        int[] m = mainShape(in);
        int[] r = downsample == null ? in : downsample.outputShape(in);
        if (!Arrays.equals(m, r)) {
            throw new IllegalArgumentException(kind() + ": for input " + Arrays.toString(in) + " the main path gives "
                    + Arrays.toString(m) + " but the shortcut gives " + Arrays.toString(r)
                    + (downsample == null ? " (identity; a downsample is needed)" : ""));
        }
        return m.clone();
    }

    @Override
    public final long macs(int[] in) {
        long total = 0;
        int[] s = in;
        for (Child c : main) {
            total += c.module().macs(s);
            s = c.module().outputShape(s);
        }
        return total + (downsample == null ? 0 : downsample.macs(in));
    }

    @Override
    public final ReceptiveField receptiveField(int[] in) {
        ReceptiveField rf = ReceptiveField.IDENTITY;
        int[] s = in;
        for (Child c : main) {
            rf = rf.then(c.module().receptiveField(s));
            s = c.module().outputShape(s);
        }
        return downsample == null ? rf : ReceptiveField.max(rf, downsample.receptiveField(in));
    }

    @Override
    public final List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public final List<Op> lower(StateDict weights, String path) {
        List<Op> m = new ArrayList<>();
        for (Child c : main) {
            m.addAll(c.module().lower(weights, Module.join(path, c.name())));
        }
        List<Op> sc = downsample == null ? List.of() : downsample.lower(weights, Module.join(path, "downsample"));
        return List.of(new Op.Residual(path, m, sc, true));
    }

    /** Rows in forward order: the main path, the shortcut, then the block's ReLU (its output). */
    @Override
    public final ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = rfIn;
        int[] s = in;
        for (Child c : main) {
            rf = c.module().summarize(Module.join(path, c.name()), s, rf, rows);
            s = c.module().outputShape(s);
        }
        if (downsample != null) {
            rf = ReceptiveField.max(rf, downsample.summarize(Module.join(path, "downsample"), in, rfIn, rows));
        }
        rows.add(new SummaryRow(Module.join(path, "relu"), "ReLU", s, 0, 0, rf));
        return rf;
    }
}
