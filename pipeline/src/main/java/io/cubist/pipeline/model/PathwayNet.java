package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A two-pathway network as PyTorchVideo builds SlowFast: the clip {@code [N, C, T, H, W]} is the fast pathway's
 * input and the slow pathway's is every {@code alpha}-th frame of it (PyTorchVideo's {@code PackPathway}: frames
 * {@code torch.linspace(0, T - 1, T // alpha).long()}); then stages ({@code MultiPathWayWithFuse}) each run one module
 * per pathway and, where a stage has one, a fusion ({@code FuseFastToSlow}) that convolves the fast output and
 * concatenates it to the slow one along the channels; last, a pool per pathway and the concatenation of both
 * ({@code PoolConcatPathway}). Out comes one tensor {@code [N, C_slow + C_fast, t, h, w]}.
 *
 * <p>Children as PyTorchVideo registers them, so keys are its own: {@code i.multipathway_blocks.0.*} (slow),
 * {@code i.multipathway_blocks.1.*} (fast), {@code i.multipathway_fusion.conv_fast_to_slow.weight},
 * {@code i.multipathway_fusion.norm.*}; then {@code S.pool.0}, {@code S.pool.1} (no state). Each pathway's modules
 * and everything under them can be tapped ({@code --layer blocks.3.multipathway_blocks.1}); a stage as a whole
 * cannot (it gives two tensors).
 */
public final class PathwayNet implements Module {

    /** One stage: a module per pathway (slow, fast) and the fast-to-slow fusion after them, or null. */
    public record Stage(List<Module> pathways, Module fusion) {
        public Stage {
            pathways = List.copyOf(pathways);
            if (pathways.size() != 2) {
                throw new IllegalArgumentException("a stage has a slow and a fast pathway, got " + pathways.size());
            }
        }
    }

    private final int alpha;
    private final List<Stage> stages;
    private final List<Module> pools;
    private final List<Child> children;

    /**
     * @param alpha  the fast pathway's frames per slow frame
     * @param stages stem and res stages, in order
     * @param pools  the pool of each pathway before the concatenation
     */
    public PathwayNet(int alpha, List<Stage> stages, List<Module> pools) {
        if (alpha < 1) {
            throw new IllegalArgumentException("alpha must be >= 1, got " + alpha);
        }
        this.alpha = alpha;
        this.stages = List.copyOf(stages);
        this.pools = List.copyOf(pools);
        if (this.pools.size() != 2) {
            throw new IllegalArgumentException("a pool per pathway: 2, got " + pools.size());
        }
        List<Child> c = new ArrayList<>();
        for (int i = 0; i < this.stages.size(); i++) {
            Stage s = this.stages.get(i);
            List<Child> parts = new ArrayList<>();
            parts.add(new Child("multipathway_blocks", Sequential.of(s.pathways().toArray(Module[]::new))));
            if (s.fusion() != null) {
                parts.add(new Child("multipathway_fusion", s.fusion()));
            }
            c.add(new Child(Integer.toString(i), Sequential.named(parts)));
        }
        c.add(new Child(Integer.toString(this.stages.size()), Sequential.named(List.of(new Child("pool",
                Sequential.of(this.pools.toArray(Module[]::new)))))));
        this.children = List.copyOf(c);
    }

    public int alpha() {
        return alpha;
    }

    /**
     * The slow pathway's frames of a {@code t}-frame clip: {@code torch.linspace(0, t - 1, t // alpha).long()},
     * computed in float32 as torch computes it (from the start for the first half, from the end for the rest).
     */
    public static int[] slowFrames(int t, int alpha) {
        int steps = t / alpha;
        if (steps < 1) {
            throw new IllegalArgumentException("a clip of " + t + " frames has no slow frame at alpha " + alpha);
        }
        int[] idx = new int[steps];
        if (steps == 1) {
            return idx;
        }
        float start = 0f;
        float end = t - 1;
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            float v = i < halfway ? start + step * i : end - step * (steps - i - 1);
            idx[i] = (int) v;
        }
        return idx;
    }

    @Override
    public String kind() {
        return "PathwayNet";
    }

    @Override
    public List<Child> children() {
        return children;
    }

    private static String blockKey(String path, int stage, int pathway) {
        return Module.join(path, stage + ".multipathway_blocks." + pathway);
    }

    /** The slow and fast inputs' shapes for a clip of shape {@code in}. */
    private int[][] packShapes(int[] in) {
        Shapes.requireNcdhw(kind(), in, -1);
        if (in[2] % alpha != 0) {
            throw new IllegalArgumentException("a two-pathway clip needs a multiple of " + alpha + " frames (the slow"
                    + " pathway takes every " + alpha + "th and the fusions stride " + alpha + " in time), got "
                    + in[2]);
        }
        int[] slow = in.clone();
        slow[2] = slowFrames(in[2], alpha).length;
        return new int[][] {slow, in.clone()};
    }

    /** Walks the stages' shapes; {@code visit} sees (stage, pathway, input shape) before each pathway module. */
    private int[][] walk(int[] in, ShapeVisitor visit) {
        int[][] xs = packShapes(in);
        for (int i = 0; i < stages.size(); i++) {
            Stage st = stages.get(i);
            for (int p = 0; p < 2; p++) {
                visit.pathway(i, p, xs[p]);
                xs[p] = st.pathways().get(p).outputShape(xs[p]);
            }
            if (st.fusion() != null) {
                visit.fusion(i, xs[1]);
                int[] f = st.fusion().outputShape(xs[1]);
                if (!Arrays.equals(f, 2, f.length, xs[0], 2, xs[0].length)) {
                    throw new IllegalArgumentException("stage " + i + ": the fusion gives " + Arrays.toString(f)
                            + " but the slow pathway is " + Arrays.toString(xs[0]));
                }
                xs[0] = xs[0].clone();
                xs[0][1] += f[1];
            }
        }
        return xs;
    }

    private interface ShapeVisitor {
        void pathway(int stage, int pathway, int[] in);

        default void fusion(int stage, int[] fastOut) {
        }
    }

    @Override
    public int[] outputShape(int[] in) {
        int[][] xs = walk(in, (i, p, s) -> { });
        int[] a = pools.get(0).outputShape(xs[0]);
        int[] b = pools.get(1).outputShape(xs[1]);
        if (!Arrays.equals(a, 2, a.length, b, 2, b.length)) {
            throw new IllegalArgumentException("the pooled pathways differ: slow " + Arrays.toString(a) + ", fast "
                    + Arrays.toString(b) + "; the clip is not the size the head's pools were built for");
        }
        int[] out = a.clone();
        out[1] += b[1];
        return out;
    }

    @Override
    public long macs(int[] in) {
        long[] m = {0};
        walk(in, new ShapeVisitor() {
            @Override
            public void pathway(int stage, int pathway, int[] s) {
                m[0] += stages.get(stage).pathways().get(pathway).macs(s);
            }

            @Override
            public void fusion(int stage, int[] fastOut) {
                m[0] += stages.get(stage).fusion().macs(fastOut);
            }
        });
        return m[0];
    }

    /** The fast pathway's field (it sees every frame; the slow one sees fewer, the fusions add the fast's). */
    @Override
    public ReceptiveField receptiveField(int[] in) {
        ReceptiveField[] rf = {ReceptiveField.IDENTITY};
        walk(in, (i, p, s) -> {
            if (p == 1) {
                rf[0] = rf[0].then(stages.get(i).pathways().get(1).receptiveField(s));
            }
        });
        return rf[0];
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField[] rf = {rfIn, rfIn};
        int[][] xs = walk(in, new ShapeVisitor() {
            @Override
            public void pathway(int stage, int p, int[] s) {
                rf[p] = stages.get(stage).pathways().get(p).summarize(blockKey(path, stage, p), s, rf[p], rows);
            }

            @Override
            public void fusion(int stage, int[] fastOut) {
                stages.get(stage).fusion().summarize(Module.join(path, stage + ".multipathway_fusion"), fastOut,
                        rf[1], rows);
            }
        });
        for (int p = 0; p < 2; p++) {
            rf[p] = pools.get(p).summarize(Module.join(path, stages.size() + ".pool." + p), xs[p], rf[p], rows);
        }
        ReceptiveField out = ReceptiveField.max(rf[0], rf[1]);
        rows.add(new SummaryRow(Module.join(path, Integer.toString(stages.size())), "PoolConcatPathway",
                outputShape(in), 0, 0, out));
        return out;
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return lower(weights, path, Taps.NONE);
    }

    @Override
    public List<Op> lower(StateDict weights, String path, Taps taps) {
        List<List<List<Op>>> st = new ArrayList<>();
        List<List<Op>> fusions = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            List<List<Op>> per = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                String key = blockKey(path, i, p);
                List<Op> ops = new ArrayList<>(s.pathways().get(p).lower(weights, key, taps));
                if (taps.wants(key)) {
                    ops.add(taps.tap(key));
                }
                per.add(ops);
            }
            st.add(per);
            fusions.add(s.fusion() == null ? null
                    : s.fusion().lower(weights, Module.join(path, i + ".multipathway_fusion"), taps));
        }
        List<List<Op>> pl = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            pl.add(pools.get(p).lower(weights, Module.join(path, stages.size() + ".pool." + p)));
        }
        return List.of(new Op.Pathways(path, alpha, st, fusions, pl));
    }

    @Override
    public void layerNames(String path, List<String> out) {
        for (int i = 0; i < stages.size(); i++) {
            for (int p = 0; p < 2; p++) {
                String key = blockKey(path, i, p);
                out.add(key);
                stages.get(i).pathways().get(p).layerNames(key, out);
            }
        }
    }

    @Override
    public int[] layerShape(String path, String layer, int[] in) {
        int[][] found = {null};
        walk(in, (i, p, s) -> {
            String key = blockKey(path, i, p);
            Module m = stages.get(i).pathways().get(p);
            if (found[0] == null && key.equals(layer)) {
                found[0] = m.outputShape(s);
            } else if (found[0] == null && layer.startsWith(key + ".")) {
                found[0] = m.layerShape(key, layer, s);
            }
        });
        return found[0];
    }

    @Override
    public String toString() {
        return "PathwayNet(alpha " + alpha + ", " + stages.size() + " stages)";
    }

    /** Prepared form of {@link Op.Pathways}. */
    static PreparedModule prepare(Op.Pathways op, Backend backend) {
        List<List<PreparedModule>> st = op.stages().stream().map(per -> per.stream()
                .map(ops -> Op.prepare(Fusion.fuse(ops), backend)).toList()).toList();
        List<PreparedModule> fu = op.fusions().stream().map(f -> f == null ? null
                : Op.prepare(Fusion.fuse(f), backend)).toList();
        List<PreparedModule> pl = op.pools().stream().map(ops -> Op.prepare(ops, backend)).toList();
        PreparedOp cat = backend.prepare(new OpSpec.Concat());
        int alpha = op.alpha();
        // the slow pathway's frames depend on the clip length: one prepared selection per length seen
        java.util.Map<Integer, PreparedOp> slow = new java.util.concurrent.ConcurrentHashMap<>();
        return x -> {
            PreparedOp frames = slow.computeIfAbsent(x.dim(2),
                    t -> backend.prepare(new OpSpec.Frames(slowFrames(t, alpha))));
            Tensor[] xs = {frames.forward(x), x};
            for (int i = 0; i < st.size(); i++) {
                for (int p = 0; p < 2; p++) {
                    xs[p] = st.get(i).get(p).forward(xs[p]);
                }
                if (fu.get(i) != null) {
                    Tensor slowOut = xs[0];
                    Tensor fused = fu.get(i).forward(xs[1]);
                    xs[0] = Op.named(op.key() + "." + i, () -> cat.forward(slowOut, fused));
                }
            }
            Tensor a = pl.get(0).forward(xs[0]);
            Tensor b = pl.get(1).forward(xs[1]);
            return Op.named(op.key() + ".pool", () -> cat.forward(a, b));
        };
    }
}
