package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * The reference engine's form of every {@link OpSpec}: plain loops, the oracle the other engines are tested
 * against and what an engine runs for an op it has no kernel of its own for; the checks every engine shares are
 * {@link OpShapes}'.
 */
public final class ReferenceOps {
    private ReferenceOps() {
    }

    /** The reference engine's prepared form of {@code spec}. */
    public static PreparedOp prepare(OpSpec spec) {
        if (spec instanceof OpSpec.MaxPool m) {
            return in -> ReferencePool.maxPool3d(m.pool(), OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.AvgPool a) {
            return in -> ReferencePool.avgPool3d(a.pool(), OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.AdaptiveAvgPool a) {
            return in -> ReferencePool.adaptiveAvgPool3d(OpShapes.one(spec, in), a.size());
        }
        if (spec instanceof OpSpec.BatchNorm b) {
            return in -> ReferenceElementwise.batchNorm(OpShapes.one(spec, in), b.runningMean(), b.runningVar(),
                    b.weight(), b.bias(), b.eps());
        }
        if (spec instanceof OpSpec.Pointwise p) {
            return switch (p.function()) {
                case RELU -> in -> ReferenceElementwise.relu(OpShapes.one(spec, in));
                case SIGMOID -> in -> ReferenceElementwise.sigmoid(OpShapes.one(spec, in), false);
                case SWISH -> in -> ReferenceElementwise.sigmoid(OpShapes.one(spec, in), true);
            };
        }
        if (spec instanceof OpSpec.ScaleChannels s) {
            return in -> {
                OpShapes.arity(spec, in);
                return ReferenceElementwise.scaleChannels(in[0], in[1], s.swish());
            };
        }
        if (spec instanceof OpSpec.Linear l) {
            return in -> ReferenceElementwise.linear(OpShapes.one(spec, in), l.weight(), l.bias());
        }
        if (spec instanceof OpSpec.Shuffle s) {
            return in -> s.up() ? ReferenceShuffle.pixelShuffle(OpShapes.one(spec, in), s.factor(), s.spatialDims())
                    : ReferenceShuffle.pixelUnshuffle(OpShapes.one(spec, in), s.factor(), s.spatialDims());
        }
        if (spec instanceof OpSpec.Deform d) {
            return in -> {
                OpShapes.arity(spec, in);
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
            return in -> samePad(p, OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.Frames f) {
            return in -> frames(f, OpShapes.one(spec, in));
        }
        throw new IllegalArgumentException("no reference form of " + spec);
    }

    static Tensor add(Tensor[] in, boolean relu) {
        int[] shape = OpShapes.checkAdd(in);
        float[] a = in[0].data();
        float[] b = in[1].data();
        float[] o = new float[a.length];
        for (int i = 0; i < o.length; i++) {
            float s = a[i] + b[i];
            o[i] = relu && s < 0f ? 0f : s;
        }
        return new Tensor(o, shape);
    }

    static Tensor concat(Tensor... ys) {
        int[] shape = OpShapes.checkConcat(ys);
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

    static Tensor samePad(OpSpec.SamePad p, Tensor x) {
        int[] in = OpShapes.check5d("SAME padding", x);
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

    static Tensor frames(OpSpec.Frames f, Tensor x) {
        int[] s = x.shape();
        int[] out = OpShapes.checkFrames(f, x);
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
