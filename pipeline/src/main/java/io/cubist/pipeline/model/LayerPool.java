package io.cubist.pipeline.model;

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

    /** This pooling of one layer output {@code [N, C, ...]}. */
    public Tensor apply(Tensor t) {
        if (this == NONE || t.rank() <= 2) {
            return t;
        }
        int n = t.dim(0);
        int c = t.dim(1);
        int per = t.numel() / (n * c);
        float[] d = t.data();
        float[] o = new float[n * c];
        for (int i = 0; i < n * c; i++) {
            double s = 0;
            for (int j = 0; j < per; j++) {
                s += d[i * per + j];
            }
            o[i] = (float) (s / per);
        }
        return new Tensor(o, n, c);
    }

    @Override
    public String toString() {
        return flag();
    }
}
