package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * The reference engine's form of every {@link OpSpec}: plain loops, the oracle the other engines are tested
 * against and what an engine runs for an op it has no kernel of its own for. Also the checks and output shapes of
 * the structural ops (sum, concatenation, padding, frame selection) every engine shares.
 */
public final class ReferenceOps {
    private ReferenceOps() {
    }

    /** The reference engine's prepared form of {@code spec}. */
    public static PreparedOp prepare(OpSpec spec) {
        if (spec instanceof OpSpec.MaxPool m) {
            return in -> ReferencePool.maxPool3d(m.pool(), one(spec, in));
        }
        if (spec instanceof OpSpec.AvgPool a) {
            return in -> ReferencePool.avgPool3d(a.pool(), one(spec, in));
        }
        if (spec instanceof OpSpec.AdaptiveAvgPool a) {
            return in -> ReferencePool.adaptiveAvgPool3d(one(spec, in), a.size());
        }
        if (spec instanceof OpSpec.BatchNorm b) {
            return in -> ReferenceElementwise.batchNorm(one(spec, in), b.runningMean(), b.runningVar(), b.weight(),
                    b.bias(), b.eps());
        }
        if (spec instanceof OpSpec.Pointwise p) {
            return switch (p.function()) {
                case RELU -> in -> ReferenceElementwise.relu(one(spec, in));
                case SIGMOID -> in -> ReferenceElementwise.sigmoid(one(spec, in), false);
                case SWISH -> in -> ReferenceElementwise.sigmoid(one(spec, in), true);
            };
        }
        if (spec instanceof OpSpec.ScaleChannels s) {
            return in -> {
                arity(spec, in);
                return ReferenceElementwise.scaleChannels(in[0], in[1], s.swish());
            };
        }
        if (spec instanceof OpSpec.Linear l) {
            return in -> ReferenceElementwise.linear(one(spec, in), l.weight(), l.bias());
        }
        if (spec instanceof OpSpec.Shuffle s) {
            return in -> s.up() ? ReferenceShuffle.pixelShuffle(one(spec, in), s.factor(), s.spatialDims())
                    : ReferenceShuffle.pixelUnshuffle(one(spec, in), s.factor(), s.spatialDims());
        }
        if (spec instanceof OpSpec.Deform d) {
            return in -> {
                arity(spec, in);
                return ReferenceDeform.deformConv3d(d.spec(), in[0], in[1], d.weight(), d.bias(), in[2]);
            };
        }
        if (spec instanceof OpSpec.Add a) {
            return in -> add(in, a.relu());
        }
        if (spec instanceof OpSpec.Concat) {
            return ReferenceOps::concat;
        }
        if (spec instanceof OpSpec.SamePad p) {
            return in -> samePad(p, one(spec, in));
        }
        if (spec instanceof OpSpec.Frames f) {
            return in -> frames(f, one(spec, in));
        }
        throw new IllegalArgumentException("no reference form of " + spec);
    }

    /** Checks that {@code inputs} has the op's number of inputs. */
    public static void arity(OpSpec spec, Tensor[] inputs) {
        int n = spec.arity();
        if (n < 0 ? inputs.length == 0 : inputs.length != n) {
            throw new IllegalArgumentException(spec.getClass().getSimpleName() + " takes " + (n < 0 ? "one or more"
                    : String.valueOf(n)) + " input" + (n == 1 ? "" : "s") + ", got " + inputs.length);
        }
    }

    /** The one input of a one-input op. */
    public static Tensor one(OpSpec spec, Tensor[] inputs) {
        arity(spec, inputs);
        return inputs[0];
    }

    /** The shape of {@code relu?(a + b)}: both inputs' shape, which must be the same. */
    public static int[] checkAdd(Tensor[] in) {
        if (in.length != 2) {
            throw new IllegalArgumentException("a sum takes 2 inputs, got " + in.length);
        }
        if (!Arrays.equals(in[0].shape(), in[1].shape())) {
            throw new IllegalArgumentException("the main path gives " + Arrays.toString(in[0].shape())
                    + " but the shortcut gives " + Arrays.toString(in[1].shape()));
        }
        return in[0].shape();
    }

    static Tensor add(Tensor[] in, boolean relu) {
        int[] shape = checkAdd(in);
        float[] a = in[0].data();
        float[] b = in[1].data();
        float[] o = new float[a.length];
        for (int i = 0; i < o.length; i++) {
            float s = a[i] + b[i];
            o[i] = relu && s < 0f ? 0f : s;
        }
        return new Tensor(o, shape);
    }

    /** The shape of {@code torch.cat(ys, dim=1)}; anything but the channels differing is an error. */
    public static int[] checkConcat(Tensor[] ys) {
        if (ys.length == 0) {
            throw new IllegalArgumentException("a concatenation takes one or more inputs, got none");
        }
        int[] s0 = ys[0].shape();
        int channels = 0;
        for (int i = 0; i < ys.length; i++) {
            int[] s = ys[i].shape();
            if (s.length < 2 || s.length != s0.length || s[0] != s0[0]
                    || !Arrays.equals(s, 2, s.length, s0, 2, s0.length)) {
                throw new IllegalArgumentException("branch " + i + " gives " + Arrays.toString(s)
                        + " but branch 0 gives " + Arrays.toString(s0) + "; only the channels may differ");
            }
            channels += s[1];
        }
        int[] shape = s0.clone();
        shape[1] = channels;
        return shape;
    }

    static Tensor concat(Tensor... ys) {
        int[] shape = checkConcat(ys);
        int n = shape[0];
        float[] out = new float[Math.toIntExact(Tensor.numel(shape))];
        int at = 0;
        for (int b = 0; b < n; b++) {
            for (Tensor y : ys) {
                int per = y.numel() / n; // C_i * D * H * W of one sample
                System.arraycopy(y.data(), b * per, out, at, per);
                at += per;
            }
        }
        return new Tensor(out, shape);
    }

    /** {@code x}'s shape if it is {@code [N, C, D, H, W]}, else an error naming {@code op}. */
    public static int[] check5d(String op, Tensor x) {
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + " takes [N, C, D, H, W], got " + Arrays.toString(x.shape()));
        }
        return x.shape();
    }

    static Tensor samePad(OpSpec.SamePad p, Tensor x) {
        int[] in = check5d("SAME padding", x);
        int[][] plan = p.plan(in);
        int[] before = plan[0];
        int[] out = plan[1];
        if (Arrays.equals(in, out)) {
            return x;
        }
        float[] src = x.data();
        float[] dst = new float[Math.toIntExact(Tensor.numel(out))];
        int planes = in[0] * in[1];
        for (int nc = 0; nc < planes; nc++) {
            for (int z = 0; z < in[2]; z++) {
                for (int y = 0; y < in[3]; y++) {
                    int from = ((nc * in[2] + z) * in[3] + y) * in[4];
                    int to = ((nc * out[2] + z + before[0]) * out[3] + y + before[1]) * out[4] + before[2];
                    System.arraycopy(src, from, dst, to, in[4]);
                }
            }
        }
        return new Tensor(dst, out);
    }

    /** The shape {@code x.index_select(2, index)} gives; an index out of {@code [0, T)} is an error. */
    public static int[] checkFrames(OpSpec.Frames f, Tensor x) {
        int[] s = check5d("frame selection", x);
        for (int i : f.index()) {
            if (i < 0 || i >= s[2]) {
                throw new IllegalArgumentException("frame " + i + " of a clip of " + s[2] + " frames");
            }
        }
        int[] out = s.clone();
        out[2] = f.index().length;
        return out;
    }

    static Tensor frames(OpSpec.Frames f, Tensor x) {
        int[] s = x.shape();
        int[] out = checkFrames(f, x);
        int[] idx = f.index();
        int plane = s[3] * s[4];
        float[] src = x.data();
        float[] dst = new float[Math.toIntExact(Tensor.numel(out))];
        int nc = s[0] * s[1];
        for (int c = 0; c < nc; c++) {
            for (int t = 0; t < idx.length; t++) {
                System.arraycopy(src, (c * s[2] + idx[t]) * plane, dst, (c * idx.length + t) * plane, plane);
            }
        }
        return new Tensor(dst, out);
    }
}
