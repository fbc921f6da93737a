package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parallel branches joined on the channels, {@code torch.cat([b(x) for b in branches], dim=1)}: the shape of
 * torchvision's {@code SepInceptionBlock3D} (S3D), whose {@code forward} runs {@code branch0..branch3} on the same
 * input and concatenates. {@code [N, C, D, H, W] -> [N, sum(C_i), D', H', W']}; every branch must give the same
 * N, D', H' and W'.
 *
 * <p>State: each branch's, keyed under the branch's name ({@code branch1.0.0.weight}). MACs are the branches' sum;
 * the receptive field is, per axis, the largest branch's.
 */
public final class Concat implements Module {

    private final String kind;
    private final List<List<Child>> branches;
    private final List<Child> children;

    /**
     * @param kind     the PyTorch class this block matches, for the summary ({@code SepInceptionBlock3D})
     * @param branches the branches in concatenation order, named as the PyTorch module's attributes
     */
    public Concat(String kind, List<Child> branches) {
        this(kind, branches.stream().map(List::of).toList(), true);
    }

    /**
     * Branches that are each a short chain of children named at the block's own level, as the InceptionI3d port
     * registers them ({@code b1a}, {@code b1b}: keys {@code Mixed_3b.b1a.conv3d.weight}, not
     * {@code Mixed_3b.b1.0...}).
     *
     * @param branches each branch's children in the order they run
     */
    public static Concat flat(String kind, List<List<Child>> branches) {
        return new Concat(kind, branches, true);
    }

    // the flag only sets this signature apart: List<Child> and List<List<Child>> erase alike
    private Concat(String kind, List<List<Child>> branches, boolean flat) {
        if (kind == null || kind.isBlank()) {
            throw new IllegalArgumentException("Concat: kind must be a class name, got '" + kind + "'");
        }
        if (branches.isEmpty()) {
            throw new IllegalArgumentException(kind + ": a concatenation needs at least one branch");
        }
        Set<String> seen = new HashSet<>();
        List<Child> all = new ArrayList<>();
        for (List<Child> b : branches) {
            if (b.isEmpty()) {
                throw new IllegalArgumentException(kind + ": an empty branch");
            }
            for (Child c : b) {
                if (!seen.add(c.name())) {
                    throw new IllegalArgumentException(kind + ": two branches named '" + c.name() + "'");
                }
                all.add(c);
            }
        }
        this.kind = kind;
        this.branches = branches.stream().map(List::copyOf).toList();
        this.children = List.copyOf(all);
    }

    private static String name(List<Child> branch) {
        return branch.get(0).name();
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public List<Child> children() {
        return children;
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(kind, in, -1);
        int[] out = null;
        for (List<Child> c : branches) {
            int[] s = Chain.outputShape(c, in);
            if (out == null) {
                out = s.clone();
            } else if (s.length != out.length || s[0] != out[0] || !Arrays.equals(s, 2, s.length, out, 2,
                    out.length)) {
                throw new IllegalArgumentException(kind + ": for input " + Arrays.toString(in) + " branch '"
                        + name(c) + "' gives " + Arrays.toString(s) + " but '" + name(branches.get(0))
                        + "' gives " + Arrays.toString(Chain.outputShape(branches.get(0), in))
                        + "; only the channels may differ");
            } else {
                out[1] += s[1];
            }
        }
        return out;
    }

    @Override
    public long macs(int[] in) {
        return branches.stream().mapToLong(b -> Chain.macs(b, in)).sum();
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        ReceptiveField rf = null;
        for (List<Child> b : branches) {
            ReceptiveField r = Chain.receptiveField(b, in);
            rf = rf == null ? r : ReceptiveField.max(rf, r);
        }
        return rf;
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
        List<List<Op>> ops = new ArrayList<>();
        for (List<Child> b : branches) {
            ops.add(Chain.lower(b, weights, path, taps));
        }
        return List.of(new Op.Concat(path, ops));
    }

    @Override
    public List<Child> tappableChildren() {
        return children;
    }

    @Override
    public int[] layerShape(String path, String layer, int[] in) {
        for (List<Child> b : branches) {
            int[] s = Chain.layerShape(b, path, layer, in);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    /** Rows of each branch in order, each from the block's input, then one row for the concatenated output. */
    @Override
    public ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = null;
        for (List<Child> b : branches) {
            ReceptiveField r = Chain.summarize(b, path, in, rfIn, rows);
            rf = rf == null ? r : ReceptiveField.max(rf, r);
        }
        rows.add(new SummaryRow(path, kind + " (cat)", outputShape(in), 0, 0, rf));
        return rf;
    }

    @Override
    public String toString() {
        return kind + children.stream().map(c -> c.name() + "=" + c.module()).toList();
    }
}
