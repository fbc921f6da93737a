package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.Flatten()} ({@code torch.flatten(x, 1)}): {@code [N, d1, d2, ...] -> [N, d1*d2*...]}, the data shared.
 * The video ResNets flatten the pooled {@code [N, C, 1, 1, 1]} map into the {@code [N, C]} features. No state.
 */
public final class Flatten implements Module {

    @Override
    public String kind() {
        return "Flatten";
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length < 2) {
            throw new IllegalArgumentException("Flatten expects an input [N, ...] of rank >= 2, got "
                    + java.util.Arrays.toString(in));
        }
        long n = 1;
        for (int i = 1; i < in.length; i++) {
            n *= in[i];
        }
        return new int[] {in[0], Math.toIntExact(n)};
    }

    @Override
    public long macs(int[] in) {
        return 0;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY;
    }

    @Override
    public List<StateEntry> stateDict() {
        return List.of();
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.Flatten());
    }

    @Override
    public String toString() {
        return "Flatten()";
    }
}
