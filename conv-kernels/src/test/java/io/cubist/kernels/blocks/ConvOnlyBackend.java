package io.cubist.kernels.blocks;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * The two ops blocks use (reference convolutions and ReLU), counting every multiply-accumulate the convolutions
 * perform by walking each output element's taps: the brute-force side of the MAC tests.
 */
final class ConvOnlyBackend implements Backend {

    long macs;

    @Override
    public String name() {
        return "test-reference";
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        ReferenceConv conv = new ReferenceConv(spec, weight, bias);
        return new PreparedConv() {
            @Override
            public ConvSpec spec() {
                return spec;
            }

            @Override
            public Tensor forward(Tensor input) {
                Tensor y = conv.forward(input);
                int perGroup = spec.inChannels() / spec.groups();
                Dims3 k = spec.kernel();
                for (int e = 0; e < y.numel(); e++) {
                    for (int c = 0; c < perGroup; c++) {
                        for (int a = 0; a < k.d(); a++) {
                            for (int b = 0; b < k.h(); b++) {
                                for (int w = 0; w < k.w(); w++) {
                                    macs++;
                                }
                            }
                        }
                    }
                }
                return y;
            }
        };
    }

    @Override
    public Tensor relu(Tensor input) {
        return Composed.relu(input);
    }

    @Override
    public Tensor maxPool3d(PoolSpec spec, Tensor input) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor avgPool3d(PoolSpec spec, Tensor input) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            double eps) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        throw new UnsupportedOperationException("not used by blocks");
    }

    @Override
    public Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask) {
        throw new UnsupportedOperationException("not used by blocks");
    }
}
