package io.cubist.jobs.extract;

import java.io.Serializable;

/**
 * One video that could not be processed (or not completely): a row of {@code DIR/_errors}.
 *
 * @param stage   where it failed: input, probe, open, decode, seek, transform, model, timeout
 * @param error   a short kind (the exception's simple name, or a word such as {@code no_video_stream})
 * @param message what happened, for a person
 * @param segment the segment it happened in (not written; used to keep the first error of a video)
 */
public record ErrorRecord(String video, String stage, String error, String message, int segment)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static ErrorRecord of(String video, String stage, Throwable t, int segment) {
        String msg = t.getMessage() == null ? t.toString() : t.getMessage();
        return new ErrorRecord(video, stage, t.getClass().getSimpleName(), msg, segment);
    }
}
