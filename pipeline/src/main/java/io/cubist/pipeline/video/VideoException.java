package io.cubist.pipeline.video;

/**
 * A video that could not be read, with the stage that failed: {@code input} (the storage could not deliver its
 * bytes: no such file, no permission, a network or credentials error), {@code open} (its container not recognized), {@code probe} (no usable video stream), {@code decode} (a decode error or the
 * decode timeout), {@code seek}, or {@code model} (a clip's features were not finite). The job records the stage
 * and message as one {@code _errors} row.
 */
public final class VideoException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The {@link #reason()} of a decode abandoned because no frame came for the decode timeout. */
    public static final String TIMEOUT = "timeout";

    private final String stage;
    private final String reason;

    public VideoException(String stage, String message) {
        this(stage, message, null);
    }

    public VideoException(String stage, String message, Throwable cause) {
        this(stage, null, message, cause);
    }

    /**
     * @param reason a short word for what happened ({@link #TIMEOUT}, ...), or null to let the cause name it
     */
    public VideoException(String stage, String reason, String message, Throwable cause) {
        super(message, cause);
        if (stage == null || stage.isBlank()) {
            throw new IllegalArgumentException("stage must be named");
        }
        this.stage = stage;
        this.reason = reason;
    }

    /** The storage could not deliver the video's bytes: stage {@code input}, the storage's own message, one line. */
    public static VideoException input(String name, Throwable cause) {
        String m = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        int nl = m.indexOf('\n');
        return new VideoException("input", name + ": cannot read it (" + (nl >= 0 ? m.substring(0, nl) : m).trim()
                + ")", cause);
    }

    /** A short word for what happened ({@link #TIMEOUT}), or null when only the cause says. */
    public String reason() {
        return reason;
    }

    /** Where it failed: {@code input}, {@code open}, {@code probe}, {@code decode}, {@code seek} or {@code model}. */
    public String stage() {
        return stage;
    }

    @Override
    public String toString() {
        return "VideoException[" + stage + "]: " + getMessage();
    }
}
