package io.cubist.kernels.ops;

import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Objects;

/**
 * Every op besides convolution as a value an engine prepares once ({@code Backend.prepare(OpSpec)}) and runs many
 * times: its hyper-parameters and, where it has them, its weights. Inputs are given at run time in the order each
 * record names; tensors are NCDHW ({@code [N, C, D, H, W]}) unless stated otherwise.
 */
public sealed interface OpSpec {

    /** How many inputs the op takes; -1 for one or more ({@link Concat}). */
    int arity();

    /** {@code F.max_pool3d}; padded positions count as minus infinity. Input: x. */
    record MaxPool(PoolSpec pool) implements OpSpec {
        public MaxPool {
            Objects.requireNonNull(pool, "pool");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /** {@code F.avg_pool3d}. Input: x. */
    record AvgPool(PoolSpec pool) implements OpSpec {
        public AvgPool {
            Objects.requireNonNull(pool, "pool");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * {@code F.adaptive_avg_pool3d}: output index {@code i} of an axis averages input
     * {@code [floor(i*in/out), ceil((i+1)*in/out))}. Input: x.
     */
    record AdaptiveAvgPool(Dims3 size) implements OpSpec {
        public AdaptiveAvgPool {
            Objects.requireNonNull(size, "size");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * {@code F.batch_norm} in inference on dimension 1: {@code (x - mean) / sqrt(var + eps) * weight + bias};
     * {@code weight}/{@code bias} may be null (1 and 0). Input: x of rank >= 2.
     */
    record BatchNorm(Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, double eps)
            implements OpSpec {
        public BatchNorm {
            Objects.requireNonNull(runningMean, "running_mean");
            Objects.requireNonNull(runningVar, "running_var");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /** An element-wise function of one input, any shape. */
    enum Function {
        /** {@code F.relu}. */
        RELU,
        /** {@code torch.sigmoid}: {@code 1 / (1 + exp(-x))}. */
        SIGMOID,
        /** Swish / {@code F.silu}: {@code x * sigmoid(x)}. */
        SWISH
    }

    /** {@link Function} of every element. Input: x. */
    record Pointwise(Function function) implements OpSpec {
        public Pointwise {
            Objects.requireNonNull(function, "function");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * {@code x * scale}, {@code scale} one value per sample and channel ({@code [N, C, 1, ...]} or {@code [N, C]})
     * broadcast over the positions of {@code x [N, C, ...]}, then swish when {@code swish}: a squeeze-and-excitation
     * gate and the activation after it in one pass. Inputs: x, scale.
     */
    record ScaleChannels(boolean swish) implements OpSpec {
        @Override
        public int arity() {
            return 2;
        }
    }

    /** {@code F.linear}: {@code y = x W^T + b}, {@code x [..., in]}, {@code W [out, in]}, {@code b [out]} or null. */
    record Linear(Tensor weight, Tensor bias) implements OpSpec {
        public Linear {
            Objects.requireNonNull(weight, "weight");
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * Pixel shuffle ({@code up}) over the last {@code spatialDims} (2 or 3) dimensions,
     * {@code [N, C*r^s, ...] -> [N, C, ...*r]}, or its inverse, pixel unshuffle: {@code F.pixel_shuffle},
     * {@code F.pixel_unshuffle} and Cubist's {@code pixel_shuffle3d}/{@code pixel_unshuffle3d}. Input: x.
     */
    record Shuffle(int factor, int spatialDims, boolean up) implements OpSpec {
        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * {@code deform_conv3d} as DESIGN.md defines it: {@code weight [O, C/groups, kd, kh, kw]}, {@code bias [O]} or
     * null. Inputs: x {@code [N, C, D, H, W]}, offset {@code [N, 3*G*K, oD, oH, oW]}, mask
     * {@code [N, G*K, oD, oH, oW]} or null.
     */
    record Deform(DeformSpec spec, Tensor weight, Tensor bias) implements OpSpec {
        public Deform {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(weight, "weight");
        }

        @Override
        public int arity() {
            return 3;
        }
    }

    /** {@code relu?(a + b)}, same shapes: a residual sum. Inputs: a, b. */
    record Add(boolean relu) implements OpSpec {
        @Override
        public int arity() {
            return 2;
        }
    }

    /**
     * {@code torch.cat(xs, dim=1)}: inputs {@code [N, C_i, ...]} with the same N and trailing dimensions stacked along
     * the channels in order.
     */
    record Concat() implements OpSpec {
        @Override
        public int arity() {
            return -1;
        }
    }

    /**
     * TensorFlow's {@code "SAME"} padding with zeros for a layer of {@code kernel} and {@code stride} that runs next
     * without padding ({@link #padding}). Input: x {@code [N, C, D, H, W]}.
     */
    record SamePad(Dims3 kernel, Dims3 stride) implements OpSpec {
        public SamePad {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(stride, "stride");
        }

        /**
         * {@code {before, after}} of one axis of {@code size}: a total of {@code max(k - s, 0)} when {@code s}
         * divides the size, else {@code max(k - size % s, 0)}, {@code total / 2} before and the rest after (the
         * InceptionI3d port's {@code compute_pad} and {@code F.pad}); the output has {@code ceil(size / s)}
         * positions.
         */
        public static int[] padding(int k, int s, int size) {
            int total = size % s == 0 ? Math.max(k - s, 0) : Math.max(k - size % s, 0);
            return new int[] {total / 2, total - total / 2};
        }

        /** Zeros before each axis of {@code [N, C, D, H, W]} {@code in}, then the padded shape. */
        public int[][] plan(int[] in) {
            int[] before = new int[3];
            int[] out = in.clone();
            for (int a = 0; a < 3; a++) {
                int[] p = padding(kernel.get(a), stride.get(a), in[2 + a]);
                before[a] = p[0];
                out[2 + a] = in[2 + a] + p[0] + p[1];
            }
            return new int[][] {before, out};
        }

        @Override
        public int arity() {
            return 1;
        }
    }

    /**
     * {@code x.index_select(2, index)}: the frames {@code index} names, in that order, of {@code x [N, C, T, H, W]}
     * (the slow pathway a two-pathway network derives from its clip).
     */
    record Frames(int[] index) implements OpSpec {
        public Frames {
            index = index.clone();
        }

        @Override
        public int arity() {
            return 1;
        }
    }
}
