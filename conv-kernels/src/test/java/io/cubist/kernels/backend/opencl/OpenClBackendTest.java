package io.cubist.kernels.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The opencl backend against the reference on random shapes it has no golden file for, where its kernels ran, and
 * its rank. Skipped (with the reason) where this machine has no OpenCL device; CI installs pocl so it runs there.
 */
class OpenClBackendTest {
    private static OpenClBackend ocl;
    private static final ReferenceBackend REF = new ReferenceBackend();

    @BeforeAll
    static void device() {
        String why = Devices.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL here: " + why);
        ocl = (OpenClBackend) Backends.open(io.cubist.kernels.backend.EngineRequest.of(OpenClBackend.NAME));
    }

    private static void close(String what, Tensor expected, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        double err = expected.maxAbsDiff(actual);
        double tol = 2e-4 * Math.max(1, expected.maxAbs());
        assertTrue(err <= tol, what + ": max error " + err + " > " + tol);
    }

    private static Dims3 spatial(int dims, int[] in) {
        return new Dims3(dims < 3 ? 1 : in[0], dims < 2 ? 1 : in[dims - 2], in[dims - 1]);
    }

    @Test
    void randomConvolutionsMatchTheReference() {
        SplittableRandom r = new SplittableRandom(61);
        int checked = 0;
        for (int t = 0; t < 80; t++) {
            int dims = 1 + r.nextInt(3);
            boolean transposed = r.nextInt(3) == 0;
            int g = new int[] {1, 1, 2, 3}[r.nextInt(4)];
            int cin = g * (1 + r.nextInt(6));
            int cout = g * (1 + r.nextInt(r.nextBoolean() ? 4 : 21));
            if (!transposed && r.nextInt(6) == 0) { // depthwise, with a channel multiplier now and then
                g = cin;
                cout = cin * (1 + r.nextInt(2));
            }
            int[] k = new int[dims];
            int[] s = new int[dims];
            int[] d = new int[dims];
            int[] p = new int[dims];
            int[] op = new int[dims];
            int[] in = new int[dims];
            for (int a = 0; a < dims; a++) {
                k[a] = 1 + r.nextInt(4);
                s[a] = 1 + r.nextInt(3);
                d[a] = 1 + r.nextInt(2);
                p[a] = r.nextInt(3);
                op[a] = transposed ? r.nextInt(Math.max(s[a], d[a])) : 0;
                in[a] = Math.max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]) + r.nextInt(dims == 3 ? 6 : 17);
            }
            ConvSpec.Builder b = ConvSpec.builder(dims, cin, cout, k).stride(s).dilation(d).groups(g)
                    .bias(r.nextBoolean()).flip(r.nextInt(4) == 0).transposed(transposed).padding(p);
            if (transposed) {
                b.outputPadding(op);
            } else {
                b.paddingMode(PaddingMode.values()[r.nextInt(4)]);
            }
            ConvSpec spec;
            try {
                spec = b.build();
                if (!transposed) {
                    spec.checkPaddingFits(spatial(dims, in));
                }
                spec.outputSize(spatial(dims, in));
            } catch (IllegalArgumentException impossible) {
                continue;
            }
            int[] shape = new int[dims + 2];
            shape[0] = 1 + r.nextInt(2);
            shape[1] = cin;
            System.arraycopy(in, 0, shape, 2, dims);
            Tensor w = Tensor.random(t, spec.weightShape());
            Tensor bias = spec.bias() ? Tensor.random(t + 1, cout) : null;
            Tensor x = Tensor.random(t + 2, shape);
            close(spec + " on " + Arrays.toString(shape), REF.prepare(spec, w, bias).forward(x),
                    ocl.prepare(spec, w, bias).forward(x));
            checked++;
        }
        assertTrue(checked > 40, "only " + checked + " random cases were valid");
    }

    @Test
    void fusedEpilogueAddsResidualAndClamps() {
        for (int groups : new int[] {1, 4}) {
            ConvSpec spec = ConvSpec.builder(3, 8, 8, 3, 3, 3).padding(1).groups(groups).build();
            Tensor w = Tensor.random(1, spec.weightShape());
            Tensor b = Tensor.random(2, 8);
            Tensor x = Tensor.random(3, 2, 8, 3, 5, 7);
            Tensor res = Tensor.random(4, 2, 8, 3, 5, 7);
            close("epilogue groups=" + groups, REF.prepare(spec, w, b).forward(x, res, true),
                    ocl.prepare(spec, w, b).forward(x, res, true));
        }
        ConvSpec dw = ConvSpec.builder(3, 6, 6, 3, 3, 3).padding(1).groups(6).build();
        Tensor w = Tensor.random(5, dw.weightShape());
        Tensor x = Tensor.random(6, 1, 6, 4, 4, 4);
        Tensor res = Tensor.random(7, 1, 6, 4, 4, 4);
        close("depthwise epilogue", REF.prepare(dw, w, Tensor.random(8, 6)).forward(x, res, true),
                ocl.prepare(dw, w, Tensor.random(8, 6)).forward(x, res, true));
    }

    @Test
    void preparedWeightsServeManyCallsAndShapes() {
        ConvSpec spec = ConvSpec.builder(3, 5, 7, 1, 3, 3).padding(0, 1, 1).build();
        Tensor w = Tensor.random(9, spec.weightShape());
        Tensor b = Tensor.random(10, 7);
        var ref = REF.prepare(spec, w, b);
        var dev = ocl.prepare(spec, w, b);
        for (int i = 0; i < 3; i++) {
            Tensor x = Tensor.random(20 + i, 1 + i % 2, 5, 2 + i, 9 - i, 4 + 3 * i);
            close("call " + i, ref.forward(x), dev.forward(x));
        }
    }

    @Test
    void poolsNormsAndLinearMatchTheReference() {
        Tensor x = Tensor.random(31, 2, 3, 5, 7, 9);
        PoolSpec mp = PoolSpec.max(new Dims3(2, 3, 3), new Dims3(1, 2, 2), new Dims3(1, 1, 0), new Dims3(1, 1, 2),
                true);
        close("max_pool3d", REF.maxPool3d(mp, x), ocl.maxPool3d(mp, x));
        PoolSpec ap = PoolSpec.avg(new Dims3(2, 3, 3), new Dims3(2, 2, 2), new Dims3(1, 1, 1), true, false, 0);
        close("avg_pool3d", REF.avgPool3d(ap, x), ocl.avgPool3d(ap, x));
        close("adaptive_avg_pool3d", REF.adaptiveAvgPool3d(x, new Dims3(2, 4, 3)),
                ocl.adaptiveAvgPool3d(x, new Dims3(2, 4, 3)));
        Tensor mean = Tensor.random(32, 3);
        Tensor var = Tensor.random(33, 3);
        for (float[] v = var.data(); v != null; v = null) {
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.abs(v[i]) + 0.1f;
            }
        }
        close("batch_norm", REF.batchNorm(x, mean, var, Tensor.random(34, 3), Tensor.random(35, 3), 1e-5),
                ocl.batchNorm(x, mean, var, Tensor.random(34, 3), Tensor.random(35, 3), 1e-5));
        close("relu", REF.relu(x), ocl.relu(x));
        Tensor lx = Tensor.random(36, 3, 17);
        Tensor lw = Tensor.random(37, 11, 17);
        close("linear", REF.linear(lx, lw, Tensor.random(38, 11)), ocl.linear(lx, lw, Tensor.random(38, 11)));
    }

    @Test
    void shufflesAndDeformableConvolutionRunOnTheDevice() {
        long before = ocl.launches();
        Tensor s3 = Tensor.random(41, 2, 16, 2, 3, 2);
        close("pixel_shuffle3d", REF.pixelShuffle(s3, 2, 3), ocl.pixelShuffle(s3, 2, 3));
        Tensor big = Tensor.random(42, 3, 2, 4, 6, 2);
        close("pixel_unshuffle3d", REF.pixelUnshuffle(big, 2, 3), ocl.pixelUnshuffle(big, 2, 3));
        Tensor s2 = Tensor.random(43, 2, 9, 4, 5);
        close("pixel_shuffle", REF.pixelShuffle(s2, 3, 2), ocl.pixelShuffle(s2, 3, 2));
        close("pixel_unshuffle", REF.pixelUnshuffle(Tensor.random(44, 5, 2, 6, 4), 2, 2),
                ocl.pixelUnshuffle(Tensor.random(44, 5, 2, 6, 4), 2, 2));
        // deform_conv3d: 2 offset groups, weight groups 2, offsets of up to +-3 (many samples leave the volume)
        io.cubist.kernels.ops.DeformSpec ds = new io.cubist.kernels.ops.DeformSpec(new Dims3(1, 2, 1),
                Dims3.of(1), new Dims3(1, 1, 2));
        Tensor x = Tensor.random(45, 2, 4, 3, 6, 7);
        Tensor w = Tensor.random(46, 6, 2, 2, 3, 2);
        Dims3 out = ds.outputSize(new Dims3(3, 6, 7), new Dims3(2, 3, 2));
        Tensor offset = Tensor.random(47, 2, 3 * 2 * 12, out.d(), out.h(), out.w());
        for (int i = 0; i < offset.numel(); i++) {
            offset.data()[i] *= 3f;
        }
        Tensor mask = Tensor.random(48, 2, 2 * 12, out.d(), out.h(), out.w());
        close("deform_conv3d", REF.deformConv3d(ds, x, offset, w, Tensor.random(49, 6), mask),
                ocl.deformConv3d(ds, x, offset, w, Tensor.random(49, 6), mask));
        close("deform_conv3d without mask and bias", REF.deformConv3d(ds, x, offset, w, null, null),
                ocl.deformConv3d(ds, x, offset, w, null, null));
        // outside a forward pass each op uploads its inputs, runs, and reads its result back: four shuffles of one
        // input, deform with x, offset and mask, then without the mask
        assertEquals(before + 4 * 3 + 5 + 4, ocl.launches(), "one checked launch per op, upload and read-back");
        assertNotNull(ocl.device());
    }

    @Test
    void aCpuOpenClDeviceRanksBelowTheCpuEngine() {
        io.cubist.kernels.backend.BackendProvider o = Backends.provider(OpenClBackend.NAME);
        if (o.devices().get(0).type() == io.cubist.kernels.device.DeviceType.CPU) {
            assertTrue(o.rank() < 10 && o.rank() > 0, "rank " + o.rank());
            assertEquals("cpu", Backends.available().get(0).name());
        } else {
            assertTrue(o.rank() > 10, "rank " + o.rank());
        }
    }

    @Test
    void aPassThatOutgrowsTheArenaGrowsItAndRunsAgain() {
        // 3 x 4M floats (input, two outputs) do not fit the first 32 MiB arena
        Tensor x = Tensor.random(61, 4, 1024, 1024);
        io.cubist.kernels.backend.Traffic before = ocl.traffic();
        Tensor y = ocl.pass(() -> {
            Tensor r = ocl.relu(ocl.sigmoid(x));
            r.data();
            return r;
        });
        io.cubist.kernels.backend.Traffic t = ocl.traffic().minus(before);
        close("relu(sigmoid(x)) after the arena grew", REF.relu(REF.sigmoid(x)), y);
        assertTrue(t.bufferBytes() >= 4L * 3 * x.numel(), "the arena was made again, larger: " + t);
        // the clip went up once per attempt and the result came down once
        assertEquals(4L * x.numel(), t.bytesFromDevice());
        assertEquals(0, t.bytesToDevice() % (4L * x.numel()));
        // the next pass of that size fits at once: one upload, no new buffer
        io.cubist.kernels.backend.Traffic again = ocl.traffic();
        ocl.pass(() -> ocl.relu(ocl.sigmoid(x)).data());
        io.cubist.kernels.backend.Traffic t2 = ocl.traffic().minus(again);
        assertEquals(4L * x.numel(), t2.bytesToDevice());
        assertEquals(0, t2.bufferBytes());
    }

    @Test
    void aDeviceTensorReadAfterItsPassIsAClearError() {
        Tensor x = Tensor.random(62, 2, 3, 4);
        Tensor kept = ocl.pass(() -> ocl.relu(x)); // not read inside the pass
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                kept::data);
        assertTrue(e.getMessage().contains("after its forward pass ended"), e.getMessage());
        Tensor read = ocl.pass(() -> {
            Tensor r = ocl.relu(x);
            r.data();
            return r;
        });
        close("relu read inside its pass", REF.relu(x), read);
    }

    @Test
    void aHostTensorGoesUpOncePerPassHoweverManyOpsReadIt() {
        Tensor x = Tensor.random(63, 2, 3, 4, 5);
        io.cubist.kernels.backend.Traffic before = ocl.traffic();
        Tensor sum = ocl.pass(() -> {
            Tensor s = ocl.prepare(new io.cubist.kernels.ops.OpSpec.Add(false)).forward(ocl.relu(x), ocl.sigmoid(x));
            s.data();
            return s;
        });
        io.cubist.kernels.backend.Traffic t = ocl.traffic().minus(before);
        close("relu(x) + sigmoid(x)", REF.prepare(new io.cubist.kernels.ops.OpSpec.Add(false))
                .forward(REF.relu(x), REF.sigmoid(x)), sum);
        assertEquals(4L * x.numel(), t.bytesToDevice(), "x went up once");
        assertEquals(4L * x.numel(), t.bytesFromDevice(), "the sum came down once");
    }
}
