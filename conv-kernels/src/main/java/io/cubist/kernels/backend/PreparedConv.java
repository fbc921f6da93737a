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
}
