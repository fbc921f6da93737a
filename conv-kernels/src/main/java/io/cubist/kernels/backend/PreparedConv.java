package io.cubist.kernels.backend;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;

/**
 * A convolution whose weights a backend has validated and packed once ({@link Backend#prepare}); {@code forward}
 * may be called many times, from one thread at a time.
 */
public interface PreparedConv {

    ConvSpec spec();

    /**
     * Runs the convolution. {@code input} has PyTorch's rank for the op ({@code [N, C, L]} for conv1d, ...,
     * {@code [N, C, D, H, W]} for conv3d) and the output has the same rank.
     */
    Tensor forward(Tensor input);

    /**
     * {@code relu?(conv(input) + residual)}: the fused form residual networks use. Backends that can do it in the
     * convolution's epilogue (writing the output once) override this; {@code residual} may be null.
     */
    default Tensor forward(Tensor input, Tensor residual, boolean relu) {
        Tensor y = forward(input);
        float[] rd = residualData(spec(), residual, y);
        if (rd != null) {
            float[] yd = y.data();
            for (int i = 0; i < yd.length; i++) {
                yd[i] += rd[i];
            }
        }
        if (relu) {
            float[] yd = y.data();
            for (int i = 0; i < yd.length; i++) {
                yd[i] = yd[i] < 0f ? 0f : yd[i];
            }
        }
        return y;
    }

    /** The residual's data if its shape is the output's, null if there is none; else a clear error. */
    static float[] residualData(ConvSpec spec, Tensor residual, Tensor y) {
        if (residual == null) {
            return null;
        }
        if (!java.util.Arrays.equals(residual.shape(), y.shape())) {
            throw new IllegalArgumentException(spec.name() + ": residual shape "
                    + java.util.Arrays.toString(residual.shape()) + " differs from the output shape "
                    + java.util.Arrays.toString(y.shape()));
        }
        return residual.data();
    }
}
