package io.cubist.pipeline.clip;

import io.cubist.pipeline.video.DecodedFrame;
import io.cubist.pipeline.video.FrameResampler;
import io.cubist.pipeline.video.FrameSource;
import io.cubist.pipeline.video.VideoException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a video into clips ({@link SamplerSettings}): frames are resampled to the sampling rate by timestamp
 * ({@link FrameResampler}), clip {@code k} takes resampled frames {@code k·S + j·s}, and the tail follows the
 * {@link TailPolicy}.
 *
 * <p>Segments: {@link #sample(FrameSource, double, double, ClipConsumer)} produces only the clips whose nominal start
 * {@code k·S / F} lies in {@code [t0, t1)}, with their global index {@code k}, after seeking near {@code t0}; a video
 * split at any boundaries yields exactly the clips of one pass, each once. (A {@link TailPolicy#BACK_PAD} clip belongs
 * to the segment of its nominal start, before it was shifted back.)
 *
 * <p>Memory: only the resampled frames of the clips being filled are held (at most {@code span + S} references, fewer
 * decoded frames when the video's rate is below the sampling rate), whatever the video's length.
 */
public final class ClipSampler {

    /** Receives clips in index order. */
    @FunctionalInterface
    public interface ClipConsumer {
        void accept(SampledClip clip) throws VideoException;
    }

    private final SamplerSettings settings;

    public ClipSampler(SamplerSettings settings) {
        this.settings = settings;
    }

    public SamplerSettings settings() {
        return settings;
    }

    /** The index of the first clip whose nominal start is at or after {@code sec}. */
    public long firstClipAtOrAfter(double sec) {
        if (sec <= 0) {
            return 0;
        }
        return Math.max(0, (long) Math.ceil(sec * settings.fps() / settings.clipStride() - 1e-9));
    }

    /** Every clip of the video. */
    public void sample(FrameSource reader, ClipConsumer consumer) throws VideoException {
        sample(reader, 0, Double.POSITIVE_INFINITY, consumer);
    }

    /**
     * The clips whose nominal start time lies in {@code [t0, t1)}, in index order. Reads from the reader's current
     * position when {@code t0} needs no seek (a fresh reader and a segment starting at the beginning), otherwise
     * seeks first.
     */
    public void sample(FrameSource reader, double t0, double t1, ClipConsumer consumer) throws VideoException {
        if (!(t1 > t0)) {
            throw new IllegalArgumentException("segment must have t1 > t0, got [" + t0 + ", " + t1 + ")");
        }
        final int t = settings.clipLength();
        final int s = settings.frameStep();
        final int stride = settings.clipStride();
        final double fps = settings.fps();
        final int span = settings.span();
        long kFirst = firstClipAtOrAfter(t0);
        long kEnd = Double.isInfinite(t1) ? Long.MAX_VALUE : firstClipAtOrAfter(t1);
        if (kFirst >= kEnd) {
            return;
        }
        long needFrom = kFirst * stride;
        if (settings.tail() == TailPolicy.BACK_PAD) {
            needFrom = Math.max(0, needFrom - (span - 1));
        }
        if (needFrom > 0 || reader.framesDecoded() > 0) {
            reader.seekShowing(needFrom / fps);
        }

        State st = new State(kFirst, kEnd);
        List<VideoException> failure = new ArrayList<>(1);
        FrameResampler resampler = new FrameResampler(fps, needFrom, sample -> {
            if (!failure.isEmpty() || st.done) {
                return;
            }
            try {
                st.add(sample, consumer);
            } catch (VideoException e) {
                failure.add(e);
            }
        });
        DecodedFrame f;
        while (!st.done && (f = reader.next()) != null) {
            resampler.push(f);
            if (!failure.isEmpty()) {
                throw failure.get(0);
            }
        }
        if (st.done) {
            return;
        }
        resampler.finish();
        if (!failure.isEmpty()) {
            throw failure.get(0);
        }
        st.tail(consumer);
    }

    /** The window of resampled frames and the next clip to fill. */
    private final class State {
        private final ArrayDeque<FrameResampler.Sample> window = new ArrayDeque<>();
        private final long kEnd;
        private long k;
        private long firstIndex = -1;
        private boolean done;

        State(long kFirst, long kEnd) {
            this.k = kFirst;
            this.kEnd = kEnd;
        }

        void add(FrameResampler.Sample sample, ClipConsumer consumer) throws VideoException {
            if (firstIndex < 0) {
                firstIndex = sample.index();
                // clips that would start before the video's first frame do not exist
                k = Math.max(k, ceilDiv(firstIndex, settings.clipStride()));
                if (k >= kEnd) {
                    done = true;
                    return;
                }
            }
            window.addLast(sample);
            long last = k * settings.clipStride() + (settings.span() - 1);
            while (sample.index() >= last) {
                emit(k, k * settings.clipStride(), null, consumer);
                k++;
                if (k >= kEnd) {
                    done = true;
                    window.clear();
                    return;
                }
                last = k * settings.clipStride() + (settings.span() - 1);
            }
            trim(sample.index());
        }

        /** Keeps what the next clip needs, and for back-padding the last {@code span} frames. */
        private void trim(long newest) {
            long keepFrom = k * settings.clipStride();
            if (settings.tail() == TailPolicy.BACK_PAD) {
                keepFrom = Math.min(keepFrom, newest - (settings.span() - 1));
            }
            while (!window.isEmpty() && window.peekFirst().index() < keepFrom) {
                window.removeFirst();
            }
        }

        void tail(ClipConsumer consumer) throws VideoException {
            if (window.isEmpty() || settings.tail() == TailPolicy.DROP) {
                return;
            }
            long lastIndex = window.peekLast().index();
            int stride = settings.clipStride();
            int span = settings.span();
            if (settings.tail() == TailPolicy.PAD_LAST) {
                for (; k < kEnd && k * stride <= lastIndex; k++) {
                    emit(k, k * stride, TailPolicy.PAD_LAST, consumer);
                }
                return;
            }
            // BACK_PAD: one clip ending at the last frame, if frames are left after the last whole clip
            long start = lastIndex - (span - 1);
            long videoFirst = firstIndex;
            if (start < videoFirst || start < 0) {
                return; // shorter than one clip
            }
            long lastWhole = Math.floorDiv(start, stride); // the last clip that fits entirely
            if (lastWhole * stride + (span - 1) >= lastIndex) {
                return; // it already ends at the last frame
            }
            long owner = lastWhole + 1;
            if (owner >= k && owner < kEnd && owner * stride <= lastIndex) {
                emit(owner, start, TailPolicy.BACK_PAD, consumer);
            }
        }

        private void emit(long index, long from, TailPolicy how, ClipConsumer consumer) throws VideoException {
            int t = settings.clipLength();
            List<DecodedFrame> frames = new ArrayList<>(t);
            long lastIndex = window.peekLast().index();
            long lastUsed = from;
            for (int j = 0; j < t; j++) {
                long i = Math.min(from + (long) j * settings.frameStep(), lastIndex);
                frames.add(find(i).frame());
                lastUsed = i;
            }
            double fps = settings.fps();
            if (index > Integer.MAX_VALUE) {
                throw new VideoException("decode", "clip index " + index + " exceeds the int range");
            }
            consumer.accept(new SampledClip((int) index, from / fps, lastUsed / fps + 1 / fps, frames, how));
        }

        private FrameResampler.Sample find(long index) {
            FrameResampler.Sample first = window.peekFirst();
            long offset = index - first.index();
            // the window holds consecutive indices
            int n = 0;
            for (FrameResampler.Sample x : window) {
                if (n++ == offset) {
                    return x;
                }
            }
            throw new IllegalStateException("resampled frame " + index + " is not in the window ["
                    + first.index() + ", " + window.peekLast().index() + "]");
        }
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
