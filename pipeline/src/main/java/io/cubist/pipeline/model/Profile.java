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

    /** One part: its module key, how many times it ran, and the nanoseconds it took in all. */
    public record Part(String name, long calls, long nanos) {
    }

    private final Map<String, long[]> parts = new LinkedHashMap<>();

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
        long[] p = parts.computeIfAbsent(name, k -> new long[2]);
        p[0]++;
        p[1] += nanos;
    }

    private synchronized void declare(String name) {
        parts.computeIfAbsent(name, k -> new long[2]);
    }

    /** The parts in forward order. */
    public synchronized List<Part> parts() {
        List<Part> l = new ArrayList<>();
        parts.forEach((k, v) -> l.add(new Part(k, v[0], v[1])));
        return l;
    }

    /** Forgets the times taken so far (after warming up), keeping the parts. */
    public synchronized void reset() {
        parts.values().forEach(v -> {
            v[0] = 0;
            v[1] = 0;
        });
    }
}
