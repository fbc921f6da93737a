package io.cubist.pipeline.model;

import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.device.DevicePlan;
import io.cubist.kernels.device.Sharded;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a lowered, fused op list ({@link Op}) across the slots of a {@link DevicePlan}: grouped convolutions split
 * group-wise over the slots, per-channel ops (ReLU, batch norm, pooling) run on whichever slot holds each channel,
 * and everything else (ungrouped convolutions, linear layers, residual and concatenation blocks) on the plan's
 * primary slot after the channels are gathered there; residual blocks and concatenations split inside (each path as
 * its own op list) and join on the primary. The plan counts the bytes that cross slots.
 */
final class Partitioned {

    /** One op over a split activation. */
    @FunctionalInterface
    private interface Step {
        Sharded forward(Sharded x);
    }

    /** The per-channel op for a slot's part: {@code n} channels from channel {@code c0}. */
    @FunctionalInterface
    private interface ChannelOp {
        OpSpec spec(int c0, int n);
    }

    private Partitioned() {
    }

    static PreparedModule prepare(List<Op> ops, DevicePlan plan) {
        List<Step> steps = ops.stream().map(o -> step(o, plan)).toList();
        int slots = plan.slots().size();
        return x -> {
            Sharded s = Sharded.whole(x, slots);
            for (Step st : steps) {
                s = st.forward(s);
            }
            return plan.gather(s);
        };
    }

    private static Step step(Op op, DevicePlan plan) {
        if (op instanceof Op.Conv c) {
            DevicePlan.PartitionedConv p = plan.prepare(c.spec(), c.weight(), c.bias());
            return x -> p.forward(x, c.relu());
        }
        if (op instanceof Op.Relu) {
            return perChannel(plan, (c0, n) -> new OpSpec.Pointwise(OpSpec.Function.RELU));
        }
        if (op instanceof Op.MaxPool m) {
            return perChannel(plan, (c0, n) -> new OpSpec.MaxPool(m.spec()));
        }
        if (op instanceof Op.AvgPool a) {
            return perChannel(plan, (c0, n) -> new OpSpec.AvgPool(a.spec()));
        }
        if (op instanceof Op.AdaptiveAvgPool a) {
            return perChannel(plan, (c0, n) -> new OpSpec.AdaptiveAvgPool(a.outputSize()));
        }
        if (op instanceof Op.BatchNorm b) {
            return perChannel(plan, (c0, n) -> new OpSpec.BatchNorm(slice(b.runningMean(), c0, n),
                    slice(b.runningVar(), c0, n), slice(b.weight(), c0, n), slice(b.bias(), c0, n), b.eps()));
        }
        int slots = plan.slots().size();
        if (op instanceof Op.Residual r) {
            // the paths split as they go (the grouped convolutions inside a block included), summed on slot 0
            PreparedModule main = prepare(r.main(), plan);
            PreparedModule shortcut = r.shortcut().isEmpty() ? x -> x : prepare(r.shortcut(), plan);
            PreparedOp add = plan.primary().prepare(new OpSpec.Add(r.relu()));
            return x -> {
                Tensor whole = plan.gather(x);
                Tensor y = main.forward(whole);
                Tensor sc = shortcut.forward(whole);
                return Sharded.whole(Op.named(r.key(), () -> add.forward(y, sc)), slots);
            };
        }
        if (op instanceof Op.Concat c) {
            List<PreparedModule> branches = c.branches().stream().map(b -> prepare(b, plan)).toList();
            PreparedOp cat = plan.primary().prepare(new OpSpec.Concat());
            return x -> {
                Tensor whole = plan.gather(x);
                Tensor[] ys = new Tensor[branches.size()];
                for (int i = 0; i < ys.length; i++) {
                    ys[i] = branches.get(i).forward(whole);
                }
                return Sharded.whole(Op.named(c.key(), () -> cat.forward(ys)), slots);
            };
        }
        PreparedModule whole = op.prepare(plan.primary());
        return x -> Sharded.whole(whole.forward(plan.gather(x)), slots);
    }

    /** A per-channel op, prepared once per slot and channel range on that slot's backend. */
    private static Step perChannel(DevicePlan plan, ChannelOp f) {
        Map<String, PreparedOp> prepared = new ConcurrentHashMap<>();
        return x -> {
            int n = x.slots();
            int[] counts = new int[n];
            Tensor[] parts = new Tensor[n];
            for (int i = 0; i < n; i++) {
                if (x.part(i) != null) {
                    int slot = i;
                    int c0 = x.start(i);
                    int c = x.channels(i);
                    PreparedOp p = prepared.computeIfAbsent(slot + "/" + c0 + "/" + c,
                            k -> plan.slots().get(slot).backend().prepare(f.spec(c0, c)));
                    parts[i] = p.forward(x.part(i));
                    counts[i] = c;
                }
            }
            return Sharded.of(counts, parts);
        };
    }

    private static Tensor slice(Tensor perChannel, int c0, int n) {
        return perChannel == null ? null : new Tensor(Arrays.copyOfRange(perChannel.data(), c0, c0 + n), n);
    }
}
