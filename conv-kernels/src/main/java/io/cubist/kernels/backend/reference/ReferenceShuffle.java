package io.cubist.kernels.backend.reference;

import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.tensor.Tensor;

/**
 * Plain-loop pixel shuffle over the last 2 ({@code F.pixel_shuffle}/{@code F.pixel_unshuffle}) or 3 (Cubist's
 * {@code pixel_shuffle3d}/{@code pixel_unshuffle3d}) dimensions. As in PyTorch, the input is
 * {@code [*, C, spatial...]}: every dimension before the channel one is a batch dimension, and there may be none.
 *
 * <p>A 2D shuffle is computed as a 3D one with a depth factor of 1, so both share one loop nest.
 */
public final class ReferenceShuffle {

    private ReferenceShuffle() {
    }

    /**
     * {@code [*, C*r^s, D, H, W] -> [*, C, D*r, H*r, W*r]} (for {@code s = 2}: {@code [*, C*r^2, H, W] ->
     * [*, C, H*r, W*r]}); input channel {@code c*r^3 + i*r^2 + j*r + k} goes to {@code (d*r+i, h*r+j, w*r+k)}
     * ({@code c*r^2 + j*r + k} to {@code (h*r+j, w*r+k)} in 2D).
     */
    public static Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        int[] os = OpShapes.shuffleShape(input, factor, spatialDims, true);
        int[] s = input.shape();
        int batchDims = s.length - spatialDims - 1;
        int r = factor;
        int rd = spatialDims == 3 ? r : 1;
        int group = rd * r * r;
        int cIn = s[batchDims];
        int batch = product(s, 0, batchDims);
        int c = cIn / group;
        int d = spatialDims == 3 ? s[s.length - 3] : 1;
        int h = s[s.length - 2];
        int w = s[s.length - 1];
        float[] x = input.data();
        Tensor result = Tensor.zeros(os);
        float[] y = result.data();
        int od = d * rd;
        int oh = h * r;
        int ow = w * r;
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < rd; i++) {
                    for (int j = 0; j < r; j++) {
                        for (int k = 0; k < r; k++) {
                            int cx = ch * group + (i * r + j) * r + k;
                            for (int z = 0; z < d; z++) {
                                for (int u = 0; u < h; u++) {
                                    for (int v = 0; v < w; v++) {
                                        // out[b, c, z*r+i, u*r+j, v*r+k] = in[b, c*r^3 + i*r^2 + j*r + k, z, u, v]
                                        int xi = (((b * cIn + cx) * d + z) * h + u) * w + v;
                                        int yi = (((b * c + ch) * od + z * rd + i) * oh + u * r + j) * ow + v * r + k;
                                        y[yi] = x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result;
    }

    /**
     * The inverse of {@link #pixelShuffle}: {@code [*, C, D*r, H*r, W*r] -> [*, C*r^3, D, H, W]} (2D:
     * {@code [*, C, H*r, W*r] -> [*, C*r^2, H, W]}).
     */
    public static Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        int[] os = OpShapes.shuffleShape(input, factor, spatialDims, false);
        int[] s = input.shape();
        int batchDims = s.length - spatialDims - 1;
        int r = factor;
        int rd = spatialDims == 3 ? r : 1;
        int group = rd * r * r;
        int batch = product(s, 0, batchDims);
        int c = s[batchDims];
        int od = spatialDims == 3 ? s[s.length - 3] : 1;
        int oh = s[s.length - 2];
        int ow = s[s.length - 1];
        int d = od / rd;
        int h = oh / r;
        int w = ow / r;
        int cOut = c * group;
        float[] x = input.data();
        Tensor result = Tensor.zeros(os);
        float[] y = result.data();
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < rd; i++) {
                    for (int j = 0; j < r; j++) {
                        for (int k = 0; k < r; k++) {
                            int cy = ch * group + (i * r + j) * r + k;
                            for (int z = 0; z < d; z++) {
                                for (int u = 0; u < h; u++) {
                                    for (int v = 0; v < w; v++) {
                                        // out[b, c*r^3 + i*r^2 + j*r + k, z, u, v] = in[b, c, z*r+i, u*r+j, v*r+k]
                                        int yi = (((b * cOut + cy) * d + z) * h + u) * w + v;
                                        int xi = (((b * c + ch) * od + z * rd + i) * oh + u * r + j) * ow + v * r + k;
                                        y[yi] = x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result;
    }

    private static int product(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= s[i];
        }
        return p;
    }
}
