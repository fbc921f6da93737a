package io.cubist.kernels.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A fixed thread budget for the CPU kernels: one {@link ForkJoinPool} of {@code threads} workers, so a kernel never
 * uses more cores than the user gave it ({@code --threads}, or {@value #PROPERTY}), whatever else the JVM runs.
 */
public final class CpuThreads implements AutoCloseable {
    /** System property with the default thread count (else the number of available processors). */
    public static final String PROPERTY = "cubist.threads";

    private final int threads;
    private final ForkJoinPool pool;

    public CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The default budget: {@value #PROPERTY} if set, else every available processor. */
    public static int defaultThreads() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("-D" + PROPERTY + " must be an integer >= 1, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
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
