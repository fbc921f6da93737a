package io.cubist.kernels.bench;

import java.util.OptionalLong;

/**
 * What {@code cubist bench} times: one layer ({@link LayerWorkload}) or, once the model zoo provides one through
 * {@link ModelWorkloads}, a whole network. Everything that is not per-run work — weights made and packed, the input
 * filled — happens before the first {@link #run}; a run is one forward pass on that fixed input.
 */
public interface Workload {

    /** What runs, for people: {@code Conv3d(3, 64, kernel_size=[3, 3, 3], padding=[1, 1, 1])}, a model name. */
    String description();

    int[] inputShape();

    int[] outputShape();

    /** FLOPs of one run ({@code 2 * MACs} of the direct convolutions); empty where FLOPs are not the measure. */
    OptionalLong flops();

    /** Bytes one run must at least read and write (input and output, float32). */
    long bytesMoved();

    /** One forward pass; its output is kept until the next run so that no work can be skipped. */
    void run();

    /** How the work is split across devices, a line per device; empty on one device. */
    default java.util.List<String> plan() {
        return java.util.List.of();
    }

    /** Bytes that crossed between devices (a group split's gathers and scatters) since the workload was made. */
    default long bytesBetweenDevices() {
        return 0;
    }

    /**
     * One part of a run, for {@code bench --profile}: its name (a module key), its median-free mean wall time per run
     * and its FLOPs per run ({@code 2 * MACs}; 0 for parts without convolutions or linear layers).
     */
    record Part(String name, double msPerRun, long flops) {
    }

    /**
     * Where the time of a run goes: {@code runs} more runs, each part timed as it runs (parts one after another add
     * up to the run). Empty for a workload that has no parts (a single layer).
     */
    default java.util.List<Part> profile(int runs) {
        return java.util.List.of();
    }
}
