package io.cubist.kernels.device;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Splits grouped convolutions across devices the way AlexNet split its grouped layers over two GPUs: each grouped
 * layer's groups are divided among the {@link Slot}s in proportion to their speed, every slot convolving only its
 * own groups with its own slice of the weights. The split of {@code G} groups is the same for every layer with
 * {@code G} groups, so consecutive grouped layers find their input already where they need it and no data moves;
 * data moves only where a layer needs channels another slot holds: a layer with {@code groups = 1} (it reads every
 * channel) gathers them on slot 0, and the next grouped layer scatters them again. Every byte that crosses slots
 * is counted ({@link #bytesMoved()}).
 *
 * <p>Slot 0 is the primary: ungrouped layers and everything that is not a per-channel op run there. Per-channel ops
 * (ReLU, batch norm, pooling) run on whichever slot holds the channels.
 */
public final class DevicePlan {

    /**
     * One device with the backend that drives it and its relative speed (any positive unit: the split only uses
     * ratios).
     */
    public record Slot(String name, Backend backend, double speed) {
        public Slot {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(backend, "backend");
            if (!(speed > 0) || Double.isInfinite(speed)) {
                throw new IllegalArgumentException("slot " + name + ": speed must be positive and finite, got "
                        + speed);
            }
        }
    }

    private final List<Slot> slots;
    private final AtomicLong bytesMoved = new AtomicLong();
    private final java.util.Set<Integer> groupCounts = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private DevicePlan(List<Slot> slots) {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("a device plan needs at least one slot");
        }
        this.slots = List.copyOf(slots);
    }

    public static DevicePlan of(List<Slot> slots) {
        return new DevicePlan(slots);
    }

    /**
     * A plan whose speeds are measured: each backend runs {@link #calibrationSpec()} on a
     * {@code [1, 32, 4, 16, 16]} input (after one untimed run) and its speed is the inverse of the best of
     * {@code runs} times.
     */
    public static DevicePlan measured(List<String> names, List<Backend> backends, int runs) {
        if (names.size() != backends.size()) {
            throw new IllegalArgumentException("one name per backend, got " + names.size() + " and "
                    + backends.size());
        }
        ConvSpec spec = calibrationSpec();
        Tensor w = Tensor.random(1, spec.weightShape());
        Tensor b = Tensor.random(2, spec.outChannels());
        Tensor x = Tensor.random(3, 1, spec.inChannels(), 4, 16, 16);
        List<Slot> s = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            PreparedConv p = backends.get(i).prepare(spec, w, b);
            p.forward(x);
            long best = Long.MAX_VALUE;
            for (int r = 0; r < Math.max(1, runs); r++) {
                long t0 = System.nanoTime();
                p.forward(x);
                best = Math.min(best, System.nanoTime() - t0);
            }
            s.add(new Slot(names.get(i), backends.get(i), 1e9 / Math.max(1, best)));
        }
        return new DevicePlan(s);
    }

    /** What {@link #measured} times: a grouped 3x3x3 convolution, 32 to 32 channels, 2 groups. */
    public static ConvSpec calibrationSpec() {
        return ConvSpec.builder(3, 32, 32, 3, 3, 3).padding(1).groups(2).build();
    }

    public List<Slot> slots() {
        return slots;
    }

    public Backend primary() {
        return slots.get(0).backend();
    }

    /** Every slot's backend, in slot order. */
    public List<Backend> backends() {
        return slots.stream().map(Slot::backend).toList();
    }

    /** The group counts of the grouped convolutions prepared on this plan (each split by {@link #split}). */
    public java.util.Set<Integer> groupCounts() {
        return java.util.Set.copyOf(groupCounts);
    }

    /** Bytes copied between slots so far (gathers and scatters of activations; weights are not counted). */
    public long bytesMoved() {
        return bytesMoved.get();
    }

    public void resetBytesMoved() {
        bytesMoved.set(0);
    }

    /**
     * How many of {@code groups} groups each slot gets: proportional to speed, rounded by largest remainder (ties
     * to the earlier slot), summing to {@code groups}. The same {@code groups} always gives the same split.
     */
    public int[] split(int groups) {
        double total = slots.stream().mapToDouble(Slot::speed).sum();
        int[] n = new int[slots.size()];
        double[] rem = new double[slots.size()];
        int given = 0;
        for (int i = 0; i < n.length; i++) {
            double share = groups * slots.get(i).speed() / total;
            n[i] = (int) Math.floor(share);
            rem[i] = share - n[i];
            given += n[i];
        }
        while (given < groups) {
            int best = 0;
            for (int i = 1; i < n.length; i++) {
                if (rem[i] > rem[best]) {
                    best = i;
                }
            }
            n[best]++;
            rem[best] = -1;
            given++;
        }
        return n;
    }

    /** The channel counts per slot when {@code channels} channels in {@code groups} groups are split. */
    public int[] channelSplit(int groups, int channels) {
        int[] g = split(groups);
        int per = channels / groups;
        for (int i = 0; i < g.length; i++) {
            g[i] *= per;
        }
        return g;
    }

    /** All of {@code x} on slot 0; parts from other slots are counted as moved. */
    public Tensor gather(Sharded x) {
        if (x.isWhole()) {
            return x.part(0);
        }
        Tensor first = null;
        for (int i = 0; i < x.slots(); i++) {
            if (x.part(i) != null) {
                first = x.part(i);
                break;
            }
        }
        int[] shape = first.shape();
        int n = shape[0];
        int c = 0;
        for (int i = 0; i < x.slots(); i++) {
            c += x.channels(i);
        }
        int inner = first.numel() / (n * first.dim(1));
        shape[1] = c;
        Tensor out = Tensor.zeros(shape);
        for (int i = 0; i < x.slots(); i++) {
            Tensor p = x.part(i);
            if (p == null) {
                continue;
            }
            int ci = x.channels(i);
            for (int b = 0; b < n; b++) {
                System.arraycopy(p.data(), b * ci * inner, out.data(), (b * c + x.start(i)) * inner, ci * inner);
            }
            if (i != 0) {
                bytesMoved.addAndGet(4L * p.numel());
            }
        }
        return out;
    }

    /** {@code x} split as {@code counts} channels per slot; parts sent from slot 0 to others are counted. */
    public Sharded scatter(Sharded x, int[] counts) {
        if (x.splitIs(counts)) {
            return x;
        }
        Tensor whole = gather(x);
        int[] shape = whole.shape();
        int n = shape[0];
        int c = shape[1];
        if (Arrays.stream(counts).sum() != c) {
            throw new IllegalArgumentException("cannot split " + c + " channels as " + Arrays.toString(counts));
        }
        int inner = whole.numel() / Math.max(1, n * c);
        Tensor[] parts = new Tensor[counts.length];
        int start = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            int[] s = shape.clone();
            s[1] = counts[i];
            Tensor p = Tensor.zeros(s);
            for (int b = 0; b < n; b++) {
                System.arraycopy(whole.data(), (b * c + start) * inner, p.data(), b * counts[i] * inner,
                        counts[i] * inner);
            }
            parts[i] = p;
            start += counts[i];
            if (i != 0) {
                bytesMoved.addAndGet(4L * p.numel());
            }
        }
        return Sharded.of(counts, parts);
    }

    /**
     * Prepares a convolution across the slots: a grouped one ({@code groups > 1}, more than one slot) as one
     * sub-convolution per slot over that slot's groups; any other on slot 0.
     */
    public PartitionedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        return new PartitionedConv(spec, weight, bias);
    }

    /** A convolution prepared across the slots of its plan ({@link #prepare}). */
    public final class PartitionedConv {
        private final ConvSpec spec;
        private final int[] groupSplit;
        private final PreparedConv[] parts;

        private PartitionedConv(ConvSpec spec, Tensor weight, Tensor bias) {
            this.spec = spec;
            parts = new PreparedConv[slots.size()];
            if (spec.groups() == 1 || slots.size() == 1) {
                groupSplit = new int[slots.size()];
                groupSplit[0] = spec.groups();
                parts[0] = primary().prepare(spec, weight, bias);
                return;
            }
            groupSplit = split(spec.groups());
            groupCounts.add(spec.groups());
            int g0 = 0;
            int wPerGroup = weight.numel() / spec.groups();
            int outPerGroup = spec.outChannels() / spec.groups();
            for (int i = 0; i < parts.length; i++) {
                int g = groupSplit[i];
                if (g == 0) {
                    continue;
                }
                // weight rows of groups [g0, g0+g): conv [O, I/g, k] and transposed [I, O/g, k] are both group-major
                int[] ws = weight.shape();
                ws[0] = ws[0] / spec.groups() * g;
                Tensor w = new Tensor(Arrays.copyOfRange(weight.data(), g0 * wPerGroup, (g0 + g) * wPerGroup), ws);
                Tensor b = bias == null ? null : new Tensor(Arrays.copyOfRange(bias.data(), g0 * outPerGroup,
                        (g0 + g) * outPerGroup), g * outPerGroup);
                parts[i] = slots.get(i).backend().prepare(subSpec(spec, g), w, b);
                g0 += g;
            }
        }

        public ConvSpec spec() {
            return spec;
        }

        /** Groups per slot. */
        public int[] groupSplit() {
            return groupSplit.clone();
        }

        /** {@code relu?(conv(x))}, each slot convolving its groups; input parts are moved only if misplaced. */
        public Sharded forward(Sharded x, boolean relu) {
            int per = spec.inChannels() / spec.groups();
            int[] in = new int[groupSplit.length];
            int[] out = new int[groupSplit.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = groupSplit[i] * per;
                out[i] = groupSplit[i] * (spec.outChannels() / spec.groups());
            }
            Sharded placed = scatter(x, in);
            Tensor[] ys = new Tensor[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] != null) {
                    ys[i] = parts[i].forward(placed.part(i), null, relu);
                }
            }
            return Sharded.of(out, ys);
        }
    }

    /** {@code spec} restricted to {@code g} of its groups. */
    static ConvSpec subSpec(ConvSpec s, int g) {
        int in = s.inChannels() / s.groups() * g;
        int out = s.outChannels() / s.groups() * g;
        return new ConvSpec(s.spatialDims(), in, out, s.kernel(), s.stride(), s.paddingKind(), s.padBefore(),
                s.padAfter(), s.dilation(), g, s.bias(), s.paddingMode(), s.outputPadding(), s.transposed(),
                s.flip());
    }

    /** A plan's slots and split, for logs and manifests. */
    public String describe(int groups) {
        StringBuilder b = new StringBuilder();
        int[] n = split(groups);
        for (int i = 0; i < slots.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(slots.get(i).name()).append(" (").append(slots.get(i).backend()
                    .name()).append(String.format(", speed %.3g", slots.get(i).speed())).append("): ").append(n[i])
                    .append('/').append(groups).append(" groups");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "DevicePlan" + slots.stream().map(Slot::name).toList();
    }
}
