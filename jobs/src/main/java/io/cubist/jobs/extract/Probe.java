package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.TailPolicy;
import java.io.Serializable;

/**
 * What probing a video found: its duration (NaN when the container does not say) and frame rate, or why it cannot be
 * read; and the bytes the probe read (the container's header and index, not the file).
 */
public record Probe(String video, double durationSec, double frameRate, long bytesRead, ErrorRecord error)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static Probe failed(ErrorRecord error, long bytesRead) {
        return new Probe(error.video(), Double.NaN, Double.NaN, bytesRead, error);
    }

    /**
     * About how many rows the video gives with these options, a row per clip and view (for the progress estimate; 1
     * when unknown).
     */
    public long expectedClips(SegmentWork o) {
        if (error != null) {
            return 0;
        }
        if (!(durationSec > 0) || Double.isInfinite(durationSec)) {
            return 1;
        }
        double frames = Math.floor(durationSec * o.frameRate());
        long span = (long) (o.clipLength() - 1) * o.frameStep() + 1;
        if (frames < span) {
            return o.tail() == TailPolicy.DROP ? 0 : o.views();
        }
        long n = (long) ((frames - span) / o.clipStride()) + 1;
        return (o.tail() == TailPolicy.DROP ? n : n + 1) * o.views();
    }
}
