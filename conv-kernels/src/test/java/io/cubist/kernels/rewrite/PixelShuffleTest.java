package io.cubist.kernels.rewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cubist.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PixelShuffleTest {

    @Test
    void shuffle2dFollowsTorchChannelOrder() {
        int n = 2;
        int c = 3;
        int r = 2;
        int h = 2;
        int w = 3;
        Tensor x = Tensor.random(1, n, c * r * r, h, w);
        Tensor y = PixelShuffle.shuffle(x, r, 2);
        assertArrayEquals(new int[] {n, c, h * r, w * r}, y.shape());
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < r; j++) {
                        for (int p = 0; p < h; p++) {
                            for (int q = 0; q < w; q++) {
                                // F.pixel_shuffle: out[b, ch, p*r+i, q*r+j] = in[b, ch*r^2 + i*r + j, p, q]
                                float in = x.data()[((b * c * r * r + ch * r * r + i * r + j) * h + p) * w + q];
                                float out = y.data()[((b * c + ch) * h * r + p * r + i) * w * r + q * r + j];
                                assertEquals(in, out);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(0, PixelShuffle.unshuffle(y, r, 2).maxAbsDiff(x));
    }

    @Test
    void shuffle3dFollowsTheDesignChannelOrder() {
        int c = 2;
        int r = 2;
        int d = 2;
        int h = 1;
        int w = 3;
        Tensor x = Tensor.random(2, 1, c * 8, d, h, w);
        Tensor y = PixelShuffle.shuffle(x, r, 3);
        assertArrayEquals(new int[] {1, c, d * r, h * r, w * r}, y.shape());
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    for (int k = 0; k < r; k++) {
                        for (int z = 0; z < d; z++) {
                            for (int p = 0; p < h; p++) {
                                for (int q = 0; q < w; q++) {
                                    // c*r^3 + i*r^2 + j*r + k -> (z*r+i, p*r+j, q*r+k)
                                    float in = x.data()[(((ch * 8 + i * 4 + j * 2 + k) * d + z) * h + p) * w + q];
                                    float out = y.data()[((ch * d * r + z * r + i) * h * r + p * r + j) * w * r
                                            + q * r + k];
                                    assertEquals(in, out);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(0, PixelShuffle.unshuffle(y, r, 3).maxAbsDiff(x));
    }

    @Test
    void factorOneIsTheIdentity() {
        Tensor x = Tensor.random(3, 2, 3, 4, 5);
        assertEquals(0, PixelShuffle.shuffle(x, 1, 2).maxAbsDiff(x));
        assertEquals(0, PixelShuffle.unshuffle(x.reshape(1, 2, 3, 4, 5), 1, 3).maxAbsDiff(x.reshape(1, 2, 3, 4, 5)));
    }
}
