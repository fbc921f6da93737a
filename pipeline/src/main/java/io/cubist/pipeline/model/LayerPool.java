package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Locale;

/** How a requested layer's output is handed back ({@code --pool}): averaged over time and space, or the map. */
public enum LayerPool {
    /** {@code x.mean(dim=(2, 3, 4))}: {@code [N, C, D, H, W] -> [N, C]} (an {@code [N, C]} output as it is). */
    AVG,
    /** The output as the layer gives it. */
    NONE;

    /** {@code avg} or {@code none}; anything else is an error naming them. */
    public static LayerPool parse(String s) {
        for (LayerPool p : values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("pool must be avg or none, got '" + s + "'");
    }

    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** This pooling of one layer output {@code [N, C, ...]}, on {@code backend} (where the output lies). */
    public Tensor apply(Backend backend, Tensor t) {
        if (this == NONE || t.rank() <= 2) {
            return t;
        }
        int n = t.dim(0);
        int c = t.dim(1);
        int per = t.numel() / Math.max(1, n * c);
        return backend.adaptiveAvgPool3d(t.reshape(n, c, 1, 1, per), Dims3.of(1)).reshape(n, c);
    }

    @Override
    public String toString() {
        return flag();
    }
}
