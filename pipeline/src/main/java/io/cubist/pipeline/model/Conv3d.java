package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nn.Conv3d}: cross-correlation of {@code [N, C_in, D, H, W]} with {@code weight [C_out, C_in/groups, kD, kH,
 * kW]} plus {@code bias [C_out]}, giving {@code [N, C_out, D', H', W']} with, per axis,
 * {@code out = floor((in + pad_before + pad_after - dilation*(k-1) - 1) / stride) + 1}. Any {@link ConvSpec} with
 * three spatial dimensions: groups, dilation, {@code same}/{@code valid} padding, padding modes, {@code flip}.
 *
 * <p>The same module is {@code nn.Conv1d} and {@code nn.Conv2d} for a spec with one or two spatial dimensions
 * ({@code [N, C, W]}, {@code [N, C, H, W]}): the literature's 1D and 2D blocks ({@link Blocks}) are built from it.
 *
 * <p>State: {@code weight} and, with {@code bias=True}, {@code bias}.
 */
public final class Conv3d implements Module {

    private final ConvSpec spec;

    public Conv3d(ConvSpec spec) {
        if (spec.transposed()) {
            throw new IllegalArgumentException("Conv3d needs a direct convolution spec, got " + spec);
        }
        this.spec = spec;
    }

    public ConvSpec spec() {
        return spec;
    }

    @Override
    public String kind() {
        return "Conv" + spec.spatialDims() + "d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireRank(toString(), in, spec.spatialDims(), spec.inChannels());
        Dims3 s = Shapes.spatialAny(in);
        spec.checkPaddingFits(s);
        return Shapes.shape(in[0], spec.outChannels(), spec.outputSize(s), spec.spatialDims());
    }

    @Override
    public long macs(int[] in) {
        outputShape(in);
        return spec.macs(in[0], Shapes.spatialAny(in));
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return spec.receptiveField();
    }

    @Override
    public List<StateEntry> stateDict() {
        return stateDict(spec);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return lower(spec, weights, path);
    }

    /** {@code weight} (and {@code bias}) of any convolution, direct or transposed, as its spec shapes them. */
    static List<StateEntry> stateDict(ConvSpec spec) {
        List<StateEntry> e = new ArrayList<>();
        e.add(new StateEntry("weight", spec.weightShape(), StateEntry.Role.CONV_WEIGHT));
        if (spec.bias()) {
            e.add(new StateEntry("bias", new int[] {spec.outChannels()}, StateEntry.Role.CONV_BIAS));
        }
        return List.copyOf(e);
    }

    /** One {@link Op.Conv} reading {@code path.weight} (and {@code path.bias}) for any convolution spec. */
    static List<Op> lower(ConvSpec spec, StateDict weights, String path) {
        String wk = Module.join(path, "weight");
        return List.of(new Op.Conv(wk, spec, Shapes.weight(weights, wk, spec.weightShape()),
                spec.bias() ? Shapes.weight(weights, Module.join(path, "bias"), new int[] {spec.outChannels()}) : null,
                false));
    }

    @Override
    public String toString() {
        return kind() + spec.toString().substring(spec.name().length());
    }
}
