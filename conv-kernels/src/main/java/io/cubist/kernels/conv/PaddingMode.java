package io.cubist.kernels.conv;

import java.util.Arrays;
import java.util.Locale;

/** How a convolution reads outside its input, as {@code nn.ConvNd(padding_mode=...)}. */
public enum PaddingMode {
    /** Out-of-range reads are 0. */
    ZEROS,
    /** Mirror without repeating the edge: index -1 reads 1. */
    REFLECT,
    /** Clamp to the edge: index -1 reads 0. */
    REPLICATE,
    /** Wrap around: index -1 reads n-1. */
    CIRCULAR;

    public String torchName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PaddingMode parse(String s) {
        for (PaddingMode m : values()) {
            if (m.torchName().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("padding_mode must be one of "
                + Arrays.stream(values()).map(PaddingMode::torchName).toList() + ", got '" + s + "'");
    }

    /**
     * Maps a possibly out-of-range index {@code i} on an axis of size {@code n} to the index actually read, or -1
     * for a zero. Callers have checked that the padding is legal for the mode (reflect needs pad &lt; n, circular
     * pad &lt;= n), so one reflection or wrap suffices.
     */
    public int map(int i, int n) {
        if (i >= 0 && i < n) {
            return i;
        }
        return switch (this) {
            case ZEROS -> -1;
            case REFLECT -> n == 1 ? 0 : (i < 0 ? -i : 2 * (n - 1) - i);
            case REPLICATE -> i < 0 ? 0 : n - 1;
            case CIRCULAR -> Math.floorMod(i, n);
        };
    }
}
