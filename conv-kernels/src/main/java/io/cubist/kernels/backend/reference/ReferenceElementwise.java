package io.cubist.kernels.backend.reference;

import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * Plain-loop {@code F.batch_norm} (inference), {@code F.relu} and {@code F.linear}. Arithmetic is done in double
 * and written as float.
 */
public final class ReferenceElementwise {

    private ReferenceElementwise() {
    }

    /** {@code x * scale[n, c]}, then swish when {@code swish} ({@link io.cubist.kernels.backend.Backend#scaleChannels}). */
    public static Tensor scaleChannels(Tensor x, Tensor scale, boolean swish) {
        int per = OpShapes.checkScale(x, scale);
        int nc = x.dim(0) * x.dim(1);
        float[] a = x.data();
        float[] s = scale.data();
        Tensor result = Tensor.zeros(x.shape());
        float[] y = result.data();
        for (int i = 0; i < nc; i++) {
            for (int j = 0; j < per; j++) {
                float v = a[i * per + j] * s[i];
                y[i * per + j] = swish ? (float) (v / (1.0 + Math.exp(-(double) v))) : v;
            }
        }
        return result;
    }

    /** {@code sigmoid(x)}, or {@code x * sigmoid(x)} (swish) when {@code times}; computed in double. */
    public static Tensor sigmoid(Tensor input, boolean times) {
        float[] x = input.data();
        Tensor result = Tensor.zeros(input.shape());
        float[] y = result.data();
        for (int i = 0; i < x.length; i++) {
            double s = 1.0 / (1.0 + Math.exp(-(double) x[i]));
            y[i] = (float) (times ? x[i] * s : s);
        }
        return result;
    }

    /**
     * {@code F.batch_norm} with {@code training=False}: {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per
     * channel. {@code input} is {@code [N, C, ...]} (rank >= 2, channel dimension 1); {@code runningMean},
     * {@code runningVar}, {@code weight} and {@code bias} are {@code [C]}; {@code weight}/{@code bias} may be null
     * (1 and 0).
     */
    public static Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   double eps) {
        int[] s = OpShapes.checkBatchNorm(input, runningMean, runningVar, weight, bias);
        int n = s[0];
        int c = s[1];
        int inner = 1;
        for (int i = 2; i < s.length; i++) {
            inner *= s[i];
        }
        float[] x = input.data();
        Tensor result = Tensor.zeros(s);
        float[] y = result.data();
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                double mean = runningMean.data()[ch];
                double invStd = 1.0 / Math.sqrt(runningVar.data()[ch] + eps);
                double w = weight == null ? 1.0 : weight.data()[ch];
                double beta = bias == null ? 0.0 : bias.data()[ch];
                int base = (b * c + ch) * inner;
                for (int i = 0; i < inner; i++) {
                    // y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
                    y[base + i] = (float) ((x[base + i] - mean) * invStd * w + beta);
                }
            }
        }
        return result;
    }

    /** {@code F.relu}: {@code max(x, 0)} element-wise, any shape; NaN stays NaN. */
    public static Tensor relu(Tensor input) {
        float[] x = input.data();
        Tensor result = Tensor.zeros(input.shape());
        float[] y = result.data();
        for (int i = 0; i < x.length; i++) {
            // y = max(x, 0)
            y[i] = x[i] > 0f || Float.isNaN(x[i]) ? x[i] : 0f;
        }
        return result;
    }

    /**
     * {@code F.linear}: {@code y = x W^T + b}. {@code input [..., in]} (rank >= 1), {@code weight [out, in]},
     * {@code bias [out]} or null; the output is {@code [..., out]}.
     */
    public static Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        OpShapes.checkLinear(input, weight, bias);
        int[] s = input.shape();
        int in = s[s.length - 1];
        int out = weight.dim(0);
        int rows = in == 0 ? (int) Tensor.numel(Arrays.copyOf(s, s.length - 1)) : input.numel() / in;
        int[] os = s.clone();
        os[os.length - 1] = out;
        float[] x = input.data();
        float[] w = weight.data();
        Tensor result = Tensor.zeros(os);
        float[] y = result.data();
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                // y[r, o] = sum_i x[r, i] * W[o, i] + b[o]
                double sum = bias == null ? 0.0 : bias.data()[o];
                for (int i = 0; i < in; i++) {
                    sum += (double) x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = (float) sum;
            }
        }
        return result;
    }

}
