package io.cubist.kernels.blocks;

import io.cubist.kernels.tensor.Tensor;

/**
 * A block whose convolutions one backend has prepared (weights packed once, {@link
 * io.cubist.kernels.backend.Backend#prepare}); {@code forward} may be called many times, from one thread at a time.
 */
public interface PreparedBlock {

    ConvBlock block();

    /** Runs the block on {@code [N, C, spatial...]} (the rank of the block's convolutions); returns a new tensor. */
    Tensor forward(Tensor input);
}
