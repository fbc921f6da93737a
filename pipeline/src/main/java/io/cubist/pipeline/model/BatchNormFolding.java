package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;

/**
 * Folds an inference batch norm into the convolution before it. With {@code s = gamma / sqrt(var + eps)} per output
 * channel:
 * <pre>
 *   bn(conv(x)) = s * (W*x + b - mean) + beta = (s W) * x + ((b - mean) s + beta)
 *   w' = w * s          b' = (b - mean) * s + beta      (b = 0 for a convolution without bias)
 * </pre>
 * Exact for every padding mode (padding acts on the input, the bias is added after). Computed in double and rounded
 * once to float32.
 */
public final class BatchNormFolding {

    private BatchNormFolding() {
    }

    /** {@code conv} followed by {@code bn} as one convolution with a bias. */
    public static Op.Conv fold(Op.Conv conv, Op.BatchNorm bn) {
        ConvSpec spec = conv.spec();
        int out = spec.outChannels();
        if (bn.runningMean().numel() != out || bn.runningVar().numel() != out) {
            throw new IllegalArgumentException(bn.key() + ": batch norm over " + bn.runningMean().numel()
                    + " channels follows " + conv.key() + " with " + out + " output channels");
        }
        double[] scale = new double[out];
        double[] shift = new double[out];
        float[] mean = bn.runningMean().data();
        float[] var = bn.runningVar().data();
        for (int o = 0; o < out; o++) {
            double gamma = bn.weight() == null ? 1 : bn.weight().data()[o];
            double beta = bn.bias() == null ? 0 : bn.bias().data()[o];
            double b = conv.bias() == null ? 0 : conv.bias().data()[o];
            scale[o] = gamma / Math.sqrt((double) var[o] + bn.eps());
            shift[o] = (b - mean[o]) * scale[o] + beta;
        }

        float[] w = conv.weight().data();
        float[] wf = new float[w.length];
        long taps = spec.kernel().product();
        if (!spec.transposed()) {
            // weight [out, in/groups, k...]: one contiguous block per output channel
            int block = (int) (w.length / out);
            for (int o = 0; o < out; o++) {
                for (int i = o * block; i < (o + 1) * block; i++) {
                    wf[i] = (float) (w[i] * scale[o]);
                }
            }
        } else {
            // weight [in, out/groups, k...]: input channel i belongs to group i / (in/groups)
            int in = spec.inChannels();
            int outPerGroup = out / spec.groups();
            int inPerGroup = in / spec.groups();
            for (int i = 0; i < in; i++) {
                int g = i / inPerGroup;
                for (int j = 0; j < outPerGroup; j++) {
                    double s = scale[g * outPerGroup + j];
                    int base = (int) (((long) i * outPerGroup + j) * taps);
                    for (int t = 0; t < taps; t++) {
                        wf[base + t] = (float) (w[base + t] * s);
                    }
                }
            }
        }
        float[] bf = new float[out];
        for (int o = 0; o < out; o++) {
            bf[o] = (float) shift[o];
        }
        ConvSpec withBias = spec.bias() ? spec : new ConvSpec(spec.spatialDims(), spec.inChannels(),
                spec.outChannels(), spec.kernel(), spec.stride(), spec.paddingKind(), spec.padBefore(),
                spec.padAfter(), spec.dilation(), spec.groups(), true, spec.paddingMode(), spec.outputPadding(),
                spec.transposed(), spec.flip());
        return new Op.Conv(conv.key(), withBias, new Tensor(wf, conv.weight().shape()), new Tensor(bf, out),
                conv.relu());
    }
}
