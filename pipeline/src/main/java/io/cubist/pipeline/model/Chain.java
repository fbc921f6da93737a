package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.List;

/**
 * Children run one after another, each fed the previous one's output: the arithmetic of {@link Sequential}, of a
 * {@link ResidualBlock}'s two paths and of a {@link Concat}'s branches, in one place.
 */
final class Chain {

    private Chain() {
    }

    static int[] outputShape(List<Module.Child> chain, int[] in) {
        int[] s = in;
        for (Module.Child c : chain) {
            s = c.module().outputShape(s);
        }
        return s;
    }

    static long macs(List<Module.Child> chain, int[] in) {
        long m = 0;
        int[] s = in;
        for (Module.Child c : chain) {
            m += c.module().macs(s);
            s = c.module().outputShape(s);
        }
        return m;
    }

    static ReceptiveField receptiveField(List<Module.Child> chain, int[] in) {
        ReceptiveField rf = ReceptiveField.IDENTITY;
        int[] s = in;
        for (Module.Child c : chain) {
            rf = rf.then(c.module().receptiveField(s));
            s = c.module().outputShape(s);
        }
        return rf;
    }

    /**
     * The output shape of the descendant at {@code layer} for an input {@code in} to the chain, or null when it is
     * not in the chain ({@link Module#layerShape}).
     */
    static int[] layerShape(List<Module.Child> chain, String path, String layer, int[] in) {
        int[] s = in;
        for (Module.Child c : chain) {
            String at = Module.join(path, c.name());
            if (at.equals(layer)) {
                return c.module().outputShape(s);
            }
            if (layer.startsWith(at + ".")) {
                return c.module().layerShape(at, layer, s);
            }
            s = c.module().outputShape(s);
        }
        return null;
    }

    /** Each child's summary rows under {@code path}; returns the receptive field of the chain's output. */
    static ReceptiveField summarize(List<Module.Child> chain, String path, int[] in, ReceptiveField rfIn,
                                    List<SummaryRow> rows) {
        ReceptiveField rf = rfIn;
        int[] s = in;
        for (Module.Child c : chain) {
            rf = c.module().summarize(Module.join(path, c.name()), s, rf, rows);
            s = c.module().outputShape(s);
        }
        return rf;
    }

    /**
     * The children's ops in order, each reading its weights under {@code path.name}, with an {@link Op.Tap} after
     * each child {@code taps} asks for.
     */
    static List<Op> lower(List<Module.Child> chain, StateDict weights, String path, Taps taps) {
        List<Op> ops = new ArrayList<>();
        for (Module.Child c : chain) {
            String at = Module.join(path, c.name());
            ops.addAll(c.module().lower(weights, at, taps));
            if (taps.wants(at)) {
                ops.add(taps.tap(at));
            }
        }
        return ops;
    }
}
