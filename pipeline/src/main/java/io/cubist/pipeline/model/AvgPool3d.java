package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.AvgPool3d}: the mean over each window of {@code [N, C, D, H, W]} (padded positions counted when
 * {@code count_include_pad}, the divisor replaced by {@code divisor_override} when given). Per axis
 * {@code out = floor_or_ceil((in + 2*padding - k) / stride) + 1}; channels unchanged. No state.
 */
public final class AvgPool3d implements Module {

    private final PoolSpec spec;

    public AvgPool3d(PoolSpec spec) {
        if (!spec.dilation().allEqual(1)) {
            throw new IllegalArgumentException("AvgPool3d has no dilation, got " + spec.dilation());
        }
        this.spec = spec;
    }

    /** {@code nn.AvgPool3d(kernel, stride, padding)} with PyTorch's defaults otherwise. */
    public static AvgPool3d of(Dims3 kernel, Dims3 stride, Dims3 padding) {
        return new AvgPool3d(PoolSpec.avg(kernel, stride, padding, false, true, 0));
    }

    public PoolSpec spec() {
        return spec;
    }

    @Override
    public String kind() {
        return "AvgPool3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw("AvgPool3d", in, -1);
        return Shapes.ncdhw(in[0], in[1], spec.outputSize(Shapes.spatial(in)));
    }

    @Override
    public long macs(int[] in) {
        return 0;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY.then(spec.kernel(), spec.stride());
    }

    @Override
    public List<StateEntry> stateDict() {
        return List.of();
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.AvgPool(spec));
    }

    @Override
    public String toString() {
        return "AvgPool3d(kernel_size=" + spec.kernel() + ", stride=" + spec.stride() + ", padding=" + spec.padding()
                + ")";
    }
}
