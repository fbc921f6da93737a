package io.cubist.pipeline.weights;

/**
 * A weights file that cannot be loaded, or whose tensors do not fit the model they are meant for: malformed,
 * truncated, hostile, in an unsupported format, or with missing, unexpected or misshapen keys. The message starts with
 * the file it concerns and says what is wrong and, where there is one, what to do about it.
 */
public final class WeightFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public WeightFileException(String source, String problem) {
        super(source + ": " + problem);
    }

    public WeightFileException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
