package io.cubist.pipeline.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall time per part of a prepared model ({@link Model#prepare(io.cubist.kernels.backend.Backend, Profile)}): each
 * top-level op of the backbone (a convolution, a residual block, an Inception block, a pool ...) by its module key,
 * and the classifier as {@code head}. Parts run one after another, so their times add up to the forward pass.
 */
public final class Profile {

    /**
     * One part: its module key, how many times it ran, the nanoseconds it took in all, and the median of its calls (on
     * a shared machine the mean takes in every collector pause and preempted call; the median does not).
     */
    public record Part(String name, long calls, long nanos, long medianNanos) {
    }

    private final Map<String, List<Long>> parts = new LinkedHashMap<>();

    /** {@code m}, timed as the part {@code name} (declared now, so parts keep the order of the forward pass). */
    PreparedModule timed(String name, PreparedModule m) {
        declare(name);
        return x -> {
            long t0 = System.nanoTime();
            io.cubist.kernels.tensor.Tensor y = m.forward(x);
            add(name, System.nanoTime() - t0);
            return y;
        };
    }

    private synchronized void add(String name, long nanos) {
        parts.computeIfAbsent(name, k -> new ArrayList<>()).add(nanos);
    }

    private synchronized void declare(String name) {
        parts.computeIfAbsent(name, k -> new ArrayList<>());
    }

    /** The parts in forward order. */
    public synchronized List<Part> parts() {
        List<Part> l = new ArrayList<>();
        parts.forEach((k, v) -> {
            long[] sorted = v.stream().mapToLong(Long::longValue).sorted().toArray();
            long total = java.util.Arrays.stream(sorted).sum();
            long median = sorted.length == 0 ? 0 : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            l.add(new Part(k, sorted.length, total, median));
        });
        return l;
    }

    /** Forgets the times taken so far (after warming up), keeping the parts. */
    public synchronized void reset() {
        parts.values().forEach(List::clear);
    }
}
