package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * Plain-loop convolution and transposed convolution in every variant {@link ConvSpec} describes: the oracle the
 * fast engines are tested against. Sums accumulate in double.
 */
public final class ReferenceConv implements PreparedConv {

    private final ConvSpec spec;
    /** {@code [O, I/g, kd, kh, kw]} (conv) or {@code [I, O/g, kd, kh, kw]} (transposed); already flipped if asked. */
    private final float[] weight;
    /** {@code [O]}, or null. */
    private final float[] bias;

    public ReferenceConv(ConvSpec spec, Tensor weight, Tensor bias) {
        OpShapes.checkParameters(spec, weight, bias);
        this.spec = spec;
        this.weight = spec.flip() ? flipKernel(weight.data(), spec) : weight.data().clone();
        this.bias = bias == null ? null : bias.data().clone();
    }

    /** Reverses every spatial axis of a packed {@code [A, B, kd, kh, kw]} kernel: true convolution. */
    static float[] flipKernel(float[] w, ConvSpec spec) {
        Dims3 k = spec.kernel();
        int kd = k.d();
        int kh = k.h();
        int kw = k.w();
        int taps = kd * kh * kw;
        float[] f = new float[w.length];
        for (int base = 0; base < w.length; base += taps) {
            for (int a = 0; a < kd; a++) {
                for (int b = 0; b < kh; b++) {
                    for (int c = 0; c < kw; c++) {
                        f[base + ((kd - 1 - a) * kh + (kh - 1 - b)) * kw + (kw - 1 - c)] = w[base + (a * kh + b) * kw + c];
                    }
                }
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
        int[] s5 = OpShapes.inputShape5d(spec, input);
        Dims3 in = new Dims3(s5[2], s5[3], s5[4]);
        Dims3 out = spec.outputSize(in);
        Tensor y = Tensor.zeros(OpShapes.convOutputShape(spec, input, out));
        if (spec.transposed()) {
            transposed(input.data(), s5[0], in, y.data(), out);
        } else {
            spec.checkPaddingFits(in);
            direct(input.data(), s5[0], in, y.data(), out);
        }
        return y;
    }

    // y[n, o, z] = b[o] + sum_{c in group(o), k} x[n, c, z*stride - padBefore + k*dilation] * w[o, c - c0, k]
    private void direct(float[] x, int batch, Dims3 in, float[] y, Dims3 out) {
        int cin = spec.inChannels();
        int cout = spec.outChannels();
        int cinG = cin / spec.groups();
        int coutG = cout / spec.groups();
        Dims3 k = spec.kernel();
        Dims3 st = spec.stride();
        Dims3 dl = spec.dilation();
        Dims3 pb = spec.padBefore();
        PaddingMode mode = spec.paddingMode();
        int inVol = (int) in.product();
        int outVol = (int) out.product();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < cout; o++) {
                int c0 = (o / coutG) * cinG;
                for (int od = 0; od < out.d(); od++) {
                    for (int oh = 0; oh < out.h(); oh++) {
                        for (int ow = 0; ow < out.w(); ow++) {
                            double acc = bias == null ? 0 : bias[o];
                            for (int ci = 0; ci < cinG; ci++) {
                                int xBase = (n * cin + c0 + ci) * inVol;
                                int wBase = (o * cinG + ci) * k.d() * k.h() * k.w();
                                for (int a = 0; a < k.d(); a++) {
                                    int id = mode.map(od * st.d() - pb.d() + a * dl.d(), in.d());
                                    if (id < 0) {
                                        continue;
                                    }
                                    for (int b = 0; b < k.h(); b++) {
                                        int ih = mode.map(oh * st.h() - pb.h() + b * dl.h(), in.h());
                                        if (ih < 0) {
                                            continue;
                                        }
                                        for (int c = 0; c < k.w(); c++) {
                                            int iw = mode.map(ow * st.w() - pb.w() + c * dl.w(), in.w());
                                            if (iw < 0) {
                                                continue;
                                            }
                                            acc += (double) x[xBase + (id * in.h() + ih) * in.w() + iw]
                                                    * weight[wBase + (a * k.h() + b) * k.w() + c];
                                        }
                                    }
                                }
                            }
                            y[(n * cout + o) * outVol + (od * out.h() + oh) * out.w() + ow] = (float) acc;
                        }
                    }
                }
            }
        }
    }

    // The adjoint of the direct conv: y[n, o, z*stride - padding + k*dilation] += x[n, c, z] * w[c, o - o0, k]
    private void transposed(float[] x, int batch, Dims3 in, float[] y, Dims3 out) {
        int cin = spec.inChannels();
        int cout = spec.outChannels();
        int cinG = cin / spec.groups();
        int coutG = cout / spec.groups();
        Dims3 k = spec.kernel();
        Dims3 st = spec.stride();
        Dims3 dl = spec.dilation();
        Dims3 pb = spec.padBefore();
        int inVol = (int) in.product();
        int outVol = (int) out.product();
        double[] acc = new double[outVol];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < cout; o++) {
                int g = o / coutG;
                Arrays.fill(acc, bias == null ? 0 : bias[o]);
                for (int ci = 0; ci < cinG; ci++) {
                    int c = g * cinG + ci;
                    int xBase = (n * cin + c) * inVol;
                    int wBase = (c * coutG + (o - g * coutG)) * k.d() * k.h() * k.w();
                    for (int id = 0; id < in.d(); id++) {
                        for (int ih = 0; ih < in.h(); ih++) {
                            for (int iw = 0; iw < in.w(); iw++) {
                                double v = x[xBase + (id * in.h() + ih) * in.w() + iw];
                                for (int a = 0; a < k.d(); a++) {
                                    int zd = id * st.d() - pb.d() + a * dl.d();
                                    if (zd < 0 || zd >= out.d()) {
                                        continue;
                                    }
                                    for (int b = 0; b < k.h(); b++) {
                                        int zh = ih * st.h() - pb.h() + b * dl.h();
                                        if (zh < 0 || zh >= out.h()) {
                                            continue;
                                        }
                                        for (int cc = 0; cc < k.w(); cc++) {
                                            int zw = iw * st.w() - pb.w() + cc * dl.w();
                                            if (zw < 0 || zw >= out.w()) {
                                                continue;
                                            }
                                            acc[(zd * out.h() + zh) * out.w() + zw] +=
                                                    v * weight[wBase + (a * k.h() + b) * k.w() + cc];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                int yBase = (n * cout + o) * outVol;
                for (int i = 0; i < outVol; i++) {
                    y[yBase + i] = (float) acc[i];
                }
            }
        }
    }
}
