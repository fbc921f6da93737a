package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code relu(main(x) + shortcut(x))}, the residual unit of torchvision's ResNets ({@link BasicBlock},
 * {@link Bottleneck}: {@code main} is the block's convolution children run in order, {@code shortcut} its
 * {@code downsample} child or, when it has none, the identity) and of PyTorchVideo's ({@link ResBlock}).
 * Prepared, the addition and the ReLU run in the epilogue of the main path's last convolution.
 *
 * <p>The receptive field of the block is, per axis, the larger of the two paths' (they share input and output).
 */
public abstract sealed class ResidualBlock implements Module permits BasicBlock, Bottleneck, ResBlock,
        Residual {

    private final List<Child> main;
    private final List<Child> shortcut;
    private final String activation;
    private final boolean relu;
    private final List<Child> children;

    /**
     * torchvision's layout: {@code conv1..}, then {@code relu}, then {@code downsample} when there is one.
     *
     * @param main       the main path's children, in order ({@code conv1}, {@code conv2}, ...)
     * @param downsample the shortcut, or null for the identity
     */
    ResidualBlock(List<Child> main, Module downsample) {
        this(main, downsample == null ? List.of() : List.of(new Child("downsample", downsample)), "relu",
                registration(main, downsample));
    }

    private static List<Child> registration(List<Child> main, Module downsample) {
        List<Child> all = new ArrayList<>(main);
        all.add(new Child("relu", new ReLU()));
        if (downsample != null) {
            all.add(new Child("downsample", downsample));
        }
        return all;
    }

    /**
     * Any layout: {@code main} and {@code shortcut} (empty: the identity) each run their children in order, the sum
     * goes through the ReLU child named {@code activation}; {@code children} is every child in registration order
     * ({@code state_dict} order), the two paths' and the activation's.
     */
    ResidualBlock(List<Child> main, List<Child> shortcut, String activation, List<Child> children) {
        this(main, shortcut, activation, children, true);
    }

    /** As above; {@code relu} false: the plain sum, no activation after it ({@code activation} is then unused). */
    ResidualBlock(List<Child> main, List<Child> shortcut, String activation, List<Child> children, boolean relu) {
        this.main = List.copyOf(main);
        this.shortcut = List.copyOf(shortcut);
        this.activation = activation;
        this.relu = relu;
        this.children = List.copyOf(children);
    }

    @Override
    public final List<Child> children() {
        return children;
    }

    @Override
    public final int[] outputShape(int[] in) {
        if (in.length < 3) {
            throw new IllegalArgumentException(kind() + " expects an input [N, C, spatial...], got "
                    + Arrays.toString(in));
        }
        int[] m = Chain.outputShape(main, in);
        int[] r = Chain.outputShape(shortcut, in);
        if (!Arrays.equals(m, r)) {
            throw new IllegalArgumentException(kind() + ": for input " + Arrays.toString(in) + " the main path gives "
                    + Arrays.toString(m) + " but the shortcut gives " + Arrays.toString(r)
                    + (shortcut.isEmpty() ? " (identity; a downsample is needed)" : ""));
        }
        return m.clone();
    }

    @Override
    public final long macs(int[] in) {
        return Chain.macs(main, in) + Chain.macs(shortcut, in);
    }

    @Override
    public final ReceptiveField receptiveField(int[] in) {
        ReceptiveField rf = Chain.receptiveField(main, in);
        return shortcut.isEmpty() ? rf : ReceptiveField.max(rf, Chain.receptiveField(shortcut, in));
    }

    @Override
    public final List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public final List<Op> lower(StateDict weights, String path) {
        return lower(weights, path, Taps.NONE);
    }

    @Override
    public final List<Op> lower(StateDict weights, String path, Taps taps) {
        return List.of(new Op.Residual(path, Chain.lower(main, weights, path, taps),
                Chain.lower(shortcut, weights, path, taps), relu));
    }

    @Override
    public final int[] layerShape(String path, String layer, int[] in) {
        int[] s = Chain.layerShape(main, path, layer, in);
        return s != null ? s : Chain.layerShape(shortcut, path, layer, in);
    }

    /** The two paths' children (the block's own ReLU runs inside the residual addition: tap the block instead). */
    @Override
    public final List<Child> tappableChildren() {
        List<Child> all = new ArrayList<>(main);
        all.addAll(shortcut);
        return all;
    }

    /** Rows in forward order: the main path, the shortcut, then the block's ReLU (its output). */
    @Override
    public final ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = Chain.summarize(main, path, in, rfIn, rows);
        if (!shortcut.isEmpty()) {
            rf = ReceptiveField.max(rf, Chain.summarize(shortcut, path, in, rfIn, rows));
        }
        rows.add(relu ? new SummaryRow(Module.join(path, activation), "ReLU", Chain.outputShape(main, in), 0, 0, rf)
                : new SummaryRow(path, kind() + " (sum)", Chain.outputShape(main, in), 0, 0, rf));
        return rf;
    }
}
