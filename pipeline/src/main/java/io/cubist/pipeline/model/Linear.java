package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code nn.Linear}: {@code y = x W^T + b}, {@code [..., in_features] -> [..., out_features]} with
 * {@code weight [out_features, in_features]} and {@code bias [out_features]}. MACs: {@code rows * in * out}. Its
 * input is already a feature vector, so its receptive field is the identity.
 */
public final class Linear implements Module {

    private final int inFeatures;
    private final int outFeatures;
    private final boolean bias;

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 1, got "
                    + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.bias = bias;
    }

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public String kind() {
        return "Linear";
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length < 1 || in[in.length - 1] != inFeatures) {
            throw new IllegalArgumentException(this + " expects an input [..., " + inFeatures + "], got "
                    + Arrays.toString(in));
        }
        int[] out = in.clone();
        out[out.length - 1] = outFeatures;
        return out;
    }

    @Override
    public long macs(int[] in) {
        long rows = 1;
        for (int i = 0; i < in.length - 1; i++) {
            rows *= in[i];
        }
        return rows * inFeatures * outFeatures;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY;
    }

    @Override
    public List<StateEntry> stateDict() {
        List<StateEntry> e = new ArrayList<>();
        e.add(new StateEntry("weight", new int[] {outFeatures, inFeatures}, StateEntry.Role.LINEAR_WEIGHT));
        if (bias) {
            e.add(new StateEntry("bias", new int[] {outFeatures}, StateEntry.Role.LINEAR_BIAS));
        }
        return List.copyOf(e);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        String wk = Module.join(path, "weight");
        return List.of(new Op.Linear(wk, Shapes.weight(weights, wk, new int[] {outFeatures, inFeatures}),
                bias ? Shapes.weight(weights, Module.join(path, "bias"), new int[] {outFeatures}) : null));
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + (bias ? "" : ", bias=False")
                + ")";
    }
}
