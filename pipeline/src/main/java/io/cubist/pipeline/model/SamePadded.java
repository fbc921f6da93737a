package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.List;

/**
 * A layer with TensorFlow's {@code "SAME"} padding computed from each input's size ({@link Op.SamePad}), as the
 * InceptionI3d port writes its layers: {@code Unit3D} (a convolution, then optionally {@code BatchNorm3d} and ReLU;
 * children {@code conv3d} and {@code bn}, so keys {@code conv3d.weight}, {@code bn.running_var}) and
 * {@code MaxPool3dSamePadding} (zeros padded, then a max pool without padding). Output per axis:
 * {@code ceil(in / stride)} for the kernels I3D uses.
 *
 * <p>Where the padding cannot depend on the size (stride 1 and an odd kernel: {@code k / 2} on both sides), the
 * convolution pads itself and nothing is copied.
 */
public final class SamePadded implements Module {

    private final String kind;
    private final ConvSpec conv;
    private final PoolSpec pool;
    private final List<Child> children;

    private SamePadded(String kind, ConvSpec conv, PoolSpec pool, List<Child> children) {
        this.kind = kind;
        this.conv = conv;
        this.pool = pool;
        this.children = List.copyOf(children);
    }

    /**
     * The port's {@code Unit3D}: {@code conv3d} with {@code spec}'s kernel, stride and bias (its padding is ignored:
     * "SAME"), then {@code bn} ({@code BatchNorm3d(eps)}) when {@code batchNorm}, then ReLU when {@code relu}.
     */
    public static SamePadded unit3d(ConvSpec spec, boolean batchNorm, double eps, boolean relu) {
        ConvSpec valid = ConvSpec.builder(3, spec.inChannels(), spec.outChannels(), spec.kernel().toArray())
                .stride(spec.stride().toArray()).groups(spec.groups()).bias(spec.bias()).build();
        List<Child> c = new ArrayList<>();
        c.add(new Child("conv3d", new Conv3d(valid)));
        if (batchNorm) {
            c.add(new Child("bn", new BatchNorm3d(valid.outChannels(), eps, true)));
        }
        if (relu) {
            c.add(new Child("relu", new ReLU()));
        }
        return new SamePadded("Unit3D", valid, null, c);
    }

    /** The port's {@code MaxPool3dSamePadding}. */
    public static SamePadded maxPool(Dims3 kernel, Dims3 stride) {
        return new SamePadded("MaxPool3dSamePadding", null,
                PoolSpec.max(kernel, stride, Dims3.of(0), Dims3.of(1), false), List.of());
    }

    private Dims3 kernel() {
        return conv != null ? conv.kernel() : pool.kernel();
    }

    private Dims3 stride() {
        return conv != null ? conv.stride() : pool.stride();
    }

    /** The input's spatial size once padded. */
    private Dims3 padded(int[] in) {
        int[] p = new int[3];
        for (int a = 0; a < 3; a++) {
            int[] ba = io.cubist.kernels.ops.OpSpec.SamePad.padding(kernel().get(a), stride().get(a), in[2 + a]);
            p[a] = in[2 + a] + ba[0] + ba[1];
        }
        return new Dims3(p[0], p[1], p[2]);
    }

    /** Whether the padding is {@code k / 2} on both sides for any size: stride 1 and an odd kernel on every axis. */
    private boolean staticPadding() {
        for (int a = 0; a < 3; a++) {
            if (stride().get(a) != 1 || kernel().get(a) % 2 == 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public List<Child> children() {
        return children;
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(kind, in, conv == null ? -1 : conv.inChannels());
        Dims3 p = padded(in);
        Dims3 o = conv != null ? conv.outputSize(p) : pool.outputSize(p);
        return Shapes.ncdhw(in[0], conv == null ? in[1] : conv.outChannels(), o);
    }

    @Override
    public long macs(int[] in) {
        outputShape(in);
        return conv == null ? 0 : conv.macs(in[0], padded(in));
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return conv != null ? conv.receptiveField() : ReceptiveField.IDENTITY.then(pool.kernel(), pool.stride());
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        List<Op> ops = new ArrayList<>();
        if (pool != null) {
            ops.add(new Op.SamePad(pool.kernel(), pool.stride()));
            ops.add(new Op.MaxPool(pool));
            return ops;
        }
        ConvSpec spec = conv;
        if (staticPadding()) {
            Dims3 k = conv.kernel();
            spec = ConvSpec.builder(3, conv.inChannels(), conv.outChannels(), k.toArray()).groups(conv.groups())
                    .padding(k.d() / 2, k.h() / 2, k.w() / 2).bias(conv.bias()).build();
        } else {
            ops.add(new Op.SamePad(conv.kernel(), conv.stride()));
        }
        ops.addAll(Conv3d.lower(spec, weights, Module.join(path, "conv3d")));
        ops.addAll(Chain.lower(children.subList(1, children.size()), weights, path, Taps.NONE));
        return ops;
    }

    @Override
    public String toString() {
        return kind + "(" + (conv != null ? conv : "kernel " + pool.kernel() + ", stride " + pool.stride()) + ")";
    }
}
