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
    private final List<Child> branches;

    /**
     * @param kind     the PyTorch class this block matches, for the summary ({@code SepInceptionBlock3D})
     * @param branches the branches in concatenation order, named as the PyTorch module's attributes
     */
    public Concat(String kind, List<Child> branches) {
        if (kind == null || kind.isBlank()) {
            throw new IllegalArgumentException("Concat: kind must be a class name, got '" + kind + "'");
        }
        if (branches.isEmpty()) {
            throw new IllegalArgumentException(kind + ": a concatenation needs at least one branch");
        }
        Set<String> seen = new HashSet<>();
        for (Child c : branches) {
            if (!seen.add(c.name())) {
                throw new IllegalArgumentException(kind + ": two branches named '" + c.name() + "'");
            }
        }
        this.kind = kind;
        this.branches = List.copyOf(branches);
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public List<Child> children() {
        return branches;
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(kind, in, -1);
        int[] out = null;
        for (Child c : branches) {
            int[] s = c.module().outputShape(in);
            if (out == null) {
                out = s.clone();
            } else if (s.length != out.length || s[0] != out[0] || !Arrays.equals(s, 2, s.length, out, 2,
                    out.length)) {
                throw new IllegalArgumentException(kind + ": for input " + Arrays.toString(in) + " branch '"
                        + c.name() + "' gives " + Arrays.toString(s) + " but '" + branches.get(0).name()
                        + "' gives " + Arrays.toString(branches.get(0).module().outputShape(in))
                        + "; only the channels may differ");
            } else {
                out[1] += s[1];
            }
        }
        return out;
    }

    @Override
    public long macs(int[] in) {
        return branches.stream().mapToLong(c -> c.module().macs(in)).sum();
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        ReceptiveField rf = null;
        for (Child c : branches) {
            ReceptiveField r = c.module().receptiveField(in);
            rf = rf == null ? r : ReceptiveField.max(rf, r);
        }
        return rf;
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(branches);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        List<List<Op>> ops = new ArrayList<>();
        for (Child c : branches) {
            ops.add(c.module().lower(weights, Module.join(path, c.name())));
        }
        return List.of(new Op.Concat(path, ops));
    }

    /** Rows of each branch in order, each from the block's input, then one row for the concatenated output. */
    @Override
    public ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = null;
        for (Child c : branches) {
            ReceptiveField r = c.module().summarize(Module.join(path, c.name()), in, rfIn, rows);
            rf = rf == null ? r : ReceptiveField.max(rf, r);
        }
        rows.add(new SummaryRow(path, kind + " (cat)", outputShape(in), 0, 0, rf));
        return rf;
    }

    @Override
    public String toString() {
        return kind + branches.stream().map(c -> c.name() + "=" + c.module()).toList();
    }
}
