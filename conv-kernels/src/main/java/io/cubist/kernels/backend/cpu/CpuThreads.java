package io.cubist.kernels.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A fixed thread budget for the CPU kernels: one {@link ForkJoinPool} of {@code threads} workers, so a kernel never
 * uses more cores than the user gave it ({@code --threads}), whatever else the JVM runs; and the engine's settings the
 * kernels share (whether GEMMs pack panels of B).
 */
public final class CpuThreads implements AutoCloseable {
    private final int threads;
    private final boolean pack;
    private final ForkJoinPool pool;

    public CpuThreads(int threads) {
        this(threads, true);
    }

    public CpuThreads(int threads, boolean pack) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pack = pack;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() {
        return threads;
    }

    /** Whether GEMMs copy slices of B into L1-sized panels (engine option {@code pack}). */
    public boolean pack() {
        return pack;
    }

    /** Runs {@code body(i)} for {@code i in [0, tasks)} on this budget and waits for all of them. */
    public void parallelFor(int tasks, IntConsumer body) {
        if (pool == null || tasks <= 1) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        ForkJoinTask<?> t = pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(body));
        t.join();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
