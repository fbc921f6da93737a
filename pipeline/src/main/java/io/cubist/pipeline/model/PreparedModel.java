package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.device.DevicePlan;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A model ready to run on one backend ({@link Model#prepare}): clips in, features and (with a classifier) logits
 * out. Used from one thread at a time.
 */
public final class PreparedModel {

    /**
     * @param features the classifier's input {@code [N, D]}
     * @param logits   {@code [N, K]}, or null when the weights have no classifier
     * @param layers   the requested layers' outputs in the order asked ({@code [N, C]} averaged over time and
     *                 space, or the map {@code [N, C, D, H, W]} with {@link LayerPool#NONE}); empty when none were
     */
    public record Output(Tensor features, Tensor logits, Map<String, Tensor> layers) {
        public Output(Tensor features, Tensor logits) {
            this(features, logits, Map.of());
        }
    }

    private final Network network;
    private final Backend backend;
    /** Every engine the model runs on: a forward pass is a pass on each ({@link Backend#pass}). */
    private final List<Backend> engines;
    private final PreparedModule backbone;
    private final PreparedModule head;
    private final List<String> layers;
    private final LayerPool pool;
    private final Taps taps;
    /** The devices' plan when the model runs on several, else null. */
    private final DevicePlan plan;
    /** Data-parallel: one copy per device, each batch split among them by the plan's speeds; else null. */
    private final List<PreparedModel> copies;
    /** Data-parallel: a thread per device past the first, which runs on the caller's; else null. */
    private final ExecutorService workers;
    /** What this model's forward passes moved to and from devices and launched (weights not included). */
    private Traffic moved = Traffic.NONE;

    PreparedModel(Network network, List<Backend> engines, PreparedModule backbone, PreparedModule head,
                  List<String> layers, LayerPool pool, Taps taps) {
        this(network, engines, backbone, head, layers, pool, taps, null, null);
    }

    /** A model over the devices of {@code plan}: split by groups, or data-parallel over {@code copies}. */
    PreparedModel(Network network, List<Backend> engines, PreparedModule backbone, PreparedModule head,
                  List<String> layers, LayerPool pool, Taps taps, DevicePlan plan, List<PreparedModel> copies) {
        this.network = network;
        this.engines = List.copyOf(new java.util.LinkedHashSet<>(engines));
        this.backend = this.engines.get(0);
        this.backbone = backbone;
        this.head = head;
        this.layers = List.copyOf(layers);
        this.pool = pool;
        this.taps = taps;
        this.plan = plan;
        this.copies = copies == null ? null : List.copyOf(copies);
        this.workers = copies == null ? null : Executors.newFixedThreadPool(copies.size() - 1, r -> {
            Thread t = new Thread(r, "cubist-device");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A model that splits each batch across {@code copies} (one per device, in the plan's slot order) in proportion
     * to the plan's speeds and runs the parts at once, one thread per device.
     */
    static PreparedModel dataParallel(List<PreparedModel> copies, DevicePlan plan) {
        PreparedModel first = copies.get(0);
        List<Backend> engines = new ArrayList<>();
        copies.forEach(c -> engines.addAll(c.engines));
        return new PreparedModel(first.network, engines, null, null, first.layers, first.pool, Taps.NONE, plan,
                copies);
    }

    /** The devices' plan when the model runs on several ({@code --devices}), else null. */
    public DevicePlan plan() {
        return plan;
    }

    /** Whether a multi-device model splits batches (data-parallel) rather than grouped layers. */
    public boolean dataParallel() {
        return copies != null;
    }

    /** One line per device: how the work is split, for {@code summary}, {@code bench} and manifests. */
    public List<String> describePlan() {
        if (plan == null) {
            return List.of(backend.describe() + ": everything");
        }
        List<String> out = new ArrayList<>();
        List<DevicePlan.Slot> slots = plan.slots();
        if (copies != null) {
            int[] share = plan.split(1000);
            for (int i = 0; i < slots.size(); i++) {
                out.add(String.format(java.util.Locale.ROOT, "%s: %.1f%% of each batch (data-parallel, own copy)",
                        slots.get(i).name(), share[i] / 10.0));
            }
            return out;
        }
        java.util.TreeSet<Integer> groups = new java.util.TreeSet<>(plan.groupCounts());
        for (int i = 0; i < slots.size(); i++) {
            StringBuilder b = new StringBuilder(slots.get(i).name()).append(": ");
            int slot = i;
            b.append(String.join(", ", groups.stream().map(g -> plan.split(g)[slot] + "/" + g + " groups").toList()));
            if (i == 0) {
                b.append("; every ungrouped layer");
            }
            out.add(b.toString());
        }
        return out;
    }

    /** The layers whose outputs {@link Output#layers()} holds. */
    public List<String> layers() {
        return layers;
    }

    public LayerPool layerPool() {
        return pool;
    }

    public Network network() {
        return network;
    }

    /** The engine the model's unsplit layers run on (the first of {@link #engines()}). */
    public Backend backend() {
        return backend;
    }

    /** Every engine the model runs on; one unless it was prepared over a device plan. */
    public List<Backend> engines() {
        return engines;
    }

    /** Runs clips {@code [N, C, T, H, W]} (already normalized); an input the network cannot take is an error. */
    public Output forward(Tensor clips) {
        try {
            network.featureShape(clips.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(network.name() + " cannot take clips of shape "
                    + java.util.Arrays.toString(clips.shape()) + ": " + e.getMessage(), e);
        }
        if (copies != null) {
            return forwardSplit(clips);
        }
        return pass(0, () -> {
            // inside the passes every engine is this model's alone, so the difference is this forward's traffic
            Traffic before = engineTraffic();
            Tensor f = backbone.forward(clips);
            Map<String, Tensor> kept = taps.take();
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String l : layers) {
                Tensor t = kept.get(l);
                if (t == null) {
                    throw new IllegalStateException(network.name() + ": layer " + l + " did not run");
                }
                out.put(l, pool.apply(backend, t));
            }
            Tensor logits = head == null ? null : head.forward(f);
            // the outputs come to the host together, before the pass ends and the device reuses their memory
            List<Tensor> keep = new java.util.ArrayList<>(out.values());
            keep.add(0, f);
            if (logits != null) {
                keep.add(logits);
            }
            for (Backend e : engines) {
                e.fetch(keep);
            }
            Traffic t = engineTraffic().minus(before);
            moved = moved.plus(new Traffic(t.bytesToDevice(), t.bytesFromDevice(), t.launches(), 0, 0));
            return new Output(f, logits, out);
        });
    }

    /**
     * What this model's forward passes have moved between the host and its devices and the kernels they launched,
     * so far ({@link Traffic#NONE} on engines that compute in host memory; weights and buffers are not included).
     */
    public Traffic traffic() {
        if (copies != null) {
            Traffic t = Traffic.NONE;
            for (PreparedModel c : copies) {
                t = t.plus(c.traffic());
            }
            return t;
        }
        return moved;
    }

    private Traffic engineTraffic() {
        Traffic t = Traffic.NONE;
        for (Backend e : engines) {
            t = t.plus(e.traffic());
        }
        return t;
    }

    /** Data-parallel: the batch's rows split by the plan, each part on its device at once, joined in order. */
    private Output forwardSplit(Tensor clips) {
        int n = clips.dim(0);
        int[] counts = plan.split(n);
        List<Future<Output>> parts = new ArrayList<>();
        int at = 0;
        int firstCount = counts[0];
        for (int i = 1; i < counts.length; i++) {
            at += counts[i - 1];
            if (counts[i] == 0) {
                parts.add(null);
                continue;
            }
            Tensor part = rows(clips, at, at + counts[i]);
            PreparedModel copy = copies.get(i);
            parts.add(workers.submit(() -> copy.forward(part)));
        }
        List<Output> outs = new ArrayList<>();
        try {
            if (firstCount > 0) {
                outs.add(copies.get(0).forward(rows(clips, 0, firstCount)));
            }
            for (Future<Output> f : parts) {
                if (f != null) {
                    outs.add(f.get());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the devices ran", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
        Tensor f = joinRows(outs.stream().map(Output::features).toList());
        Tensor logits = outs.get(0).logits() == null ? null : joinRows(outs.stream().map(Output::logits).toList());
        Map<String, Tensor> layersOut = new LinkedHashMap<>();
        for (String l : layers) {
            layersOut.put(l, joinRows(outs.stream().map(o -> o.layers().get(l)).toList()));
        }
        return new Output(f, logits, layersOut);
    }

    /** Rows {@code [from, to)} of {@code t} along its first dimension (a copy). */
    static Tensor rows(Tensor t, int from, int to) {
        int[] s = t.shape();
        int per = t.numel() / Math.max(1, s[0]);
        s[0] = to - from;
        return new Tensor(java.util.Arrays.copyOfRange(t.data(), from * per, to * per), s);
    }

    /** The tensors stacked along their first dimension, in order. */
    static Tensor joinRows(List<Tensor> parts) {
        int[] s = parts.get(0).shape();
        int rows = 0;
        int total = 0;
        for (Tensor p : parts) {
            rows += p.dim(0);
            total += p.numel();
        }
        float[] out = new float[total];
        int at = 0;
        for (Tensor p : parts) {
            System.arraycopy(p.data(), 0, out, at, p.numel());
            at += p.numel();
        }
        s[0] = rows;
        return new Tensor(out, s);
    }

    /** {@code body} inside a pass on every engine from the {@code i}-th on. */
    private Output pass(int i, java.util.function.Supplier<Output> body) {
        if (i == engines.size()) {
            return body.get();
        }
        return engines.get(i).pass(() -> pass(i + 1, body));
    }
}
