package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.lang.ref.Cleaner;

/**
 * A convolution prepared on an OpenCL device: the weights are packed once and uploaded once, by the first call
 * (Aparapi explicit buffers: nothing touches the device before an input has passed validation); each call uploads
 * the input (and residual), runs one kernel and reads the output back. Depthwise layers
 * ({@code groups == C_in > 1}, not transposed) run {@link DepthwiseKernel}; everything else, transposed included,
 * the tiled {@link ConvKernel}.
 */
final class OclConv implements PreparedConv {
    private static final Cleaner CLEANER = Cleaner.create();

    private final ConvSpec spec;
    private final OclDevice device;
    private final ConvKernel tiled;
    private final DepthwiseKernel depthwise;
    /** Whether the weights are on the device: uploaded by the first call, after its input was validated. */
    private boolean uploaded;

    OclConv(ConvSpec spec, Tensor weight, Tensor bias, OclDevice device) {
        ReferenceConv.checkParameters(spec, weight, bias);
        this.spec = spec;
        this.device = device;
        float[] w = weight.data().clone();
        if (spec.flip()) {
            w = flip(w, spec.kernel());
        }
        float[] b = bias == null ? new float[1] : bias.data().clone();
        boolean dw = !spec.transposed() && spec.groups() > 1 && spec.groups() == spec.inChannels();
        if (dw) {
            DepthwiseKernel k = device.pin(new DepthwiseKernel());
            k.w = w;
            k.bias = b;
            depthwise = k;
            tiled = null;
            CLEANER.register(this, retire(device, k));
        } else {
            ConvKernel k = device.pin(new ConvKernel());
            k.w = spec.transposed() ? packTransposed(w, spec) : w;
            k.kTab = kTable(spec);
            k.bias = b;
            tiled = k;
            depthwise = null;
            CLEANER.register(this, retire(device, k));
        }
    }

    /** The cleaning action: hand the kernel to the device (it must not capture this object). */
    private static Runnable retire(OclDevice device, com.aparapi.Kernel k) {
        return () -> device.retire(k);
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
        int[] s5 = ReferenceConv.inputShape5d(spec, input);
        Dims3 in = new Dims3(s5[2], s5[3], s5[4]);
        Dims3 out = spec.outputSize(in);
        if (!spec.transposed()) {
            spec.checkPaddingFits(in);
        }
        Tensor y = Tensor.zeros(ReferenceConv.outputShape(spec, input, out));
        float[] res = PreparedConv.residualData(spec, residual, y);
        if (y.numel() == 0) {
            return y;
        }
        if (depthwise != null) {
            runDepthwise(input.data(), s5[0], in, out, y.data(), res, relu);
        } else {
            runTiled(input.data(), s5[0], in, out, y.data(), res, relu);
        }
        return y;
    }

    private void runTiled(float[] x, int batch, Dims3 in, Dims3 out, float[] y, float[] res, boolean relu) {
        ConvKernel k = tiled;
        synchronized (device) {
            k.x = x;
            k.y = y;
            k.res = res == null ? new float[1] : res;
            k.cin = spec.inChannels();
            k.cout = spec.outChannels();
            k.groups = spec.groups();
            k.cinG = k.cin / k.groups;
            k.coutG = k.cout / k.groups;
            setGeometry(in, out);
            k.mode = spec.paddingMode().ordinal();
            k.transposed = spec.transposed() ? 1 : 0;
            k.pointwise = !spec.transposed() && spec.kernel().allEqual(1) && spec.stride().allEqual(1)
                    && spec.padBefore().allEqual(0) && in.equals(out) ? 1 : 0;
            k.hasBias = spec.bias() ? 1 : 0;
            k.hasRes = res == null ? 0 : 1;
            k.relu = relu ? 1 : 0;
            k.kTotal = k.cinG * (int) spec.kernel().product();
            k.positions = (int) out.product();
            k.mTiles = (k.coutG + ConvKernel.TM - 1) / ConvKernel.TM;
            k.pTiles = (k.positions + ConvKernel.TP - 1) / ConvKernel.TP;
            if (!uploaded) {
                k.put(k.w).put(k.kTab).put(k.bias);
                uploaded = true;
            }
            k.put(k.x).put(k.res);
            long items = (long) batch * k.groups * k.mTiles * k.pTiles * ConvKernel.LOCAL;
            device.execute(k, Math.toIntExact(items), ConvKernel.LOCAL);
            k.get(k.y);
            release(k);
        }
    }

    private void setGeometry(Dims3 in, Dims3 out) {
        ConvKernel k = tiled;
        k.inD = in.d();
        k.inH = in.h();
        k.inW = in.w();
        k.outD = out.d();
        k.outH = out.h();
        k.outW = out.w();
        k.sd = spec.stride().d();
        k.sh = spec.stride().h();
        k.sw = spec.stride().w();
        k.pd = spec.padBefore().d();
        k.ph = spec.padBefore().h();
        k.pw = spec.padBefore().w();
    }

    private void runDepthwise(float[] x, int batch, Dims3 in, Dims3 out, float[] y, float[] res, boolean relu) {
        DepthwiseKernel k = depthwise;
        synchronized (device) {
            k.x = x;
            k.y = y;
            k.res = res == null ? new float[1] : res;
            k.cin = spec.inChannels();
            k.cout = spec.outChannels();
            k.coutG = k.cout / spec.groups();
            k.inD = in.d();
            k.inH = in.h();
            k.inW = in.w();
            k.outD = out.d();
            k.outH = out.h();
            k.outW = out.w();
            k.kd = spec.kernel().d();
            k.kh = spec.kernel().h();
            k.kw = spec.kernel().w();
            k.sd = spec.stride().d();
            k.sh = spec.stride().h();
            k.sw = spec.stride().w();
            k.pd = spec.padBefore().d();
            k.ph = spec.padBefore().h();
            k.pw = spec.padBefore().w();
            k.dd = spec.dilation().d();
            k.dh = spec.dilation().h();
            k.dw = spec.dilation().w();
            k.mode = spec.paddingMode().ordinal();
            k.hasBias = spec.bias() ? 1 : 0;
            k.hasRes = res == null ? 0 : 1;
            k.relu = relu ? 1 : 0;
            k.total = y.length;
            if (!uploaded) {
                k.put(k.w).put(k.bias);
                uploaded = true;
            }
            k.put(k.x).put(k.res);
            device.execute(k, y.length, OpenClBackend.LOCAL);
            k.get(k.y);
            k.x = OpenClBackend.EMPTY;
            k.y = OpenClBackend.EMPTY;
            k.res = OpenClBackend.EMPTY;
        }
    }

    /** Drops the per-call arrays so the kernel does not keep a clip's activations alive between calls. */
    private static void release(ConvKernel k) {
        k.x = OpenClBackend.EMPTY;
        k.y = OpenClBackend.EMPTY;
        k.res = OpenClBackend.EMPTY;
    }
}
