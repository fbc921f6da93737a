package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.reference.ReferenceElementwise;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API batch norm (inference), ReLU and linear; validation shared with {@link ReferenceElementwise}. */
final class CpuElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private CpuElementwise() {
    }

    /** {@code y = x * scale[c] + shift[c]} with {@code scale = weight / sqrt(var + eps)}, {@code shift = bias - mean * scale}. */
    static Tensor batchNorm(Tensor input, Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps,
                            CpuThreads threads) {
        int[] s = OpShapes.checkBatchNorm(input, mean, var, weight, bias);
        int c = s[1];
        int inner = input.numel() / Math.max(1, s[0] * c);
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sc = (weight == null ? 1.0 : weight.data()[ch]) / Math.sqrt(var.data()[ch] + eps);
            scale[ch] = (float) sc;
            shift[ch] = (float) ((bias == null ? 0.0 : bias.data()[ch]) - mean.data()[ch] * sc);
        }
        float[] x = input.data();
        Tensor result = Tensor.zeros(s);
        float[] y = result.data();
        threads.parallelFor(s[0] * c, nc -> {
            int ch = nc % c;
            int base = nc * inner;
            FloatVector a = FloatVector.broadcast(S, scale[ch]);
            FloatVector b = FloatVector.broadcast(S, shift[ch]);
            int i = 0;
            for (; i <= inner - S.length(); i += S.length()) {
                FloatVector.fromArray(S, x, base + i).fma(a, b).intoArray(y, base + i);
            }
            for (; i < inner; i++) {
                y[base + i] = Math.fma(x[base + i], scale[ch], shift[ch]);
            }
        });
        return result;
    }

    /** {@code max(x, 0)}; NaN stays NaN. */
    static Tensor relu(Tensor input) {
        float[] x = input.data();
        Tensor result = Tensor.zeros(input.shape());
        float[] y = result.data();
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (; i <= x.length - S.length(); i += S.length()) {
            FloatVector.fromArray(S, x, i).lanewise(VectorOperators.MAX, zero).intoArray(y, i);
        }
        for (; i < x.length; i++) {
            y[i] = Math.max(x[i], 0f);
        }
        return result;
    }

    /**
     * {@code sigmoid(x)}, or {@code x * sigmoid(x)} (swish) when {@code times}: the vector lanes through the Vector
     * API's {@code EXP} (SVML on x86), split over the threads in chunks.
     */
    static Tensor sigmoid(Tensor input, boolean times, CpuThreads threads) {
        float[] x = input.data();
        Tensor result = Tensor.zeros(input.shape());
        float[] y = result.data();
        int chunk = 1 << 15;
        int chunks = (x.length + chunk - 1) / chunk;
        threads.parallelFor(chunks, c -> {
            int from = c * chunk;
            int to = Math.min(x.length, from + chunk);
            FloatVector one = FloatVector.broadcast(S, 1f);
            int i = from;
            for (; i <= to - S.length(); i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                FloatVector s = one.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
                (times ? v.mul(s) : s).intoArray(y, i);
            }
            for (; i < to; i++) {
                float s = (float) (1.0 / (1.0 + Math.exp(-(double) x[i])));
                y[i] = times ? x[i] * s : s;
            }
        });
        return result;
    }

    /** {@code x * scale[n, c]}, then swish when {@code swish}: one vector pass per plane, planes over the threads. */
    static Tensor scaleChannels(Tensor x, Tensor scale, boolean swish, CpuThreads threads) {
        int per = OpShapes.checkScale(x, scale);
        int n = x.dim(0);
        int c = x.dim(1);
        float[] a = x.data();
        float[] s = scale.data();
        Tensor result = Tensor.zeros(x.shape());
        float[] y = result.data();
        threads.parallelFor(n * c, p -> {
            FloatVector k = FloatVector.broadcast(S, s[p]);
            FloatVector one = FloatVector.broadcast(S, 1f);
            int base = p * per;
            int j = 0;
            for (; j <= per - S.length(); j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, a, base + j).mul(k);
                if (swish) {
                    v = v.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
                }
                v.intoArray(y, base + j);
            }
            for (; j < per; j++) {
                float v = a[base + j] * s[p];
                y[base + j] = swish ? (float) (v / (1.0 + Math.exp(-(double) v))) : v;
            }
        });
        return result;
    }

    /** {@code y[r, o] = dot(x[r, :], W[o, :]) + b[o]}. */
    static Tensor linear(Tensor input, Tensor weight, Tensor bias, CpuThreads threads) {
        OpShapes.checkLinear(input, weight, bias);
        int[] s = input.shape();
        int in = s[s.length - 1];
        int out = weight.dim(0);
        int rows = in == 0 ? (int) Tensor.numel(java.util.Arrays.copyOf(s, s.length - 1)) : input.numel() / in;
        int[] os = s.clone();
        os[os.length - 1] = out;
        Tensor result = Tensor.zeros(os);
        float[] x = input.data();
        float[] w = weight.data();
        float[] y = result.data();
        threads.parallelFor(rows * out, ro -> {
            int r = ro / out;
            int o = ro % out;
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i <= in - S.length(); i += S.length()) {
                acc = FloatVector.fromArray(S, x, r * in + i).fma(FloatVector.fromArray(S, w, o * in + i), acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; i < in; i++) {
                sum = Math.fma(x[r * in + i], w[o * in + i], sum);
            }
            y[ro] = sum + (bias == null ? 0f : bias.data()[o]);
        });
        return result;
    }
}
