package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * The {@code reference} backend: plain loops over every op, accumulating in double. Slow and obviously correct;
 * every other backend is tested against it, and it is what runs when nothing faster can.
 */
public final class ReferenceBackend implements Backend {

    public static final String NAME = "reference";

    @Override
    public String name() {
        return NAME;
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
        return new ReferenceConv(spec, weight, bias);
    }

    @Override
    public Tensor maxPool3d(PoolSpec spec, Tensor input) {
        return ReferencePool.maxPool3d(spec, input);
    }

    @Override
    public Tensor avgPool3d(PoolSpec spec, Tensor input) {
        return ReferencePool.avgPool3d(spec, input);
    }

    @Override
    public Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        return ReferencePool.adaptiveAvgPool3d(input, outputSize);
    }

    @Override
    public Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            double eps) {
        return ReferenceElementwise.batchNorm(input, runningMean, runningVar, weight, bias, eps);
    }

    @Override
    public Tensor relu(Tensor input) {
        return ReferenceElementwise.relu(input);
    }

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        return ReferenceElementwise.linear(input, weight, bias);
    }

    @Override
    public Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        return ReferenceShuffle.pixelShuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        return ReferenceShuffle.pixelUnshuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask) {
        return ReferenceDeform.deformConv3d(spec, input, offset, weight, bias, mask);
    }
}
