package io.cubist.kernels.rewrite;

import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * {@code F.pixel_shuffle} / {@code F.pixel_unshuffle} and the 3D analogues over the last {@code dims} (2 or 3)
 * axes of a rank-{@code dims+2} tensor: channel {@code c*r^2 + i*r + j} of {@code [N, C*r^2, H, W]} is position
 * {@code (h*r+i, w*r+j)} of channel {@code c} in {@code [N, C, H*r, W*r]}; in 3D channel
 * {@code c*r^3 + i*r^2 + j*r + k} is {@code (d*r+i, h*r+j, w*r+k)}. The rewrite shuffles kernels with it (an
 * {@code [O, C*r^s, k...]} weight is such a tensor with {@code N = O}).
 */
final class PixelShuffle {

    private PixelShuffle() {
    }

    /** {@code [N, C*r^dims, S...] -> [N, C, S*r...]}. */
    static Tensor shuffle(Tensor t, int r, int dims) {
        int[] s = shape5d(t, dims, "pixel_shuffle");
        int f = dims == 3 ? r * r * r : r * r;
        if (s[1] % f != 0) {
            throw new IllegalArgumentException("pixel_shuffle: channels " + s[1] + " of " + Arrays.toString(t.shape())
                    + " must be divisible by r^" + dims + " = " + f);
        }
        int rd = dims == 3 ? r : 1;
        int[] out = t.shape();
        out[1] = s[1] / f;
        for (int a = 2; a < out.length; a++) {
            out[a] *= r;
        }
        Tensor y = Tensor.zeros(out);
        permute(t.data(), y.data(), s[0], s[1] / f, s[2], s[3], s[4], rd, r, true);
        return y;
    }

    /** {@code [N, C, S*r...] -> [N, C*r^dims, S...]}; every spatial size must be divisible by {@code r}. */
    static Tensor unshuffle(Tensor t, int r, int dims) {
        int[] s = shape5d(t, dims, "pixel_unshuffle");
        int rd = dims == 3 ? r : 1;
        if (s[2] % rd != 0 || s[3] % r != 0 || s[4] % r != 0) {
            throw new IllegalArgumentException("pixel_unshuffle: spatial size of " + Arrays.toString(t.shape())
                    + " must be divisible by the downscale factor " + r);
        }
        int[] out = t.shape();
        out[1] *= rd * r * r;
        for (int a = 2; a < out.length; a++) {
            out[a] /= r;
        }
        Tensor y = Tensor.zeros(out);
        permute(y.data(), t.data(), s[0], s[1], s[2] / rd, s[3] / r, s[4] / r, rd, r, false);
        return y;
    }

    private static int[] shape5d(Tensor t, int dims, String op) {
        if (dims != 2 && dims != 3) {
            throw new IllegalArgumentException(op + ": 2 or 3 spatial dimensions, got " + dims);
        }
        return Tensor.shape5d(t.shape(), dims);
    }

    // blocks[n, c*F + (i*r + j)*r + k, z, y, x] <-> space[n, c, z*rd + i, y*r + j, x*r + k], F = rd*r*r
    private static void permute(float[] blocks, float[] space, int n, int c, int d, int h, int w, int rd, int r,
                                boolean toSpace) {
        int f = rd * r * r;
        int vol = d * h * w;
        int sh = h * r;
        int sw = w * r;
        for (int b = 0; b < n * c; b++) {
            for (int i = 0; i < rd; i++) {
                for (int j = 0; j < r; j++) {
                    for (int k = 0; k < r; k++) {
                        int src = (b * f + (i * r + j) * r + k) * vol;
                        for (int z = 0; z < d; z++) {
                            for (int y = 0; y < h; y++) {
                                int dst = ((b * d * rd + z * rd + i) * sh + y * r + j) * sw + k;
                                int row = src + (z * h + y) * w;
                                for (int x = 0; x < w; x++) {
                                    if (toSpace) {
                                        space[dst + x * r] = blocks[row + x];
                                    } else {
                                        blocks[row + x] = space[dst + x * r];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
