package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * A backend that counts every multiply-accumulate its convolutions perform, by walking each output element's taps
 * of the tensors that actually flow: the brute-force side of the MAC tests. Everything else is delegated.
 */
final class CountingBackend implements Backend {

    private final Backend delegate;
    long macs;

    CountingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        PreparedConv conv = delegate.prepare(spec, weight, bias);
        return new PreparedConv() {
            @Override
            public ConvSpec spec() {
                return spec;
            }

            @Override
            public Tensor forward(Tensor input) {
                Tensor y = conv.forward(input);
                Dims3 k = spec.kernel();
                for (int e = 0; e < y.numel(); e++) {
                    for (int c = 0; c < spec.inChannels() / spec.groups(); c++) {
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
    public String name() {
        return "counting-" + delegate.name();
    }

    @Override
    public int rank() {
        return delegate.rank();
    }

    @Override
    public String unavailableReason() {
        return delegate.unavailableReason();
    }

    @Override
    public Tensor relu(Tensor input) {
        return delegate.relu(input);
    }

    @Override
    public Tensor maxPool3d(PoolSpec spec, Tensor input) {
        return delegate.maxPool3d(spec, input);
    }

    @Override
    public Tensor avgPool3d(PoolSpec spec, Tensor input) {
        return delegate.avgPool3d(spec, input);
    }

    @Override
    public Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        return delegate.adaptiveAvgPool3d(input, outputSize);
    }

    @Override
    public Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            double eps) {
        return delegate.batchNorm(input, runningMean, runningVar, weight, bias, eps);
    }

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        return delegate.linear(input, weight, bias);
    }

    @Override
    public Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        return delegate.pixelShuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        return delegate.pixelUnshuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask) {
        return delegate.deformConv3d(spec, input, offset, weight, bias, mask);
    }
}
