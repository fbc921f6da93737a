package io.cubist.pipeline.video;

import java.util.function.Consumer;

/**
 * Resamples decoded frames to a constant rate {@code fps} by their timestamps, without re-encoding: resampled frame
 * {@code i} has time {@code t_i = i / fps} on the stream's own timeline and shows the decoded frame with the largest
 * pts {@code <= t_i} (the frame on screen at {@code t_i}). The first index is {@code ceil(firstPts * fps)}; the last
 * is the largest {@code i} with {@code t_i < lastPts + lastDuration}, so no frame is invented past the end. Decoded
 * frames may come at any (variable) spacing; a frame superseded before the next resampled time is never shown.
 *
 * <p>Push frames in presentation order with {@link #push}, then call {@link #finish}. Only the latest decoded frame
 * is held.
 */
public final class FrameResampler {

    /** One resampled frame: its index {@code i}, time {@code i / fps}, and the decoded frame it shows. */
    public record Sample(long index, double timeSec, DecodedFrame frame) {
    }

    // Timestamps are compared in index units with this slack, so pts a few ulps off i / fps still land on i.
    private static final double SLACK = 1e-6;

    private final double fps;
    private final long firstIndex;
    private final Consumer<Sample> out;
    private DecodedFrame current;
    private long next;
    private long emitted;

    /**
     * @param fps        the target rate
     * @param firstIndex the smallest index to emit (a segment's start; 0 for the whole video)
     * @param out        receives the resampled frames in index order
     */
    public FrameResampler(double fps, long firstIndex, Consumer<Sample> out) {
        if (!(fps > 0) || Double.isInfinite(fps)) {
            throw new IllegalArgumentException("target frame rate must be > 0, got " + fps);
        }
        if (firstIndex < 0) {
            throw new IllegalArgumentException("first index must be >= 0, got " + firstIndex);
        }
        this.fps = fps;
        this.firstIndex = firstIndex;
        this.out = out;
        this.next = firstIndex;
    }

    /** The first resampled index at or after time {@code sec}: {@code ceil(sec * fps)}. */
    public static long indexAtOrAfter(double sec, double fps) {
        return (long) Math.ceil(sec * fps - SLACK);
    }

    public double fps() {
        return fps;
    }

    /** The next decoded frame (pts strictly increasing). */
    public void push(DecodedFrame f) {
        if (current != null && !(f.ptsSec() > current.ptsSec())) {
            throw new IllegalArgumentException("frames must come in increasing pts order: " + f.ptsSec()
                    + " s after " + current.ptsSec() + " s");
        }
        long a = Math.max(indexAtOrAfter(f.ptsSec(), fps), 0);
        if (current != null) {
            emitUntil(a);
        } else {
            next = Math.max(next, a);
        }
        current = f;
    }

    /** The stream ended: the last frame is shown until its pts + duration (one resampled frame if unknown). */
    public void finish() {
        if (current == null) {
            return;
        }
        double d = current.durationSec();
        long end = d > 0 ? indexAtOrAfter(current.ptsSec() + d, fps)
                : Math.max(indexAtOrAfter(current.ptsSec(), fps), 0) + 1;
        emitUntil(end);
        current = null;
    }

    /** Resampled frames emitted so far. */
    public long emitted() {
        return emitted;
    }

    private void emitUntil(long endExclusive) {
        for (; next < endExclusive; next++) {
            if (next >= firstIndex) {
                out.accept(new Sample(next, next / fps, current));
                emitted++;
            }
        }
    }
}
