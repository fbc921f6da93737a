package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.backend.reference.ReferenceDeform;
import io.cubist.kernels.backend.reference.ReferenceElementwise;
import io.cubist.kernels.backend.reference.ReferencePool;
import io.cubist.kernels.backend.reference.ReferenceShuffle;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.DeviceType;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * The {@code opencl} backend: kernels written for Aparapi, run on one OpenCL device chosen by
 * {@value Devices#PROPERTY} ({@link Devices#chooseOpenCl()}). Convolutions (direct, transposed, grouped, depthwise,
 * pointwise, every padding mode, with the fused bias/residual/ReLU epilogue), deformable convolution, pooling, batch
 * norm, ReLU, linear and the pixel shuffles all run on the device; a prepared convolution's weights go to the device
 * once. Every launch is checked to have run on the device ({@link OclDevice}); nothing falls back to the host.
 *
 * <p>Rank: above {@code cpu} (10) on a GPU or accelerator; below it on a CPU OpenCL device such as pocl, where the
 * Vector API engine is faster, so {@code opencl} there runs only when asked for by name.
 */
public final class OpenClBackend implements Backend {
    public static final String NAME = "opencl";
    static final int LOCAL = 64;
    static final float[] EMPTY = new float[1];

    private final Device chosen;
    private final String unavailable;
    private volatile OclDevice device;
    private PoolKernel pool;
    private ElementwiseKernel elementwise;
    private ShuffleKernel shuffle;
    private DeformKernel deform;

    /** The ServiceLoader constructor: the device {@value Devices#PROPERTY} chooses. */
    public OpenClBackend() {
        Device d = null;
        String why = Devices.openClUnavailableReason();
        if (why == null) {
            try {
                d = Devices.chooseOpenCl();
            } catch (IllegalArgumentException | IllegalStateException e) {
                why = e.getMessage();
            }
        }
        this.chosen = d;
        this.unavailable = why;
    }

    /** A backend on {@code device} (an OpenCL device from {@link Devices#openCl()}). */
    public OpenClBackend(Device device) {
        if (!device.isOpenCl()) {
            throw new IllegalArgumentException(device.id() + " is not an OpenCL device");
        }
        this.chosen = device;
        this.unavailable = null;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** 20 on a GPU or accelerator (above cpu), 5 on a CPU device (below cpu, above reference), 5 when absent. */
    @Override
    public int rank() {
        return chosen != null && chosen.type() != DeviceType.CPU && chosen.type() != DeviceType.OTHER ? 20 : 5;
    }

    @Override
    public String unavailableReason() {
        return unavailable;
    }

    /** The device this backend runs on, or null when it is unavailable. */
    public Device device() {
        return chosen;
    }

    /** Kernel launches so far, every one checked to have run on {@link #device()}. */
    public long launches() {
        OclDevice d = device;
        return d == null ? 0 : d.launches();
    }

    private OclDevice dev() {
        OclDevice d = device;
        if (d == null) {
            if (unavailable != null) {
                throw new IllegalStateException("backend 'opencl' cannot run here: " + unavailable);
            }
            synchronized (this) {
                d = device;
                if (d == null) {
                    device = d = new OclDevice(chosen);
                }
            }
        }
        return d;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        ReferenceConv.checkParameters(spec, weight, bias);
        return new OclConv(spec, weight, bias, dev());
    }

    private synchronized PoolKernel poolKernel() {
        if (pool == null) {
            pool = dev().pin(new PoolKernel());
        }
        return pool;
    }

    private synchronized ShuffleKernel shuffleKernel() {
        if (shuffle == null) {
            shuffle = dev().pin(new ShuffleKernel());
        }
        return shuffle;
    }

    private synchronized DeformKernel deformKernel() {
        if (deform == null) {
            deform = dev().pin(new DeformKernel());
        }
        return deform;
    }

    private synchronized ElementwiseKernel elementwiseKernel() {
        if (elementwise == null) {
            elementwise = dev().pin(new ElementwiseKernel());
        }
        return elementwise;
    }

    @Override
    public Tensor maxPool3d(PoolSpec spec, Tensor input) {
        int[] in = ReferencePool.batched("max_pool3d", input);
        return pool(0, spec, input, in, spec.outputSize(new Dims3(in[2], in[3], in[4])));
    }

    @Override
    public Tensor avgPool3d(PoolSpec spec, Tensor input) {
        int[] in = ReferencePool.checkAvgPool(spec, input);
        return pool(1, spec, input, in, spec.outputSize(new Dims3(in[2], in[3], in[4])));
    }

    @Override
    public Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        int[] in = ReferencePool.checkAdaptive(input, outputSize);
        PoolSpec unit = PoolSpec.avg(Dims3.of(1), Dims3.of(1), Dims3.of(0), false, true, 0);
        return pool(2, unit, input, in, outputSize);
    }

    private Tensor pool(int op, PoolSpec spec, Tensor input, int[] in, Dims3 out) {
        Tensor result = Tensor.zeros(in[0], in[1], out.d(), out.h(), out.w());
        if (result.numel() > 0) {
            PoolKernel k = poolKernel();
            synchronized (dev()) {
                k.op = op;
                k.x = input.data();
                k.y = result.data();
                k.inD = in[2];
                k.inH = in[3];
                k.inW = in[4];
                k.outD = out.d();
                k.outH = out.h();
                k.outW = out.w();
                k.kd = spec.kernel().d();
                k.kh = spec.kernel().h();
                k.kw = spec.kernel().w();
                k.sd = spec.stride().d();
                k.sh = spec.stride().h();
                k.sw = spec.stride().w();
                k.pd = spec.padding().d();
                k.ph = spec.padding().h();
                k.pw = spec.padding().w();
                k.dd = spec.dilation().d();
                k.dh = spec.dilation().h();
                k.dw = spec.dilation().w();
                k.countIncludePad = spec.countIncludePad() ? 1 : 0;
                k.divisorOverride = spec.divisorOverride();
                k.total = result.numel();
                k.lowest = Float.NEGATIVE_INFINITY;
                k.put(k.x);
                dev().execute(k, k.total, LOCAL);
                k.get(k.y);
                k.x = EMPTY;
                k.y = EMPTY;
            }
        }
        return ReferencePool.unbatched(result, input);
    }

    @Override
    public Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            double eps) {
        int[] s = ReferenceElementwise.checkBatchNorm(input, runningMean, runningVar, weight, bias);
        int c = s[1];
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            // y = (x - mean) / sqrt(var + eps) * weight + bias = x * scale + (bias - mean * scale)
            double sc = (weight == null ? 1.0 : weight.data()[ch]) / Math.sqrt(runningVar.data()[ch] + eps);
            scale[ch] = (float) sc;
            shift[ch] = (float) ((bias == null ? 0.0 : bias.data()[ch]) - runningMean.data()[ch] * sc);
        }
        int inner = input.numel() / Math.max(1, s[0] * c);
        return elementwise(1, input, s, scale, shift, c, Math.max(1, inner), 0, 0, false);
    }

    @Override
    public Tensor relu(Tensor input) {
        return elementwise(0, input, input.shape(), EMPTY, EMPTY, 1, 1, 0, 0, false);
    }

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        ReferenceElementwise.checkLinear(input, weight, bias);
        int[] s = input.shape();
        int in = s[s.length - 1];
        int out = weight.dim(0);
        int[] os = s.clone();
        os[os.length - 1] = out;
        if (in == 0) {
            return ReferenceElementwise.linear(input, weight, bias); // no products: y is the bias
        }
        return elementwise(2, input, os, weight.data(), bias == null ? EMPTY : bias.data(), 1, 1, in, out,
                bias != null);
    }

    private Tensor elementwise(int op, Tensor input, int[] outShape, float[] a, float[] b, int channels, int inner,
                               int inF, int outF, boolean hasBias) {
        Tensor result = Tensor.zeros(outShape);
        if (result.numel() == 0) {
            return result;
        }
        ElementwiseKernel k = elementwiseKernel();
        synchronized (dev()) {
            k.op = op;
            k.x = input.data();
            k.y = result.data();
            k.a = a;
            k.b = b;
            k.channels = channels;
            k.inner = inner;
            k.inF = inF;
            k.outF = outF;
            k.hasBias = hasBias ? 1 : 0;
            k.total = result.numel();
            k.put(k.x).put(k.a).put(k.b);
            dev().execute(k, k.total, LOCAL);
            k.get(k.y);
            k.x = EMPTY;
            k.y = EMPTY;
            k.a = EMPTY;
            k.b = EMPTY;
        }
        return result;
    }

    @Override
    public Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        int[] os = ReferenceShuffle.outputShape(input, factor, spatialDims, true);
        Tensor result = Tensor.zeros(os);
        shuffle(true, result, input, os, factor, spatialDims);
        return result;
    }

    @Override
    public Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        int[] os = ReferenceShuffle.outputShape(input, factor, spatialDims, false);
        Tensor result = Tensor.zeros(os);
        shuffle(false, input, result, input.shape(), factor, spatialDims);
        return result;
    }

    /** {@code big}: {@code [*, C, D*r, H*r, W*r]} of shape {@code bigShape}; {@code small}: the channel-stacked one. */
    private void shuffle(boolean up, Tensor big, Tensor small, int[] bigShape, int r, int spatialDims) {
        if (big.numel() == 0) {
            return;
        }
        ShuffleKernel k = shuffleKernel();
        synchronized (dev()) {
            int s = bigShape.length;
            k.up = up ? 1 : 0;
            k.rd = spatialDims == 3 ? r : 1;
            k.r = r;
            k.c = bigShape[s - spatialDims - 1];
            k.d = spatialDims == 3 ? bigShape[s - 3] / r : 1;
            k.h = bigShape[s - 2] / r;
            k.w = bigShape[s - 1] / r;
            k.total = big.numel();
            k.big = big.data();
            k.small = small.data();
            k.put(up ? k.small : k.big);
            dev().execute(k, k.total, LOCAL);
            k.get(up ? k.big : k.small);
            k.big = EMPTY;
            k.small = EMPTY;
        }
    }

    @Override
    public Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask) {
        ReferenceDeform.Shape s = ReferenceDeform.check(spec, input, offset, weight, bias, mask);
        Tensor result = Tensor.zeros(s.n(), s.o(), s.out().d(), s.out().h(), s.out().w());
        if (result.numel() == 0) {
            return result;
        }
        DeformKernel k = deformKernel();
        synchronized (dev()) {
            k.x = input.data();
            k.off = offset.data();
            k.mask = mask == null ? EMPTY : mask.data();
            k.w = weight.data();
            k.bias = bias == null ? EMPTY : bias.data();
            k.y = result.data();
            k.c = s.c();
            k.id = s.id();
            k.ih = s.ih();
            k.iw = s.iw();
            k.o = s.o();
            k.cg = s.cg();
            k.og = s.og();
            k.kd = s.kd();
            k.kh = s.kh();
            k.kw = s.kw();
            k.g = s.g();
            k.od = s.out().d();
            k.oh = s.out().h();
            k.ow = s.out().w();
            k.sd = spec.stride().d();
            k.sh = spec.stride().h();
            k.sw = spec.stride().w();
            k.pd = spec.padding().d();
            k.ph = spec.padding().h();
            k.pw = spec.padding().w();
            k.dd = spec.dilation().d();
            k.dh = spec.dilation().h();
            k.dw = spec.dilation().w();
            k.hasMask = mask == null ? 0 : 1;
            k.hasBias = bias == null ? 0 : 1;
            k.total = result.numel();
            k.put(k.x).put(k.off).put(k.mask).put(k.w).put(k.bias);
            dev().execute(k, k.total, LOCAL);
            k.get(k.y);
            k.x = EMPTY;
            k.off = EMPTY;
            k.mask = EMPTY;
            k.w = EMPTY;
            k.bias = EMPTY;
            k.y = EMPTY;
        }
        return result;
    }

    @Override
    public String toString() {
        return NAME + (chosen == null ? " (unavailable: " + unavailable + ")" : " on " + chosen.describe());
    }
}
