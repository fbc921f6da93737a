package io.cubist.kernels.io;

/**
 * A safetensors file (or buffer) that cannot be read or written: malformed, truncated, hostile or unsupported.
 * The message starts with the file it concerns and says what is wrong with it.
 */
public final class SafeTensorsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsException(String source, String problem) {
        super(source + ": " + problem);
    }

    public SafeTensorsException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
