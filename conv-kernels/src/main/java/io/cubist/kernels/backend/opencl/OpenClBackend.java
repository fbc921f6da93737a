package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.backend.reference.ReferenceElementwise;
import io.cubist.kernels.backend.reference.ReferenceOps;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The {@code opencl} backend: every op as an Aparapi kernel ({@link DeviceKernel}) on one OpenCL device. Convolutions
 * (direct, transposed, grouped, depthwise, pointwise, every padding mode, with the fused bias/residual/ReLU
 * epilogue), deformable convolution, pooling, batch norm, the activations, the squeeze-and-excitation gate, linear,
 * the pixel shuffles, sums, concatenation, padding and frame selection all run on the device. Weights go to the
 * device once; inside a {@link #pass} every op's output stays in device memory for the next op, so a model's clip
 * goes up once and its features come down once ({@link #traffic()} counts what crosses). Every launch is checked to
 * have run on the device; nothing falls back to the host.
 */
public final class OpenClBackend implements Backend {
    public static final String NAME = "opencl";
    private static final Cleaner CLEANER = Cleaner.create();

    private final OclDevice device;

    /** A backend on {@code device} (an OpenCL device from {@code Devices.openCl()}); opened by its provider. */
    OpenClBackend(Device device) {
        if (!device.isOpenCl()) {
            throw new IllegalArgumentException(device.id() + " is not an OpenCL device");
        }
        this.device = new OclDevice(device);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The device this backend runs on. */
    public Device device() {
        return device.device();
    }

    @Override
    public String describe() {
        return NAME + " on " + device.device().id() + " (" + device.device().name() + ")";
    }

    @Override
    public <T> T pass(Supplier<T> body) {
        return device.pass(body);
    }

    @Override
    public void fetch(java.util.List<Tensor> tensors) {
        device.fetchAll(tensors);
    }

    @Override
    public Traffic traffic() {
        return device.traffic();
    }

    /** The device's FP32 FMA peak in GFLOP/s, measured now (about a second): what {@code bench} compares with. */
    public double peakGflops() {
        return device.peakGflops();
    }

    /** Kernel launches so far, every one checked to have run on {@link #device()}. */
    public long launches() {
        return device.traffic().launches();
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        return new OclConv(spec, weight, bias, device);
    }

    @Override
    public PreparedOp prepare(OpSpec spec) {
        if (spec instanceof OpSpec.MaxPool m) {
            return in -> pool(0, m.pool(), OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.AvgPool a) {
            return in -> pool(1, a.pool(), OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.AdaptiveAvgPool a) {
            return in -> adaptive(a.size(), OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.BatchNorm b) {
            return batchNorm(b);
        }
        if (spec instanceof OpSpec.Pointwise p) {
            int fn = p.function().ordinal();
            return in -> {
                Tensor x = OpShapes.one(spec, in);
                return elementwise(x, x.shape(), k -> {
                    k.op = DeviceKernel.POINTWISE;
                    k.fn = fn;
                });
            };
        }
        if (spec instanceof OpSpec.ScaleChannels s) {
            return in -> scale(s, in);
        }
        if (spec instanceof OpSpec.Linear l) {
            return linear(l);
        }
        if (spec instanceof OpSpec.Shuffle s) {
            return in -> shuffle(OpShapes.one(spec, in), s);
        }
        if (spec instanceof OpSpec.Deform d) {
            return deform(d);
        }
        if (spec instanceof OpSpec.Add a) {
            return in -> {
                int[] shape = OpShapes.checkAdd(in);
                return device.op(() -> {
                    Tensor y = device.allocate(shape);
                    if (y.numel() > 0) {
                        int x0 = device.place(in[0]);
                        int x1 = device.place(in[1]);
                        DeviceKernel k = device.kernel();
                        k.op = DeviceKernel.ADD;
                        k.xOff = x0;
                        k.rOff = x1;
                        k.yOff = OclDevice.offset(y);
                        k.relu = a.relu() ? 1 : 0;
                        k.total = y.numel();
                        device.launch(y.numel(), DeviceKernel.LOCAL);
                    }
                    return y;
                });
            };
        }
        if (spec instanceof OpSpec.Concat) {
            return this::concat;
        }
        if (spec instanceof OpSpec.SamePad p) {
            return in -> samePad(p, OpShapes.one(spec, in));
        }
        if (spec instanceof OpSpec.Frames f) {
            return frames(f);
        }
        return ReferenceOps.prepare(spec);
    }

    /** Sets a one-input launch's fields. */
    private interface Setup {
        void set(DeviceKernel k);
    }

    /** One work item per element of a new tensor of {@code outShape} computed from {@code x}. */
    private Tensor elementwise(Tensor x, int[] outShape, Setup setup) {
        return device.op(() -> {
            Tensor y = device.allocate(outShape);
            if (y.numel() > 0) {
                int xo = device.place(x);
                DeviceKernel k = device.kernel();
                k.xOff = xo;
                k.yOff = OclDevice.offset(y);
                k.total = y.numel();
                setup.set(k);
                device.launch(y.numel(), DeviceKernel.LOCAL);
            }
            return y;
        });
    }

    private Tensor pool(int fn, PoolSpec spec, Tensor input) {
        int[] in = fn == 0 ? OpShapes.batched("max_pool3d", input) : OpShapes.checkAvgPool(spec, input);
        Dims3 out = spec.outputSize(new Dims3(in[2], in[3], in[4]));
        Tensor y = elementwise(input, new int[] {in[0], in[1], out.d(), out.h(), out.w()}, k -> {
            k.op = DeviceKernel.POOL;
            k.fn = fn;
            OclDevice.geometry(k, new Dims3(in[2], in[3], in[4]), out);
            OclDevice.window(k, spec.kernel(), spec.stride(), spec.padding(), spec.dilation());
            k.countIncludePad = spec.countIncludePad() ? 1 : 0;
            k.divisorOverride = spec.divisorOverride();
            k.lowest = Float.NEGATIVE_INFINITY;
        });
        return OpShapes.unbatched(y, input);
    }

    private Tensor adaptive(Dims3 out, Tensor input) {
        int[] in = OpShapes.checkAdaptive(input, out);
        Tensor y = elementwise(input, new int[] {in[0], in[1], out.d(), out.h(), out.w()}, k -> {
            k.op = DeviceKernel.POOL;
            k.fn = 2;
            OclDevice.geometry(k, new Dims3(in[2], in[3], in[4]), out);
        });
        return OpShapes.unbatched(y, input);
    }

    /** Batch norm as {@code x * scale + shift} per channel, both folded once from the statistics. */
    private PreparedOp batchNorm(OpSpec.BatchNorm b) {
        int c = b.runningMean().numel();
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            // y = (x - mean) / sqrt(var + eps) * weight + bias = x * scale + (bias - mean * scale)
            double sc = (b.weight() == null ? 1.0 : b.weight().data()[ch]) / Math.sqrt(b.runningVar().data()[ch]
                    + b.eps());
            scale[ch] = (float) sc;
            shift[ch] = (float) ((b.bias() == null ? 0.0 : b.bias().data()[ch]) - b.runningMean().data()[ch] * sc);
        }
        OclDevice.Region a = device.addWeights(scale);
        OclDevice.Region s = device.addWeights(shift);
        PreparedOp op = in -> {
            Tensor x = OpShapes.one(b, in);
            int[] sh = OpShapes.checkBatchNorm(x, b.runningMean(), b.runningVar(), b.weight(), b.bias());
            int inner = x.numel() / Math.max(1, sh[0] * sh[1]);
            return elementwise(x, x.shape(), k -> {
                k.op = DeviceKernel.AFFINE;
                k.wOff = a.offset;
                k.bOff = s.offset;
                k.channels = sh[1];
                k.inner = Math.max(1, inner);
            });
        };
        CLEANER.register(op, release(a, s));
        return op;
    }

    private Runnable release(OclDevice.Region... regions) {
        OclDevice d = device;
        return () -> {
            for (OclDevice.Region r : regions) {
                if (r != null) {
                    d.release(r);
                }
            }
        };
    }

    private Tensor scale(OpSpec.ScaleChannels spec, Tensor[] in) {
        OpShapes.arity(spec, in);
        Tensor x = in[0];
        Tensor s = in[1];
        int per = OpShapes.checkScale(x, s);
        return device.op(() -> {
            Tensor y = device.allocate(x.shape());
            if (y.numel() > 0) {
                int xo = device.place(x);
                int so = device.place(s);
                DeviceKernel k = device.kernel();
                k.op = DeviceKernel.SCALE;
                k.fn = spec.swish() ? 2 : 3;
                k.xOff = xo;
                k.sOff = so;
                k.yOff = OclDevice.offset(y);
                k.inner = Math.max(1, per);
                k.total = y.numel();
                device.launch(y.numel(), DeviceKernel.LOCAL);
            }
            return y;
        });
    }

    private PreparedOp linear(OpSpec.Linear l) {
        OclDevice.Region w = device.addWeights(l.weight().data());
        OclDevice.Region b = l.bias() == null ? null : device.addWeights(l.bias().data());
        PreparedOp op = in -> {
            Tensor x = OpShapes.one(l, in);
            OpShapes.checkLinear(x, l.weight(), l.bias());
            int[] s = x.shape();
            int inF = s[s.length - 1];
            int outF = l.weight().dim(0);
            int[] os = s.clone();
            os[os.length - 1] = outF;
            if (inF == 0) {
                return ReferenceElementwise.linear(x, l.weight(), l.bias()); // no products: y is the bias
            }
            return elementwise(x, os, k -> {
                k.op = DeviceKernel.LINEAR;
                k.wOff = w.offset;
                k.bOff = b == null ? 0 : b.offset;
                k.hasBias = b == null ? 0 : 1;
                k.inF = inF;
                k.outF = outF;
            });
        };
        CLEANER.register(op, release(w, b));
        return op;
    }

    private Tensor shuffle(Tensor input, OpSpec.Shuffle s) {
        int[] os = OpShapes.shuffleShape(input, s.factor(), s.spatialDims(), s.up());
        int[] big = s.up() ? os : input.shape();
        int r = s.factor();
        int sd = s.spatialDims();
        int rank = big.length;
        return elementwise(input, os, k -> {
            k.op = DeviceKernel.SHUFFLE;
            k.fn = s.up() ? 1 : 0;
            k.rd = sd == 3 ? r : 1;
            k.r = r;
            k.channels = big[rank - sd - 1];
            k.outD = sd == 3 ? big[rank - 3] / r : 1;
            k.outH = big[rank - 2] / r;
            k.outW = big[rank - 1] / r;
            k.total = (int) Tensor.numel(big);
        });
    }

    private PreparedOp deform(OpSpec.Deform d) {
        OclDevice.Region w = device.addWeights(d.weight().data());
        OclDevice.Region b = d.bias() == null ? null : device.addWeights(d.bias().data());
        PreparedOp op = in -> {
            OpShapes.arity(d, in);
            Tensor x = in[0];
            Tensor offset = in[1];
            Tensor mask = in[2];
            OpShapes.DeformShape s = OpShapes.checkDeform(d.spec(), x, offset, d.weight(), d.bias(), mask);
            return device.op(() -> {
                Tensor y = device.allocate(s.n(), s.o(), s.out().d(), s.out().h(), s.out().w());
                if (y.numel() == 0) {
                    return y;
                }
                int xo = device.place(x);
                int oo = device.place(offset);
                int mo = mask == null ? 0 : device.place(mask);
                DeviceKernel k = device.kernel();
                k.op = DeviceKernel.DEFORM;
                k.xOff = xo;
                k.rOff = oo;
                k.sOff = mo;
                k.yOff = OclDevice.offset(y);
                k.wOff = w.offset;
                k.bOff = b == null ? 0 : b.offset;
                k.cin = s.c();
                k.cout = s.o();
                k.cinG = s.cg();
                k.coutG = s.og();
                k.g = s.g();
                OclDevice.geometry(k, new Dims3(s.id(), s.ih(), s.iw()), s.out());
                OclDevice.window(k, new Dims3(s.kd(), s.kh(), s.kw()), d.spec().stride(), d.spec().padding(),
                        d.spec().dilation());
                k.hasMask = mask == null ? 0 : 1;
                k.hasBias = b == null ? 0 : 1;
                k.total = y.numel();
                device.launch(y.numel(), DeviceKernel.LOCAL);
                return y;
            });
        };
        CLEANER.register(op, release(w, b));
        return op;
    }

    /** Each input's samples copied into its channel range of the output, sample by sample, one launch per input. */
    private Tensor concat(Tensor... ys) {
        int[] shape = OpShapes.checkConcat(ys);
        return device.op(() -> {
            Tensor y = device.allocate(shape);
            int n = shape[0];
            int perOut = n == 0 ? 0 : y.numel() / n;
            int at = 0;
            for (Tensor part : ys) {
                int per = n == 0 ? 0 : part.numel() / n;
                if (part.numel() > 0) {
                    int xo = device.place(part);
                    DeviceKernel k = device.kernel();
                    k.op = DeviceKernel.BLOCKS;
                    k.xOff = xo;
                    k.yOff = OclDevice.offset(y) + at;
                    k.block = per;
                    k.xStride = per;
                    k.yStride = perOut;
                    k.total = part.numel();
                    device.launch(part.numel(), DeviceKernel.LOCAL);
                }
                at += per;
            }
            return y;
        });
    }

    private Tensor samePad(OpSpec.SamePad p, Tensor x) {
        int[] in = OpShapes.check5d("SAME padding", x);
        int[][] plan = p.plan(in);
        if (Arrays.equals(in, plan[1])) {
            return x;
        }
        int[] out = plan[1];
        return elementwise(x, out, k -> {
            k.op = DeviceKernel.PAD;
            OclDevice.geometry(k, new Dims3(in[2], in[3], in[4]), new Dims3(out[2], out[3], out[4]));
            k.pd = plan[0][0];
            k.ph = plan[0][1];
            k.pw = plan[0][2];
        });
    }

    private PreparedOp frames(OpSpec.Frames f) {
        OclDevice.Region t = device.addTable(f.index());
        PreparedOp op = in -> {
            Tensor x = OpShapes.one(f, in);
            int[] out = OpShapes.checkFrames(f, x);
            int[] s = x.shape();
            return elementwise(x, out, k -> {
                k.op = DeviceKernel.FRAMES;
                k.tOff = t.offset;
                k.inD = s[2];
                k.inH = s[3];
                k.inW = s[4];
                k.outD = out[2];
            });
        };
        CLEANER.register(op, release(t));
        return op;
    }

    @Override
    public String toString() {
        return describe();
    }
}
