package io.cubist.jobs.extract;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;

/**
 * Prints a progress line on the console while the job runs: segments and videos done, clips written, clips per second
 * and an estimate of the time left. Finished tasks count through the accumulators; running tasks through the
 * accumulator updates their executors send with each heartbeat, so long tasks show progress too.
 */
final class Progress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final LongAccumulator clips;
    private final LongAccumulator segments;
    private final long totalSegments;
    private final long expectedClips;
    private final PrintStream console;
    private final long startNanos = System.nanoTime();
    private final Map<Long, Long> runningClips = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    Progress(SparkContext sc, LongAccumulator clips, LongAccumulator segments, long totalSegments,
             long expectedClips, PrintStream console, double intervalSec) {
        this.sc = sc;
        this.clips = clips;
        this.segments = segments;
        this.totalSegments = totalSegments;
        this.expectedClips = expectedClips;
        this.console = console;
        sc.addSparkListener(this);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cubist-progress");
            t.setDaemon(true);
            return t;
        });
        long ms = (long) (intervalSec * 1000);
        timer.scheduleAtFixedRate(this::print, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        // Scala iterators, not converters: the Seq types differ between Scala 2.12 and 2.13, `var` names neither
        for (var updates = update.accumUpdates().iterator(); updates.hasNext(); ) {
            var t = updates.next();
            long taskId = (Long) t._1();
            for (var infos = t._4().iterator(); infos.hasNext(); ) {
                AccumulableInfo info = infos.next();
                if (info.id() == clips.id() && info.update().isDefined()) {
                    Object v = info.update().get();
                    if (v instanceof Number n) {
                        runningClips.put(taskId, n.longValue());
                    }
                }
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        runningClips.remove(end.taskInfo().taskId());
    }

    /** Clips written so far, by finished tasks and (approximately) by running ones. */
    long clipsSoFar() {
        long running = 0;
        for (long v : runningClips.values()) {
            running += v;
        }
        return clips.value() + running;
    }

    void print() {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        long done = clipsSoFar();
        double rate = done / Math.max(secs, 1e-9);
        String eta = "";
        if (rate > 0 && expectedClips > done) {
            eta = ", ETA " + duration((expectedClips - done) / rate);
        }
        console.printf(Locale.ROOT, "cubist extract: segments %d/%d, clips %d/~%d, %.2f clips/s, %s elapsed%s%n",
                segments.value(), totalSegments, done, expectedClips, rate, duration(secs), eta);
        console.flush();
    }

    static String duration(double secs) {
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.removeSparkListener(this);
    }
}
