package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nn.BatchNorm3d} in inference ({@code eval()}): per channel {@code c} of {@code [N, C, D, H, W]},
 * {@code y = (x - running_mean[c]) / sqrt(running_var[c] + eps) * weight[c] + bias[c]}; the shape is unchanged.
 * After a convolution it is folded into that convolution when prepared ({@link BatchNormFolding}).
 *
 * <p>State: {@code weight}, {@code bias} ({@code [C]}, parameters, with {@code affine=True}), {@code running_mean},
 * {@code running_var} ({@code [C]}, buffers) and {@code num_batches_tracked} ({@code []}, a training counter that
 * may be absent). Parameters: {@code 2C} (affine) or 0.
 */
public final class BatchNorm3d implements Module {

    /** PyTorch's default {@code eps}. */
    public static final double DEFAULT_EPS = 1e-5;

    private final int channels;
    private final double eps;
    private final boolean affine;

    public BatchNorm3d(int channels) {
        this(channels, DEFAULT_EPS, true);
    }

    public BatchNorm3d(int channels, double eps, boolean affine) {
        if (channels < 1) {
            throw new IllegalArgumentException("BatchNorm3d: num_features must be >= 1, got " + channels);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("BatchNorm3d: eps must be > 0, got " + eps);
        }
        this.channels = channels;
        this.eps = eps;
        this.affine = affine;
    }

    public int channels() {
        return channels;
    }

    public double eps() {
        return eps;
    }

    @Override
    public String kind() {
        return "BatchNorm3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(toString(), in, channels);
        return in.clone();
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
        int[] c = {channels};
        List<StateEntry> e = new ArrayList<>();
        if (affine) {
            e.add(new StateEntry("weight", c, StateEntry.Role.BN_WEIGHT));
            e.add(new StateEntry("bias", c, StateEntry.Role.BN_BIAS));
        }
        e.add(new StateEntry("running_mean", c, StateEntry.Role.BN_RUNNING_MEAN));
        e.add(new StateEntry("running_var", c, StateEntry.Role.BN_RUNNING_VAR));
        e.add(new StateEntry("num_batches_tracked", new int[0], StateEntry.Role.BN_NUM_BATCHES_TRACKED));
        return List.copyOf(e);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        int[] c = {channels};
        return List.of(new Op.BatchNorm(path,
                Shapes.weight(weights, Module.join(path, "running_mean"), c),
                Shapes.weight(weights, Module.join(path, "running_var"), c),
                affine ? Shapes.weight(weights, Module.join(path, "weight"), c) : null,
                affine ? Shapes.weight(weights, Module.join(path, "bias"), c) : null, eps));
    }

    @Override
    public String toString() {
        return "BatchNorm3d(" + channels + (eps != DEFAULT_EPS ? ", eps=" + eps : "") + (affine ? "" : ", affine=False")
                + ")";
    }
}
