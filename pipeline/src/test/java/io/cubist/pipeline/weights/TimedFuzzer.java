package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A mutation fuzzer for a file reader, bounded by a number of inputs (never by wall time: what it tries is a function
 * of its seed and count alone, so a busy machine runs the same inputs, only slower). Each input is a seed file changed by a {@link Mutator}; the
 * reader runs on a worker thread, and every input must end in a successful load or in the reader's own named
 * exception with a message — any other exception or error, no answer within the per-input timeout, or more heap
 * allocated than the input's {@link Budget} allows fails the run. Allocation is measured per input with the JVM's
 * per-thread allocation counter ({@code com.sun.management.ThreadMXBean}), so a reader that believes a size field
 * and allocates for it is caught even when the heap could hold the buffer.
 *
 * <p>Configured by system properties: {@code cubist.fuzz.inputs} (inputs per fuzzer, default 20000),
 * {@code cubist.fuzz.seed} (default 1; the inputs are a function of the seed and their count),
 * {@code cubist.fuzz.timeout.ms} (per input, default 5000: a hang, not a speed bound). A failing input is written under
 * {@code target/fuzz-failures/} and named in the failure with the mutations that made it.
 */
final class TimedFuzzer {

    /** Changes a seed into a new input, appending what it did to {@code what}. */
    interface Mutator {
        byte[] mutate(byte[] seed, List<byte[]> seeds, SplittableRandom r, StringBuilder what);
    }

    /** Loads an input; returns what was loaded (for the budget), or throws. */
    interface Target {
        Object load(byte[] input) throws Exception;
    }

    /** The most bytes the reader may allocate for an input of {@code length} bytes that led to {@code result}. */
    interface Budget {
        long bytes(int length, Object resultOrNull);
    }

    /**
     * @param reasons distinct rejection messages, with numbers and quoted names blanked: a rough measure of how many
     *                of the reader's checks the inputs reached
     */
    record Stats(String name, long inputs, long loaded, long rejected, int reasons, double seconds, long maxAllocated,
            int maxAllocatedLength) {
        double perSecond() {
            return inputs / Math.max(seconds, 1e-9);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "fuzz %s: %d inputs in %.1f s (%.0f/s), %d loaded, %d rejected for"
                    + " %d distinct reasons; most allocated for one input: %d bytes (a %d-byte input)", name, inputs,
                    seconds, perSecond(), loaded, rejected, reasons, maxAllocated, maxAllocatedLength);
        }
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private TimedFuzzer() {
    }

    static long inputs() {
        return Long.parseLong(System.getProperty("cubist.fuzz.inputs", "20000"));
    }

    static long seed() {
        return Long.parseLong(System.getProperty("cubist.fuzz.seed", "1"));
    }

    static long timeoutMillis() {
        return Long.parseLong(System.getProperty("cubist.fuzz.timeout.ms", "5000"));
    }

    private record Outcome(Object result, Throwable thrown, long allocated) {
    }

    static Stats run(String name, List<byte[]> seeds, Mutator mutator, Target target,
            Class<? extends RuntimeException> clean, Budget budget) {
        return run(name, seeds, mutator, target, clean, budget, inputs(), timeoutMillis());
    }

    static Stats run(String name, List<byte[]> seeds, Mutator mutator, Target target,
            Class<? extends RuntimeException> clean, Budget budget, long count, long timeoutMillis) {
        if (!THREADS.isThreadAllocatedMemorySupported()) {
            fail("this JVM cannot count per-thread allocation; the fuzzer's allocation check needs it");
        }
        THREADS.setThreadAllocatedMemoryEnabled(true);
        long seed = seed();
        SplittableRandom r = new SplittableRandom(seed);
        long start = System.nanoTime();
        long inputs = 0;
        long loaded = 0;
        long rejected = 0;
        long maxAllocated = 0;
        int maxAllocatedLength = 0;
        java.util.Set<String> reasons = new java.util.HashSet<>();
        ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "fuzz-" + name);
            t.setDaemon(true); // a hung input must not keep the JVM alive
            return t;
        });
        try {
            while (inputs < count) {
                byte[] base = seeds.get(r.nextInt(seeds.size()));
                StringBuilder what = new StringBuilder();
                byte[] input = base.clone();
                for (int m = 1 + r.nextInt(3); m > 0; m--) {
                    input = mutator.mutate(input, seeds, r, what);
                }
                byte[] in = input;
                Future<Outcome> f = worker.submit(() -> {
                    long before = THREADS.getCurrentThreadAllocatedBytes();
                    Object result = null;
                    Throwable thrown = null;
                    try {
                        result = target.load(in);
                    } catch (Throwable t) { // everything is judged below, errors included
                        thrown = t;
                    }
                    return new Outcome(result, thrown, THREADS.getCurrentThreadAllocatedBytes() - before);
                });
                Outcome o;
                try {
                    o = f.get(timeoutMillis, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    throw failure(name, seed, inputs, what, in, "no result within " + timeoutMillis + " ms (a hang)",
                            null);
                } catch (InterruptedException | ExecutionException e) {
                    throw failure(name, seed, inputs, what, in, "the worker failed: " + e, e);
                }
                inputs++;
                if (o.thrown() == null) {
                    loaded++;
                } else if (clean.isInstance(o.thrown()) && o.thrown().getMessage() != null
                        && !o.thrown().getMessage().isBlank()) {
                    rejected++;
                    reasons.add(o.thrown().getMessage()
                            .replaceAll("'[^']*'|\"[^\"]*\"|-?[0-9a-f]*[0-9][0-9a-f]*", "#"));
                } else {
                    throw failure(name, seed, inputs - 1, what, in, "threw " + o.thrown()
                            + " instead of " + clean.getSimpleName() + " with a message", o.thrown());
                }
                long allowed = budget.bytes(in.length, o.result());
                if (o.allocated() > allowed) {
                    throw failure(name, seed, inputs - 1, what, in, "allocated " + o.allocated() + " bytes for a "
                            + in.length + "-byte input (budget " + allowed + ")"
                            + (o.thrown() == null ? "" : " before " + o.thrown()), o.thrown());
                }
                if (o.allocated() > maxAllocated) {
                    maxAllocated = o.allocated();
                    maxAllocatedLength = in.length;
                }
            }
        } finally {
            worker.shutdownNow();
        }
        Stats s = new Stats(name, inputs, loaded, rejected, reasons.size(), (System.nanoTime() - start) / 1e9,
                maxAllocated, maxAllocatedLength);
        System.out.println(s);
        return s;
    }

    private static AssertionError failure(String name, long seed, long index, CharSequence what, byte[] input,
            String problem, Throwable cause) {
        Path dir = Path.of("target", "fuzz-failures");
        Path file = dir.resolve(name + "-seed" + seed + "-input" + index + ".bin");
        String saved;
        try {
            Files.createDirectories(dir);
            Files.write(file, input);
            saved = "saved as " + file.toAbsolutePath();
        } catch (IOException e) {
            saved = "could not be saved: " + e;
        }
        return new AssertionError("fuzz " + name + " (seed " + seed + ", input " + index + ": " + what + ") "
                + problem + "; the input (" + input.length + " bytes) " + saved, cause);
    }
}
