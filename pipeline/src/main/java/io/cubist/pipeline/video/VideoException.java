package io.cubist.pipeline.video;

/**
 * A video that could not be read, with the stage that failed: {@code open} (the file or stream could not be opened
 * or its container not recognized), {@code probe} (no usable video stream), {@code decode} (a decode error or the
 * decode timeout), {@code seek}, or {@code model} (a clip's features were not finite). The job records the stage
 * and message as one {@code _errors} row.
 */
public final class VideoException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String stage;

    public VideoException(String stage, String message) {
        this(stage, message, null);
    }

    public VideoException(String stage, String message, Throwable cause) {
        super(message, cause);
        if (stage == null || stage.isBlank()) {
            throw new IllegalArgumentException("stage must be named");
        }
        this.stage = stage;
    }

    /** Where it failed: {@code open}, {@code probe}, {@code decode}, {@code seek} or {@code model}. */
    public String stage() {
        return stage;
    }

    @Override
    public String toString() {
        return "VideoException[" + stage + "]: " + getMessage();
    }
}
