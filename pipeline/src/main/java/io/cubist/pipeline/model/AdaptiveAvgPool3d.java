package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.AdaptiveAvgPool3d(output_size)}: {@code [N, C, D, H, W] -> [N, C, oD, oH, oW]}; output index {@code i}
 * of an axis of input size {@code in} averages {@code [floor(i*in/out), ceil((i+1)*in/out))}. With output size 1 it
 * is the global average pool of the video ResNets, and its receptive field is the whole input. No state.
 */
public final class AdaptiveAvgPool3d implements Module {

    private final Dims3 outputSize;

    public AdaptiveAvgPool3d(Dims3 outputSize) {
        for (int a = 0; a < 3; a++) {
            if (outputSize.get(a) < 1) {
                throw new IllegalArgumentException("AdaptiveAvgPool3d: output_size must be >= 1, got " + outputSize);
            }
        }
        this.outputSize = outputSize;
    }

    public Dims3 outputSize() {
        return outputSize;
    }

    @Override
    public String kind() {
        return "AdaptiveAvgPool3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw("AdaptiveAvgPool3d", in, -1);
        return Shapes.ncdhw(in[0], in[1], outputSize);
    }

    @Override
    public long macs(int[] in) {
        return 0;
    }

    // Per axis: the widest window, and the distance between window starts (exact when out divides in).
    @Override
    public ReceptiveField receptiveField(int[] in) {
        int[] size = new int[3];
        int[] jump = new int[3];
        for (int a = 0; a < 3; a++) {
            int n = in[2 + a];
            int o = outputSize.get(a);
            for (int i = 0; i < o; i++) {
                int start = (int) ((long) i * n / o);
                int end = (int) (((long) (i + 1) * n + o - 1) / o);
                size[a] = Math.max(size[a], end - start);
            }
            jump[a] = Math.max(1, n / o);
        }
        return new ReceptiveField(new Dims3(size[0], size[1], size[2]), new Dims3(jump[0], jump[1], jump[2]));
    }

    @Override
    public List<StateEntry> stateDict() {
        return List.of();
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.AdaptiveAvgPool(outputSize));
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool3d(output_size=" + outputSize + ")";
    }
}
