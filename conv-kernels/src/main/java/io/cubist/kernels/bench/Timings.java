package io.cubist.kernels.bench;

import java.util.Arrays;

/**
 * Wall-clock times of the timed runs of a {@link Workload}, in nanoseconds, in run order.
 *
 * @param warmup the untimed runs that came first
 */
public record Timings(int warmup, long[] nanos) {

    public Timings {
        if (warmup < 0) {
            throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        }
        if (nanos.length == 0) {
            throw new IllegalArgumentException("at least one timed run is needed");
        }
        nanos = nanos.clone();
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
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            w.run();
            t[i] = System.nanoTime() - t0;
        }
        return new Timings(warmup, t);
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

    public double[] allMs() {
        return Arrays.stream(nanos).mapToDouble(t -> t / 1e6).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timings t && warmup == t.warmup && Arrays.equals(nanos, t.nanos);
    }

    @Override
    public int hashCode() {
        return 31 * warmup + Arrays.hashCode(nanos);
    }

    @Override
    public String toString() {
        return "Timings[warmup=" + warmup + ", ms=" + Arrays.toString(allMs()) + "]";
    }
}
