package io.cubist.pipeline.clip;

import io.cubist.pipeline.video.VideoException;
import java.util.List;

/**
 * What one {@link FeatureExtractor} run over a video (or a segment of it) did.
 *
 * @param clips                features emitted (clips times views, finite ones only)
 * @param nonFiniteClips       clips whose features held NaN or infinity: never emitted, and the video's error
 * @param framesDecoded        frames the decoder produced (including those decoded while seeking)
 * @param warnings             what the decoder noticed without failing (an incomplete file, bad timestamps)
 * @param decodeSec            time the decoder thread spent decoding, sampling and transforming
 * @param modelSec             time spent in the model
 * @param bytesRead            bytes read from the video's storage (-1 when it does not say)
 * @param error                the failure that ended the run early (its clips before it were emitted), or null
 * @param decoderStillRunning  true when the decoder thread was abandoned inside a native call (after a timeout):
 *                             its batches are released when that call returns, so their allocator cannot be closed
 *                             yet
 */
public record ExtractResult(String video, int clips, int nonFiniteClips, long framesDecoded, List<String> warnings,
                            double decodeSec, double modelSec, long bytesRead, VideoException error,
                            boolean decoderStillRunning) {

    /** The reason word of non-finite features, in {@link VideoException#reason()} and {@code _errors}. */
    public static final String NON_FINITE = "non_finite_feature";

    public ExtractResult {
        warnings = List.copyOf(warnings);
    }

    /**
     * The video's failure: the error that ended the run, else the non-finite clips (a {@code model} failure whose
     * reason is {@link #NON_FINITE}), else null.
     */
    public VideoException failure() {
        if (error != null) {
            return error;
        }
        return nonFinite(video, nonFiniteClips);
    }

    /** The failure of a video with {@code n} clips whose features were not finite; null when {@code n == 0}. */
    public static VideoException nonFinite(String video, int n) {
        return n == 0 ? null : new VideoException("model", NON_FINITE, video + ": " + n + " clip" + (n == 1 ? ""
                : "s") + " gave NaN or infinite features (not written)", null);
    }

    /** This result, or its {@link #failure()} thrown. */
    public ExtractResult orThrow() throws VideoException {
        VideoException f = failure();
        if (f != null) {
            throw f;
        }
        return this;
    }
}
