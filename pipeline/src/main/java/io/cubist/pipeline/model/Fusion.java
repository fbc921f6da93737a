package io.cubist.pipeline.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Inference rewrites of a lowered op list, applied once when a module is prepared:
 * <ul>
 *   <li>a {@link Op.BatchNorm} right after a {@link Op.Conv} is folded into the convolution's weight and bias
 *       ({@link BatchNormFolding});</li>
 *   <li>a {@link Op.Relu} right after a convolution or a residual block becomes that op's {@code relu} flag, so it
 *       runs in the convolution's epilogue;</li>
 *   <li>inside a {@link Op.Residual}, the same rules apply to both paths (the residual addition itself is fused by
 *       {@link Op.Residual#prepare}); inside a {@link Op.Concat}, to every branch; inside a {@link Op.Gate}, to the gate; a swish right after a gate runs in the gate's pass.</li>
 * </ul>
 * Anything else is kept as it is: a batch norm with no convolution before it runs on its own.
 */
public final class Fusion {

    private Fusion() {
    }

    public static List<Op> fuse(List<Op> ops) {
        List<Op> out = new ArrayList<>();
        for (Op op : ops) {
            Op o = op instanceof Op.Residual r
                    ? new Op.Residual(r.key(), fuse(r.main()), fuse(r.shortcut()), r.relu()) : op;
            if (op instanceof Op.Gate g) {
                o = new Op.Gate(g.key(), fuse(g.gate()), g.swish());
            }
            if (op instanceof Op.Concat c) {
                o = new Op.Concat(c.key(), c.branches().stream().map(Fusion::fuse).toList());
            }
            Op prev = out.isEmpty() ? null : out.get(out.size() - 1);
            if (o instanceof Op.BatchNorm bn && prev instanceof Op.Conv c && !c.relu()) {
                out.set(out.size() - 1, BatchNormFolding.fold(c, bn));
            } else if (o instanceof Op.Relu && prev instanceof Op.Conv c) {
                out.set(out.size() - 1, c.withRelu());
            } else if (o instanceof Op.Relu && prev instanceof Op.Residual r) {
                out.set(out.size() - 1, r.withRelu());
            } else if (o instanceof Op.Elementwise e && e.function() == Activation.Function.SWISH
                    && prev instanceof Op.Gate g && !g.swish()) {
                out.set(out.size() - 1, new Op.Gate(g.key(), g.gate(), true)); // one pass: scale, then swish
            } else if (o instanceof Op.Relu && prev instanceof Op.Relu) {
                continue; // relu(relu(x)) = relu(x)
            } else {
                out.add(o);
            }
        }
        return List.copyOf(out);
    }
}
