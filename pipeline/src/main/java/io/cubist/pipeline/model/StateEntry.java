package io.cubist.pipeline.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the {@code state_dict} a module expects: its key, its shape and what it is.
 *
 * @param key   the PyTorch key relative to the module that lists it ({@code weight}, {@code 0.running_var}, ...)
 * @param shape the tensor's shape; {@code []} for the scalar {@code num_batches_tracked}
 */
public record StateEntry(String key, int[] shape, Role role) {

    /** What an entry holds; decides whether it counts as a parameter and how a random initialization fills it. */
    public enum Role {
        CONV_WEIGHT(true),
        CONV_BIAS(true),
        BN_WEIGHT(true),
        BN_BIAS(true),
        BN_RUNNING_MEAN(false),
        BN_RUNNING_VAR(false),
        /** The counter {@code nn.BatchNorm3d} keeps for training; inference ignores it and it may be absent. */
        BN_NUM_BATCHES_TRACKED(false),
        LINEAR_WEIGHT(true),
        LINEAR_BIAS(true);

        private final boolean parameter;

        Role(boolean parameter) {
            this.parameter = parameter;
        }

        /** A learnable parameter ({@code model.parameters()}), as opposed to a buffer. */
        public boolean parameter() {
            return parameter;
        }
    }

    public StateEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(role, "role");
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** This entry with {@code path + "."} in front of its key (nothing when {@code path} is empty). */
    public StateEntry under(String path) {
        return new StateEntry(Module.join(path, key), shape, role);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StateEntry e && e.key.equals(key) && Arrays.equals(e.shape, shape) && e.role == role;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(shape), role);
    }

    @Override
    public String toString() {
        return key + " " + Arrays.toString(shape) + " " + role;
    }
}
