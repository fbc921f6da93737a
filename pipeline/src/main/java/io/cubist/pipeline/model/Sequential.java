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
        int[] s = in;
        for (Child c : children) {
            s = c.module().outputShape(s);
        }
        return s.clone();
    }

    @Override
    public long macs(int[] in) {
        long m = 0;
        int[] s = in;
        for (Child c : children) {
            m += c.module().macs(s);
            s = c.module().outputShape(s);
        }
        return m;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        ReceptiveField rf = ReceptiveField.IDENTITY;
        int[] s = in;
        for (Child c : children) {
            rf = rf.then(c.module().receptiveField(s));
            s = c.module().outputShape(s);
        }
        return rf;
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        List<Op> ops = new ArrayList<>();
        for (Child c : children) {
            ops.addAll(c.module().lower(weights, Module.join(path, c.name())));
        }
        return List.copyOf(ops);
    }

    @Override
    public ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = rfIn;
        int[] s = in;
        for (Child c : children) {
            rf = c.module().summarize(Module.join(path, c.name()), s, rf, rows);
            s = c.module().outputShape(s);
        }
        return rf;
    }

    @Override
    public String toString() {
        return "Sequential" + children.stream().map(c -> c.name() + "=" + c.module()).toList();
    }
}
