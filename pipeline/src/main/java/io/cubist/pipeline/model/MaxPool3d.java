package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.MaxPool3d}: the maximum over each window of {@code [N, C, D, H, W]}, padded positions counting as minus
 * infinity. Per axis {@code out = floor_or_ceil((in + 2*padding - dilation*(k-1) - 1) / stride) + 1} (see
 * {@link PoolSpec} for {@code ceil_mode}); channels unchanged. No state.
 */
public final class MaxPool3d implements Module {

    private final PoolSpec spec;

    public MaxPool3d(PoolSpec spec) {
        this.spec = spec;
    }

    /** {@code nn.MaxPool3d(kernel, stride, padding)} with dilation 1 and floor mode. */
    public static MaxPool3d of(Dims3 kernel, Dims3 stride, Dims3 padding) {
        return new MaxPool3d(PoolSpec.max(kernel, stride, padding, Dims3.of(1), false));
    }

    public PoolSpec spec() {
        return spec;
    }

    @Override
    public String kind() {
        return "MaxPool3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw("MaxPool3d", in, -1);
        return Shapes.ncdhw(in[0], in[1], spec.outputSize(Shapes.spatial(in)));
    }

    @Override
    public long macs(int[] in) {
        return 0;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        Dims3 k = spec.kernel();
        Dims3 d = spec.dilation();
        return ReceptiveField.IDENTITY.then(new Dims3(d.d() * (k.d() - 1) + 1, d.h() * (k.h() - 1) + 1,
                d.w() * (k.w() - 1) + 1), spec.stride());
    }

    @Override
    public List<StateEntry> stateDict() {
        return List.of();
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.MaxPool(spec));
    }

    @Override
    public String toString() {
        return "MaxPool3d(kernel_size=" + spec.kernel() + ", stride=" + spec.stride() + ", padding=" + spec.padding()
                + ")";
    }
}
