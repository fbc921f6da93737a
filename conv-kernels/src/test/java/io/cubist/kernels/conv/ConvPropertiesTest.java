package io.cubist.kernels.conv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Identities golden files cannot show: equivalences between forms of the same convolution, on random shapes and
 * random hyper-parameters (fixed seeds).
 */
class ConvPropertiesTest {
    private static final int TRIALS = 60;

    private static Tensor conv(ConvSpec spec, Tensor w, Tensor b, Tensor x) {
        return new ReferenceConv(spec, w, b).forward(x);
    }

    private static double tolerance(Tensor expected) {
        return 2e-4 * Math.max(1, expected.maxAbs());
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double err = expected.maxAbsDiff(actual);
        assertTrue(err <= tolerance(expected), what + ": max error " + err + " > " + tolerance(expected));
    }

    @Test
    void conv1dAndConv2dAreConv3dWithUnitDims() {
        SplittableRandom r = new SplittableRandom(1);
        for (int t = 0; t < TRIALS; t++) {
            int g = 1 + r.nextInt(2);
            int cin = g * (1 + r.nextInt(3));
            int cout = g * (1 + r.nextInt(3));
            int k = 1 + r.nextInt(4);
            int s = 1 + r.nextInt(3);
            int d = 1 + r.nextInt(2);
            int p = r.nextInt(3);
            int len = d * (k - 1) + 1 + r.nextInt(6);
            PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
            if (mode == PaddingMode.REFLECT) {
                p = Math.min(p, len - 1);
            }
            ConvSpec c1 = ConvSpec.builder(1, cin, cout, k).stride(s).padding(p).dilation(d).groups(g)
                    .paddingMode(mode).build();
            ConvSpec c3 = ConvSpec.builder(3, cin, cout, 1, 1, k).stride(1, 1, s).padding(0, 0, p).dilation(1, 1, d)
                    .groups(g).paddingMode(mode).build();
            Tensor w = Tensor.random(t, cout, cin / g, k);
            Tensor b = Tensor.random(t + 1000, cout);
            Tensor x = Tensor.random(t + 2000, 2, cin, len);
            Tensor y1 = conv(c1, w, b, x);
            Tensor y3 = conv(c3, w.reshape(cout, cin / g, 1, 1, k), b, x.reshape(2, cin, 1, 1, len));
            assertClose(y3.reshape(y1.shape()), y1, c1.toString());
            // and conv2d with a unit height
            ConvSpec c2 = ConvSpec.builder(2, cin, cout, 1, k).stride(1, s).padding(0, p).dilation(1, d).groups(g)
                    .paddingMode(mode).build();
            Tensor y2 = conv(c2, w.reshape(cout, cin / g, 1, k), b, x.reshape(2, cin, 1, len));
            assertClose(y1, y2.reshape(y1.shape()), c2.toString());
        }
    }

    /** {@code <conv(x), y> = <x, conv_transpose(y)>}: the transposed convolution is the adjoint. */
    @Test
    void transposedConvolutionIsTheAdjoint() {
        SplittableRandom r = new SplittableRandom(2);
        for (int t = 0; t < TRIALS; t++) {
            int g = 1 + r.nextInt(2);
            int cin = g * (1 + r.nextInt(3));
            int cout = g * (1 + r.nextInt(3));
            int[] k = {1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(3)};
            int[] s = {1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(2)};
            int[] d = {1 + r.nextInt(2), 1 + r.nextInt(2), 1};
            int[] p = {r.nextInt(2), r.nextInt(2), r.nextInt(2)};
            int[] in = new int[3];
            for (int a = 0; a < 3; a++) {
                in[a] = d[a] * (k[a] - 1) + 1 + r.nextInt(5);
            }
            boolean flip = r.nextBoolean();
            ConvSpec fwd = ConvSpec.builder(3, cin, cout, k).stride(s).padding(p).dilation(d).groups(g).bias(false)
                    .flip(flip).build();
            Dims3 out = fwd.outputSize(new Dims3(in[0], in[1], in[2]));
            // output_padding makes the transposed output exactly the forward input size
            int[] op = new int[3];
            for (int a = 0; a < 3; a++) {
                op[a] = in[a] - ((out.get(a) - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + 1);
            }
            if (op[0] >= Math.max(s[0], d[0]) || op[1] >= Math.max(s[1], d[1]) || op[2] >= Math.max(s[2], d[2])) {
                continue;
            }
            ConvSpec adj = ConvSpec.builder(3, cout, cin, k).stride(s).padding(p).dilation(d).groups(g).bias(false)
                    .outputPadding(op).flip(flip).transposed(true).build();
            // conv weight [cout, cin/g, k] is the transposed conv's [in=cout, out/g=cin/g, k]
            Tensor w = Tensor.random(t, cout, cin / g, k[0], k[1], k[2]);
            Tensor x = Tensor.random(t + 1, 2, cin, in[0], in[1], in[2]);
            Tensor y = Tensor.random(t + 2, 2, cout, out.d(), out.h(), out.w());
            double lhs = dot(conv(fwd, w, null, x), y);
            double rhs = dot(x, conv(adj, w, null, y));
            assertTrue(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)),
                    fwd + ": <conv(x),y>=" + lhs + " but <x,conv_transpose(y)>=" + rhs);
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.numel(); i++) {
            s += (double) a.data()[i] * b.data()[i];
        }
        return s;
    }

    /** {@code flip=True} is cross-correlation with the kernel reversed along every spatial axis. */
    @Test
    void flipIsCrossCorrelationWithAFlippedKernel() {
        SplittableRandom r = new SplittableRandom(3);
        for (int t = 0; t < TRIALS; t++) {
            int[] k = {1 + r.nextInt(3), 1 + r.nextInt(4), 1 + r.nextInt(4)};
            boolean transposed = r.nextBoolean();
            ConvSpec.Builder b = ConvSpec.builder(3, 2, 3, k).padding(transposed ? 0 : r.nextInt(2)).stride(1 + r.nextInt(2))
                    .transposed(transposed);
            ConvSpec flipped = b.flip(true).build();
            ConvSpec plain = b.flip(false).build();
            int[] ws = plain.weightShape();
            Tensor w = Tensor.random(t, ws);
            Tensor wf = Tensor.zeros(ws);
            int taps = k[0] * k[1] * k[2];
            for (int base = 0; base < w.numel(); base += taps) {
                for (int i = 0; i < taps; i++) {
                    wf.data()[base + taps - 1 - i] = w.data()[base + i]; // row-major: reversing all axes = reversing taps
                }
            }
            Tensor bias = Tensor.random(t + 7, 3);
            Tensor x = Tensor.random(t + 1, 1, 2, k[0] + 2, k[1] + 3, k[2] + 1);
            assertClose(conv(plain, wf, bias, x), conv(flipped, w, bias, x), flipped.toString());
        }
    }

    /** A rank-1 kernel {@code w = a ⊗ b} equals a (k×1) conv followed by a (1×k) conv. */
    @Test
    void rankOneKernelEqualsItsTwoStepFactorization() {
        SplittableRandom r = new SplittableRandom(4);
        for (int t = 0; t < TRIALS; t++) {
            int kh = 1 + r.nextInt(5);
            int kw = 1 + r.nextInt(5);
            int ph = r.nextInt(kh / 2 + 1);
            int pw = r.nextInt(kw / 2 + 1);
            Tensor a = Tensor.random(t, kh);
            Tensor bb = Tensor.random(t + 1, kw);
            Tensor full = Tensor.zeros(1, 1, kh, kw);
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    full.data()[i * kw + j] = a.data()[i] * bb.data()[j];
                }
            }
            Tensor x = Tensor.random(t + 2, 2, 1, kh + r.nextInt(6), kw + r.nextInt(6));
            ConvSpec whole = ConvSpec.builder(2, 1, 1, kh, kw).padding(ph, pw).bias(false).build();
            ConvSpec col = ConvSpec.builder(2, 1, 1, kh, 1).padding(ph, 0).bias(false).build();
            ConvSpec row = ConvSpec.builder(2, 1, 1, 1, kw).padding(0, pw).bias(false).build();
            Tensor twoStep = conv(row, bb.reshape(1, 1, 1, kw), null, conv(col, a.reshape(1, 1, kh, 1), null, x));
            assertClose(conv(whole, full, null, x), twoStep, whole.toString());
        }
    }
}
