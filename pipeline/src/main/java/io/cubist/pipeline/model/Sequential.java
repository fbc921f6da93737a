package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code nn.Sequential}: children run in order, each fed the previous one's output. Children are named
 * {@code "0", "1", ...} ({@link #of}) as PyTorch numbers them, or given names ({@link #named}, as
 * {@code nn.Sequential(OrderedDict(...))} or a module's attributes); a child's state is keyed under its name.
 * Output shape, MACs and receptive field compose child by child.
 */
public final class Sequential implements Module {

    private final List<Child> children;

    private Sequential(List<Child> children) {
        Set<String> seen = new HashSet<>();
        for (Child c : children) {
            if (!seen.add(c.name())) {
                throw new IllegalArgumentException("Sequential: two children named '" + c.name() + "'");
            }
        }
        this.children = List.copyOf(children);
    }

    /** Children named by their index, as {@code nn.Sequential(a, b, c)}. */
    public static Sequential of(Module... modules) {
        List<Child> c = new ArrayList<>();
        for (int i = 0; i < modules.length; i++) {
            c.add(new Child(Integer.toString(i), modules[i]));
        }
        return new Sequential(c);
    }

    public static Sequential named(List<Child> children) {
        return new Sequential(children);
    }

    @Override
    public String kind() {
        return "Sequential";
    }

    @Override
    public List<Child> children() {
        return children;
    }

    @Override
    public int[] outputShape(int[] in) {
        return Chain.outputShape(children, in).clone();
    }

    @Override
    public long macs(int[] in) {
        return Chain.macs(children, in);
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return Chain.receptiveField(children, in);
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return lower(weights, path, Taps.NONE);
    }

    @Override
    public List<Op> lower(StateDict weights, String path, Taps taps) {
        return List.copyOf(Chain.lower(children, weights, path, taps));
    }

    @Override
    public List<Child> tappableChildren() {
        return children;
    }

    @Override
    public int[] layerShape(String path, String layer, int[] in) {
        return Chain.layerShape(children, path, layer, in);
    }

    @Override
    public ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        return Chain.summarize(children, path, in, rfIn, rows);
    }

    @Override
    public String toString() {
        return "Sequential" + children.stream().map(c -> c.name() + "=" + c.module()).toList();
    }
}
