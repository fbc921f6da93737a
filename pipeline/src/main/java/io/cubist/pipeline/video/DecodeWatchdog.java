package io.cubist.pipeline.video;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A wall-clock bound on one video's whole decode. When it expires it runs its action once, on a shared daemon timer
 * thread; the action only flips flags and fails pending reads of a stream: the native decoder itself is released by
 * the thread that owns the reader ({@link VideoReader#close()}), never from the timer, so an abandoned decode
 * leaks nothing and never frees memory a native call is still using.
 */
final class DecodeWatchdog implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cubist-decode-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final ScheduledFuture<?> task;
    private volatile boolean expired;

    DecodeWatchdog(Duration timeout, Runnable onExpire) {
        this.timeout = timeout;
        this.task = TIMER.schedule(() -> {
            expired = true;
            onExpire.run();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    boolean expired() {
        return expired;
    }

    Duration timeout() {
        return timeout;
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
