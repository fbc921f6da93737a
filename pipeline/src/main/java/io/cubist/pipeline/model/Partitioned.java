package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.device.DevicePlan;
import io.cubist.kernels.device.Sharded;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a lowered, fused op list ({@link Op}) across the slots of a {@link DevicePlan}: grouped convolutions split
 * group-wise over the slots, per-channel ops (ReLU, batch norm, pooling) run on whichever slot holds each channel,
 * and everything else (ungrouped convolutions, linear layers, residual and concatenation blocks) on the plan's
 * primary slot after the channels are gathered there. The plan counts the bytes that cross slots.
 */
final class Partitioned {

    /** One op over a split activation. */
    @FunctionalInterface
    private interface Step {
        Sharded forward(Sharded x);
    }

    /** A per-channel op applied to a slot's part, which starts at channel {@code c0}. */
    @FunctionalInterface
    private interface ChannelOp {
        Tensor apply(Backend backend, Tensor part, int c0);
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
            return perChannel(plan, (b, t, c0) -> b.relu(t));
        }
        if (op instanceof Op.MaxPool m) {
            return perChannel(plan, (b, t, c0) -> b.maxPool3d(m.spec(), t));
        }
        if (op instanceof Op.AvgPool a) {
            return perChannel(plan, (b, t, c0) -> b.avgPool3d(a.spec(), t));
        }
        if (op instanceof Op.AdaptiveAvgPool a) {
            return perChannel(plan, (b, t, c0) -> b.adaptiveAvgPool3d(t, a.outputSize()));
        }
        if (op instanceof Op.BatchNorm n) {
            return perChannel(plan, (b, t, c0) -> b.batchNorm(t, slice(n.runningMean(), c0, t.dim(1)),
                    slice(n.runningVar(), c0, t.dim(1)), slice(n.weight(), c0, t.dim(1)),
                    slice(n.bias(), c0, t.dim(1)), n.eps()));
        }
        PreparedModule whole = op.prepare(plan.primary());
        int slots = plan.slots().size();
        return x -> Sharded.whole(whole.forward(plan.gather(x)), slots);
    }

    private static Step perChannel(DevicePlan plan, ChannelOp f) {
        return x -> {
            int n = x.slots();
            int[] counts = new int[n];
            Tensor[] parts = new Tensor[n];
            for (int i = 0; i < n; i++) {
                if (x.part(i) != null) {
                    parts[i] = f.apply(plan.slots().get(i).backend(), x.part(i), x.start(i));
                    counts[i] = x.channels(i);
                }
            }
            return Sharded.of(counts, parts);
        };
    }

    private static Tensor slice(Tensor perChannel, int c0, int n) {
        return perChannel == null ? null : new Tensor(Arrays.copyOfRange(perChannel.data(), c0, c0 + n), n);
    }
}
