package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.bench.ModelWorkloads;
import io.cubist.kernels.bench.Workload;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.Profile;
import io.cubist.pipeline.model.RandomWeights;
import io.cubist.pipeline.model.SummaryRow;
import java.util.List;
import java.util.OptionalLong;

/**
 * The zoo's models as {@code cubist bench --model NAME --batch N} workloads (registered in
 * {@code META-INF/services}): torchvision's architecture with seeded random weights ({@link RandomWeights}),
 * prepared once on the backend (batch norm folded, epilogues fused, weights packed), run on a random clip batch
 * {@code [N, 3, 16, 112, 112]}, the clip the presets in conf/models give (other families: their
 * {@link Architecture#defaultInput()}, s3d 16×224×224, ir_csn_50 32×224×224).
 */
public final class ZooWorkloads implements ModelWorkloads {

    /** Frames, height and width of a video ResNet clip as trained (conf/models: clip_length 16, crop 112). */
    public static final int[] CLIP = {16, 112, 112};
    /** How long the profiled copy warms up, at least (and three forward passes). */
    private static final long PROFILE_WARMUP_NANOS = 2_000_000_000L;

    @Override
    public List<String> models() {
        return ModelZoo.names();
    }

    @Override
    public Workload create(String model, int batch, List<Backend> engines, long seed) {
        Backend backend = engines.get(0);
        Network net = ModelZoo.network(model);
        int[] clip = ModelZoo.describe(model).defaultInput();
        int[] in = {batch, 3, clip[2], clip[3], clip[4]};
        Model loaded = net.load(RandomWeights.torchvisionInit(net.stateDict(), seed));
        PreparedModel prepared = loaded.prepare(engines, List.of(), LayerPool.AVG);
        Tensor clips = Tensor.random(seed, in);
        int[] out = net.featureShape(in);
        long flops = 2 * net.macs(in);
        return new Workload() {
            private PreparedModel.Output last;

            @Override
            public String description() {
                return model + " (random weights, features and logits)";
            }

            @Override
            public int[] inputShape() {
                return in.clone();
            }

            @Override
            public int[] outputShape() {
                return out.clone();
            }

            @Override
            public OptionalLong flops() {
                return OptionalLong.of(flops);
            }

            @Override
            public long bytesMoved() {
                return 4L * (clips.numel() + (long) out[0] * out[1]);
            }

            @Override
            public void run() {
                last = prepared.forward(clips);
            }

            @Override
            public List<String> plan() {
                return engines.size() == 1 ? List.of() : prepared.describePlan();
            }

            @Override
            public long bytesBetweenDevices() {
                return prepared.plan() == null || prepared.dataParallel() ? 0 : prepared.plan().bytesMoved();
            }

            /**
             * A second copy prepared with a {@link Profile}; a part's time is its median call (times its calls per
             * run), its FLOPs its summary rows'.
             */
            @Override
            public List<Part> profile(int runs) {
                Profile profile = new Profile();
                PreparedModel p = loaded.prepare(backend, profile);
                // warm: the first call sizes scratch buffers, and the timing wrappers make the JIT compile the
                // callers again (with one warm-up call the parts summed 10-30% above the timed runs)
                long warmUntil = System.nanoTime() + PROFILE_WARMUP_NANOS;
                for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
                    p.forward(clips);
                }
                profile.reset();
                for (int i = 0; i < runs; i++) {
                    last = p.forward(clips);
                }
                List<SummaryRow> rows = net.summary(in).rows();
                List<Part> parts = new java.util.ArrayList<>();
                for (Profile.Part part : profile.parts()) {
                    String prefix = part.name().equals("head") ? net.headName() : part.name();
                    long macs = rows.stream().filter(r -> r.name().equals(prefix) || r.name().startsWith(prefix + "."))
                            .mapToLong(SummaryRow::macs).sum();
                    // the median call, as often as the part runs per forward pass
                    double perRun = (double) part.calls() / Math.max(1, runs);
                    parts.add(new Part(part.name(), part.medianNanos() * perRun / 1e6, 2 * macs));
                }
                return parts;
            }
        };
    }
}
