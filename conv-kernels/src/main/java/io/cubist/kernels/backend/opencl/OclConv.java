package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * A convolution prepared on an OpenCL device: the weights are packed once and kept in the device's weight arrays
 * (uploaded before the next launch); each call runs one launch on tensors in the device's arena, uploading an input
 * only when it is not there already ({@link OclDevice#place}). Depthwise layers ({@code groups == C_in > 1}, not
 * transposed) run one work item per output; everything else, transposed included, the tiled implicit GEMM of
 * {@link DeviceKernel}.
 */
final class OclConv implements PreparedConv {
    private static final Cleaner CLEANER = Cleaner.create();

    private final ConvSpec spec;
    private final OclDevice device;
    private final boolean depthwise;
    private final OclDevice.Region w;
    private final OclDevice.Region b;
    private final OclDevice.Region table;

    OclConv(ConvSpec spec, Tensor weight, Tensor bias, OclDevice device) {
        OpShapes.checkParameters(spec, weight, bias);
        this.spec = spec;
        this.device = device;
        float[] wd = weight.data();
        if (spec.flip()) {
            wd = flip(wd, spec.kernel());
        }
        this.depthwise = !spec.transposed() && spec.groups() > 1 && spec.groups() == spec.inChannels();
        this.w = device.addWeights(depthwise || !spec.transposed() ? wd : packTransposed(wd, spec));
        this.b = bias == null ? null : device.addWeights(bias.data());
        this.table = depthwise ? null : device.addTable(kTable(spec));
        CLEANER.register(this, release(device, w, b, table));
    }

    /** The cleaning action: frees the weights' regions (it must not capture this object). */
    private static Runnable release(OclDevice device, OclDevice.Region... regions) {
        return () -> {
            for (OclDevice.Region r : regions) {
                if (r != null) {
                    device.release(r);
                }
            }
        };
    }

    /** Per reduction index {@code k = ci*taps + tap}: {@code ci}, then the tap's dilated offsets (d, h, w). */
    static int[] kTable(ConvSpec spec) {
        Dims3 k = spec.kernel();
        int taps = (int) k.product();
        int cinG = spec.inChannels() / spec.groups();
        int[] t = new int[4 * cinG * taps];
        for (int ci = 0; ci < cinG; ci++) {
            for (int tap = 0; tap < taps; tap++) {
                int i = 4 * (ci * taps + tap);
                t[i] = ci;
                t[i + 1] = tap / (k.h() * k.w()) * spec.dilation().d();
                t[i + 2] = tap / k.w() % k.h() * spec.dilation().h();
                t[i + 3] = tap % k.w() * spec.dilation().w();
            }
        }
        return t;
    }

    /** {@code [C_in, C_out/g, taps]} to {@code [C_out, C_in/g * taps]}: the GEMM's A for each group. */
    static float[] packTransposed(float[] w, ConvSpec spec) {
        int g = spec.groups();
        int cinG = spec.inChannels() / g;
        int coutG = spec.outChannels() / g;
        int taps = (int) spec.kernel().product();
        float[] a = new float[w.length];
        for (int gi = 0; gi < g; gi++) {
            for (int ci = 0; ci < cinG; ci++) {
                for (int oo = 0; oo < coutG; oo++) {
                    int src = ((gi * cinG + ci) * coutG + oo) * taps;
                    int dst = ((gi * coutG + oo) * cinG + ci) * taps;
                    System.arraycopy(w, src, a, dst, taps);
                }
            }
        }
        return a;
    }

    /** Every spatial axis of each {@code [kd, kh, kw]} block reversed: true convolution. */
    static float[] flip(float[] w, Dims3 k) {
        int taps = (int) k.product();
        float[] f = new float[w.length];
        for (int base = 0; base < w.length; base += taps) {
            for (int t = 0; t < taps; t++) {
                f[base + taps - 1 - t] = w[base + t];
            }
        }
        return f;
    }

    @Override
    public ConvSpec spec() {
        return spec;
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, null, false);
    }

    @Override
    public Tensor forward(Tensor input, Tensor residual, boolean relu) {
        int[] s5 = OpShapes.inputShape5d(spec, input);
        Dims3 in = new Dims3(s5[2], s5[3], s5[4]);
        Dims3 out = spec.outputSize(in);
        if (!spec.transposed()) {
            spec.checkPaddingFits(in);
        }
        int[] yShape = OpShapes.convOutputShape(spec, input, out);
        if (residual != null && !Arrays.equals(residual.shape(), yShape)) {
            throw new IllegalArgumentException(spec.name() + ": residual shape " + Arrays.toString(residual.shape())
                    + " differs from the output shape " + Arrays.toString(yShape));
        }
        return device.op(() -> {
            Tensor y = device.allocate(yShape);
            if (y.numel() == 0) {
                return y;
            }
            int x = device.place(input);
            int r = residual == null ? 0 : device.place(residual);
            DeviceKernel k = device.kernel();
            k.xOff = x;
            k.yOff = OclDevice.offset(y);
            k.rOff = r;
            k.wOff = w.offset;
            k.bOff = b == null ? 0 : b.offset;
            k.tOff = table == null ? 0 : table.offset;
            k.n = s5[0];
            k.cin = spec.inChannels();
            k.cout = spec.outChannels();
            k.groups = spec.groups();
            k.cinG = k.cin / k.groups;
            k.coutG = k.cout / k.groups;
            OclDevice.geometry(k, in, out);
            OclDevice.window(k, spec.kernel(), spec.stride(), spec.padBefore(), spec.dilation());
            k.mode = spec.paddingMode().ordinal();
            k.hasBias = spec.bias() ? 1 : 0;
            k.hasRes = residual == null ? 0 : 1;
            k.relu = relu ? 1 : 0;
            k.positions = (int) out.product();
            if (depthwise) {
                k.op = DeviceKernel.DEPTHWISE;
                k.total = y.numel();
                device.launch(y.numel(), DeviceKernel.LOCAL);
            } else {
                k.op = DeviceKernel.CONV;
                k.transposed = spec.transposed() ? 1 : 0;
                k.pointwise = !spec.transposed() && spec.kernel().allEqual(1) && spec.stride().allEqual(1)
                        && spec.padBefore().allEqual(0) && in.equals(out) ? 1 : 0;
                k.kTotal = k.cinG * (int) spec.kernel().product();
                k.mTiles = (k.coutG + DeviceKernel.TM - 1) / DeviceKernel.TM;
                k.pTiles = (k.positions + DeviceKernel.TP - 1) / DeviceKernel.TP;
                long items = (long) s5[0] * k.groups * k.mTiles * k.pTiles * DeviceKernel.LOCAL;
                device.launch(Math.toIntExact(items), DeviceKernel.LOCAL);
            }
            return y;
        });
    }
}
