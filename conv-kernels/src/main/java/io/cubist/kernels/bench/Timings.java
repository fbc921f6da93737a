package io.cubist.kernels.bench;

import java.util.Arrays;

/**
 * Wall-clock times of the timed runs of a {@link Workload}, in nanoseconds, in run order, and the CPU time the process
 * spent over them: on a shared machine, CPU time per run divided by the threads given says how much of the wall time
 * the run's threads actually ran ({@link #cpuBusy}).
 *
 * @param warmup   the untimed runs that came first
 * @param cpuNanos the process's CPU time over all timed runs (every thread), or -1 when the JVM does not say
 */
public record Timings(int warmup, long[] nanos, long cpuNanos) {

    public Timings {
        if (warmup < 0) {
            throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        }
        if (nanos.length == 0) {
            throw new IllegalArgumentException("at least one timed run is needed");
        }
        nanos = nanos.clone();
    }

    /** Timings without a CPU time. */
    public Timings(int warmup, long[] nanos) {
        this(warmup, nanos, -1);
    }

    /** Prepared already: {@code warmup} untimed runs, then {@code runs} timed ones. */
    public static Timings measure(Workload w, int warmup, int runs) {
        return measure(w, warmup, 0, runs);
    }

    /**
     * Untimed runs until there have been at least {@code warmup} of them and at least {@code warmupSeconds} have
     * passed (the JIT compiles the kernels only after many calls: a few runs measure the interpreter), then
     * {@code runs} timed ones. The count of untimed runs is recorded.
     */
    public static Timings measure(Workload w, int warmup, double warmupSeconds, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        }
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("warmup seconds must be >= 0, got " + warmupSeconds);
        }
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int done = 0;
        while (done < warmup || System.nanoTime() < until) {
            w.run();
            done++;
        }
        warmup = done;
        long[] t = new long[runs];
        long cpu0 = processCpuNanos();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            w.run();
            t[i] = System.nanoTime() - t0;
        }
        long cpu1 = processCpuNanos();
        return new Timings(warmup, t, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0);
    }

    /** The process's CPU time so far (all threads), or -1 when the platform does not report it. */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    public int runs() {
        return nanos.length;
    }

    /** The median; with an even count the mean of the two middle values (as Python's statistics.median). */
    public double medianMs() {
        long[] s = nanos.clone();
        Arrays.sort(s);
        int n = s.length;
        double m = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + (double) s[n / 2]) / 2;
        return m / 1e6;
    }

    public double minMs() {
        return Arrays.stream(nanos).min().orElseThrow() / 1e6;
    }

    /** CPU milliseconds of the process per timed run (every thread's), or NaN when unknown. */
    public double cpuMsPerRun() {
        return cpuNanos < 0 ? Double.NaN : cpuNanos / 1e6 / nanos.length;
    }

    /**
     * The share of {@code threads} cores the process kept busy over the timed runs: CPU time / (wall time x threads).
     * Near 1, the threads ran all the time; well below, they waited (on each other, memory, or a busy machine).
     */
    public double cpuBusy(int threads) {
        long wall = Arrays.stream(nanos).sum();
        return cpuNanos < 0 ? Double.NaN : cpuNanos / ((double) wall * Math.max(1, threads));
    }

    public double[] allMs() {
        return Arrays.stream(nanos).mapToDouble(t -> t / 1e6).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timings t && warmup == t.warmup && Arrays.equals(nanos, t.nanos) && cpuNanos == t.cpuNanos;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * warmup + Arrays.hashCode(nanos)) + Long.hashCode(cpuNanos);
    }

    @Override
    public String toString() {
        return "Timings[warmup=" + warmup + ", ms=" + Arrays.toString(allMs()) + "]";
    }
}
