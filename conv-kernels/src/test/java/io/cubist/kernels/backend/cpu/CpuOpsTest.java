package io.cubist.kernels.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The CPU engine's non-convolution ops against the reference on random shapes and arguments. */
class CpuOpsTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final CpuBackend CPU = new CpuBackend(2);

    @AfterAll
    static void close() {
        CPU.close();
    }

    private static void same(String what, Supplier<Tensor> expected, Supplier<Tensor> actual) {
        Tensor e;
        try {
            e = expected.get();
        } catch (IllegalArgumentException impossible) {
            // the reference rejects it: so must the fast engine, with the same message
            try {
                actual.get();
            } catch (IllegalArgumentException same) {
                assertTrue(same.getMessage().equals(impossible.getMessage()), what + ": " + same.getMessage()
                        + " vs " + impossible.getMessage());
                return;
            }
            throw new AssertionError(what + ": the reference rejects it (" + impossible.getMessage()
                    + ") but cpu does not");
        }
        Tensor a = actual.get();
        assertTrue(Arrays.equals(e.shape(), a.shape()), what + ": shape " + Arrays.toString(a.shape()));
        double err = e.maxAbsDiff(a);
        double tol = 2e-4 * Math.max(1, e.maxAbs());
        assertTrue(err <= tol, what + ": max error " + err + " > " + tol);
    }

    private static Dims3 dims(SplittableRandom r, int lo, int hi) {
        return new Dims3(lo + r.nextInt(hi - lo + 1), lo + r.nextInt(hi - lo + 1), lo + r.nextInt(hi - lo + 1));
    }

    @Test
    void pools() {
        SplittableRandom r = new SplittableRandom(5);
        for (int t = 0; t < 200; t++) {
            Dims3 k = dims(r, 1, 4);
            Dims3 s = dims(r, 1, 3);
            Dims3 p = new Dims3(r.nextInt(k.d() / 2 + 1), r.nextInt(k.h() / 2 + 1), r.nextInt(k.w() / 2 + 1));
            Dims3 dl = dims(r, 1, 2);
            boolean ceil = r.nextBoolean();
            Tensor x = Tensor.random(t, 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(9), 1 + r.nextInt(9),
                    1 + r.nextInt(19));
            PoolSpec max = PoolSpec.max(k, s, p, dl, ceil);
            same("max_pool3d " + max + " on " + x, () -> REF.maxPool3d(max, x), () -> CPU.maxPool3d(max, x));
            PoolSpec avg = PoolSpec.avg(k, s, p, ceil, r.nextBoolean(), r.nextInt(3) == 0 ? 1 + r.nextInt(9) : 0);
            same("avg_pool3d " + avg + " on " + x, () -> REF.avgPool3d(avg, x), () -> CPU.avgPool3d(avg, x));
            Dims3 o = dims(r, 1, 7);
            same("adaptive_avg_pool3d " + o + " on " + x, () -> REF.adaptiveAvgPool3d(x, o),
                    () -> CPU.adaptiveAvgPool3d(x, o));
        }
    }

    @Test
    void batchNormReluLinear() {
        SplittableRandom r = new SplittableRandom(6);
        for (int t = 0; t < 60; t++) {
            int c = 1 + r.nextInt(9);
            int[] shape = new int[2 + r.nextInt(4)];
            shape[0] = 1 + r.nextInt(3);
            shape[1] = c;
            for (int i = 2; i < shape.length; i++) {
                shape[i] = 1 + r.nextInt(13);
            }
            Tensor x = Tensor.random(t, shape);
            Tensor mean = Tensor.random(t + 1, c);
            Tensor var = Tensor.random(t + 2, c);
            for (int i = 0; i < c; i++) {
                var.data()[i] = var.data()[i] + 1.5f;
            }
            Tensor w = r.nextBoolean() ? Tensor.random(t + 3, c) : null;
            Tensor b = r.nextBoolean() ? Tensor.random(t + 4, c) : null;
            same("batch_norm " + x, () -> REF.batchNorm(x, mean, var, w, b, 1e-5),
                    () -> CPU.batchNorm(x, mean, var, w, b, 1e-5));
            same("relu " + x, () -> REF.relu(x), () -> CPU.relu(x));
            int in = 1 + r.nextInt(70);
            int out = 1 + r.nextInt(20);
            Tensor lx = Tensor.random(t + 5, 1 + r.nextInt(3), in);
            Tensor lw = Tensor.random(t + 6, out, in);
            Tensor lb = r.nextBoolean() ? Tensor.random(t + 7, out) : null;
            same("linear " + lx, () -> REF.linear(lx, lw, lb), () -> CPU.linear(lx, lw, lb));
        }
    }

    @Test
    void deformConv3d() {
        SplittableRandom r = new SplittableRandom(7);
        for (int t = 0; t < 40; t++) {
            int groups = 1 + r.nextInt(2);
            int og = 1 + r.nextInt(2);
            int c = groups * og * (1 + r.nextInt(2));
            int o = groups * (1 + r.nextInt(14));
            Dims3 k = dims(r, 1, 3);
            Dims3 s = dims(r, 1, 2);
            Dims3 p = dims(r, 0, 1);
            Dims3 d = dims(r, 1, 2);
            int n = 1 + r.nextInt(2);
            int[] in = {k.d() * d.d() + r.nextInt(4), k.h() * d.h() + r.nextInt(4), k.w() * d.w() + r.nextInt(6)};
            io.cubist.kernels.ops.DeformSpec spec = new io.cubist.kernels.ops.DeformSpec(s, p, d);
            Dims3 out = spec.outputSize(new Dims3(in[0], in[1], in[2]), k);
            int kk = (int) k.product();
            Tensor x = Tensor.random(t, n, c, in[0], in[1], in[2]);
            Tensor off = Tensor.random(t + 1, n, 3 * og * kk, out.d(), out.h(), out.w());
            for (int i = 0; i < off.numel(); i++) {
                off.data()[i] *= 2.5f;
            }
            Tensor w = Tensor.random(t + 2, o, c / groups, k.d(), k.h(), k.w());
            Tensor b = r.nextBoolean() ? Tensor.random(t + 3, o) : null;
            Tensor m = r.nextBoolean() ? Tensor.random(t + 4, n, og * kk, out.d(), out.h(), out.w()) : null;
            same("deform_conv3d k=" + k + " s=" + s + " p=" + p + " d=" + d + " on " + x,
                    () -> REF.deformConv3d(spec, x, off, w, b, m), () -> CPU.deformConv3d(spec, x, off, w, b, m));
        }
    }
}
