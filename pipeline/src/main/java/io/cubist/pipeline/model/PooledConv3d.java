package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A 1×1×1 {@code nn.Conv3d(C, K, kernel_size=1, bias=True)} applied to globally pooled features: {@code [N, C] ->
 * [N, K]}, what the convolution gives on {@code [N, C, 1, 1, 1]}, computed as {@code F.linear(x, weight.view(K, C),
 * bias)}. This is S3D's classifier: torchvision runs it on the average-pooled map and then takes the mean over
 * (T, H, W); a 1×1×1 convolution is affine per position, so it commutes with that mean, and running it on the mean
 * (the features) gives the same logits.
 *
 * <p>State: {@code weight [K, C, 1, 1, 1]} and {@code bias [K]}, as the convolution's. MACs: {@code N * C * K} (one
 * position; PyTorch's convolution counts one per position of the pooled map, the same at its native clip size).
 */
public final class PooledConv3d implements Module {

    private final int inChannels;
    private final int outChannels;

    public PooledConv3d(int inChannels, int outChannels) {
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException("PooledConv3d: channels must be >= 1, got " + inChannels + " -> "
                    + outChannels);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
    }

    @Override
    public String kind() {
        return "Conv3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 2 || in[1] != inChannels) {
            throw new IllegalArgumentException(this + " expects pooled features [N, " + inChannels + "], got "
                    + Arrays.toString(in));
        }
        return new int[] {in[0], outChannels};
    }

    @Override
    public long macs(int[] in) {
        return (long) in[0] * inChannels * outChannels;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY;
    }

    @Override
    public List<StateEntry> stateDict() {
        List<StateEntry> e = new ArrayList<>();
        e.add(new StateEntry("weight", new int[] {outChannels, inChannels, 1, 1, 1}, StateEntry.Role.CONV_WEIGHT));
        e.add(new StateEntry("bias", new int[] {outChannels}, StateEntry.Role.CONV_BIAS));
        return List.copyOf(e);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        String wk = Module.join(path, "weight");
        Tensor w = Shapes.weight(weights, wk, new int[] {outChannels, inChannels, 1, 1, 1});
        return List.of(new Op.Linear(wk, w.reshape(outChannels, inChannels),
                Shapes.weight(weights, Module.join(path, "bias"), new int[] {outChannels})));
    }

    @Override
    public String toString() {
        return "Conv3d(" + inChannels + ", " + outChannels + ", kernel_size=(1, 1, 1)) on pooled features";
    }
}
