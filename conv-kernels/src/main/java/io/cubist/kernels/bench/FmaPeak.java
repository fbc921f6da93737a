package io.cubist.kernels.bench;

import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's measured float32 FMA throughput, the ceiling a convolution's GFLOP/s is compared with: a loop of
 * {@value #ACCUMULATORS} independent FMA chains of {@link FloatVector#SPECIES_PREFERRED} vectors, on {@code threads}
 * threads at once (one loop each), for a fixed time.
 *
 * <p>The accumulators are local variables: in an array they would be boxed objects and the loop would measure the
 * allocator (STACK.md). Twelve chains cover two FMA units with a four-cycle latency (eight needed) with room to
 * spare. Each chain computes {@code c = c * a + b} with {@code a < 1}, which converges to {@code b / (1 - a)}: the
 * values stay normal, so no denormal slow path is measured.
 */
public final class FmaPeak {
    static final int ACCUMULATORS = 12;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Iterations of one call of {@link #chains}: long enough to amortize the call, short enough to calibrate. */
    private static final int CHUNK = 1 << 14;
    /** Calibration slice, and the longest the warm-up may take before the loop is timed as it is. */
    private static final long SLICE_NANOS = 20_000_000L;
    private static final long WARMUP_LIMIT_NANOS = 5_000_000_000L;
    private static final double MIN_COMPILED_GFLOPS = 4;
    private static volatile float sink;

    /**
     * @param gflops  the measured throughput of all threads together, counting an FMA as two FLOPs
     * @param lanes   floats per vector ({@link FloatVector#SPECIES_PREFERRED})
     * @param seconds wall time of the measured run
     */
    public record Result(double gflops, int threads, int lanes, double seconds) {
    }

    private FmaPeak() {
    }

    public static int lanes() {
        return SPECIES.length();
    }

    /**
     * Measures for about {@code seconds}, after a single-thread warm-up that gets the loop compiled (a few tenths of a
     * second in a fresh JVM, at most five seconds).
     */
    public static Result measure(int threads, double seconds) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("seconds must be > 0, got " + seconds);
        }
        // Warm up on this thread until C2 has compiled the loop, then take its rate to size the timed run. Before
        // that the Vector API runs boxed, two orders of magnitude slower: a rate below MIN_COMPILED_GFLOPS (no
        // compiled SIMD FMA loop on any x86 or ARM core is that slow) means "not compiled yet", and the rate must
        // then hold steady for a few slices.
        double flopsPerCall = 2.0 * ACCUMULATORS * SPECIES.length() * CHUNK;
        long deadline = System.nanoTime() + WARMUP_LIMIT_NANOS;
        double best = 0;
        int steady = 0;
        float s = 0;
        while (steady < 3 && System.nanoTime() < deadline) {
            long calls = 0;
            long t0 = System.nanoTime();
            long t;
            do {
                s += chains(CHUNK);
                calls++;
                t = System.nanoTime() - t0;
            } while (t < SLICE_NANOS);
            double rate = calls * flopsPerCall / t; // GFLOP/s
            if (rate > best * 1.05) {
                best = rate;
                steady = 0;
            } else if (best >= MIN_COMPILED_GFLOPS) {
                steady++;
            }
        }
        long perThread = Math.max(1, (long) (seconds * best * 1e9 / flopsPerCall));

        CountDownLatch start = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        float[] sums = new float[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            workers[i] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                float acc = 0;
                for (long c = 0; c < perThread; c++) {
                    acc += chains(CHUNK);
                }
                sums[id] = acc;
            }, "cubist-fma-peak-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
        long begin = System.nanoTime();
        start.countDown();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the FMA peak", e);
            }
        }
        long wall = System.nanoTime() - begin;
        for (float f : sums) {
            s += f;
        }
        sink = s;
        double flops = flopsPerCall * perThread * threads;
        return new Result(flops / wall, threads, SPECIES.length(), wall / 1e9);
    }

    /** {@code iterations} rounds of {@value #ACCUMULATORS} independent vector FMAs; returns a sum so none is dead. */
    static float chains(int iterations) {
        FloatVector a = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector b = FloatVector.broadcast(SPECIES, 0.001f);
        FloatVector c0 = FloatVector.broadcast(SPECIES, 0.10f);
        FloatVector c1 = FloatVector.broadcast(SPECIES, 0.11f);
        FloatVector c2 = FloatVector.broadcast(SPECIES, 0.12f);
        FloatVector c3 = FloatVector.broadcast(SPECIES, 0.13f);
        FloatVector c4 = FloatVector.broadcast(SPECIES, 0.14f);
        FloatVector c5 = FloatVector.broadcast(SPECIES, 0.15f);
        FloatVector c6 = FloatVector.broadcast(SPECIES, 0.16f);
        FloatVector c7 = FloatVector.broadcast(SPECIES, 0.17f);
        FloatVector c8 = FloatVector.broadcast(SPECIES, 0.18f);
        FloatVector c9 = FloatVector.broadcast(SPECIES, 0.19f);
        FloatVector c10 = FloatVector.broadcast(SPECIES, 0.20f);
        FloatVector c11 = FloatVector.broadcast(SPECIES, 0.21f);
        for (int i = 0; i < iterations; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10)
                .add(c11);
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
