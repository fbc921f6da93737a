package io.cubist.kernels.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceShuffleTest {

    /** {@code [1, C, 1, W]} (2D) or {@code [1, C, 1, 1, W]} (3D) with value {@code 10*c + w}. */
    private static Tensor channelCoded(int c, int w, int spatialDims) {
        float[] v = new float[c * w];
        for (int ch = 0; ch < c; ch++) {
            for (int x = 0; x < w; x++) {
                v[ch * w + x] = 10 * ch + x;
            }
        }
        return spatialDims == 2 ? new Tensor(v, 1, c, 1, w) : new Tensor(v, 1, c, 1, 1, w);
    }

    @Test
    void pixelShuffle2dHandComputed() {
        // out[h*2+i, w*2+j] = in[i*2+j, h, w]
        Tensor y = ReferenceShuffle.pixelShuffle(channelCoded(4, 2, 2), 2, 2);
        assertArrayEquals(new int[] {1, 1, 2, 4}, y.shape());
        assertArrayEquals(new float[] {0, 10, 1, 11, 20, 30, 21, 31}, y.data());
    }

    @Test
    void pixelShuffle3dHandComputed() {
        // out[d*2+i, h*2+j, w*2+k] = in[i*4+j*2+k, d, h, w]
        Tensor y = ReferenceShuffle.pixelShuffle(channelCoded(8, 2, 3), 2, 3);
        assertArrayEquals(new int[] {1, 1, 2, 2, 4}, y.shape());
        assertArrayEquals(new float[] {0, 10, 1, 11, 20, 30, 21, 31, 40, 50, 41, 51, 60, 70, 61, 71}, y.data());
    }

    @Test
    void pixelShuffleKeepsOutputChannelsApart() {
        // two output channels, r=2 in 2D: input channel c*4 + i*2 + j
        Tensor x = channelCoded(8, 1, 2);
        Tensor y = ReferenceShuffle.pixelShuffle(x, 2, 2);
        assertArrayEquals(new int[] {1, 2, 2, 2}, y.shape());
        assertArrayEquals(new float[] {0, 10, 20, 30, 40, 50, 60, 70}, y.data());
    }

    @Test
    void pixelUnshuffleHandComputed() {
        Tensor x = new Tensor(new float[] {0, 10, 1, 11, 20, 30, 21, 31}, 1, 1, 2, 4);
        Tensor y = ReferenceShuffle.pixelUnshuffle(x, 2, 2);
        assertArrayEquals(new int[] {1, 4, 1, 2}, y.shape());
        assertArrayEquals(channelCoded(4, 2, 2).data(), y.data());
    }

    @Test
    void unbatchedAndExtraBatchDimensions() {
        Tensor x = Tensor.random(11, 2, 3, 8, 2, 3);
        Tensor batched = ReferenceShuffle.pixelShuffle(x.reshape(6, 8, 2, 3), 2, 2);
        Tensor multi = ReferenceShuffle.pixelShuffle(x, 2, 2);
        assertArrayEquals(new int[] {2, 3, 2, 4, 6}, multi.shape());
        assertArrayEquals(batched.data(), multi.data());
        Tensor one = ReferenceShuffle.pixelShuffle(x.reshape(6, 8, 2, 3).reshape(48, 2, 3), 1, 2);
        assertArrayEquals(new int[] {48, 2, 3}, one.shape());

        Tensor v = Tensor.random(12, 16, 1, 2, 3);
        Tensor unbatched = ReferenceShuffle.pixelShuffle(v, 2, 3);
        assertArrayEquals(new int[] {2, 2, 4, 6}, unbatched.shape());
        assertArrayEquals(ReferenceShuffle.pixelShuffle(v.reshape(1, 16, 1, 2, 3), 2, 3).data(), unbatched.data());
        Tensor back = ReferenceShuffle.pixelUnshuffle(unbatched, 2, 3);
        assertArrayEquals(new int[] {16, 1, 2, 3}, back.shape());
        assertArrayEquals(v.data(), back.data());
    }

    @Test
    void shuffleAndUnshuffleAreInversesOnRandomShapes() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int trial = 0; trial < 200; trial++) {
            int spatialDims = 2 + rnd.nextInt(2);
            int r = 1 + rnd.nextInt(3);
            int batchDims = rnd.nextInt(3);
            int[] shape = new int[batchDims + 1 + spatialDims];
            for (int a = 0; a < batchDims; a++) {
                shape[a] = 1 + rnd.nextInt(2);
            }
            int group = spatialDims == 3 ? r * r * r : r * r;
            shape[batchDims] = group * (1 + rnd.nextInt(3));
            for (int a = batchDims + 1; a < shape.length; a++) {
                shape[a] = 1 + rnd.nextInt(4);
            }
            Tensor x = Tensor.random(trial, shape);
            Tensor up = ReferenceShuffle.pixelShuffle(x, r, spatialDims);
            Tensor down = ReferenceShuffle.pixelUnshuffle(up, r, spatialDims);
            String what = Arrays.toString(shape) + " r=" + r + " s=" + spatialDims;
            assertArrayEquals(shape, down.shape(), what);
            assertArrayEquals(x.data(), down.data(), what);
            // the other way round, starting from the large spatial shape
            Tensor again = ReferenceShuffle.pixelShuffle(ReferenceShuffle.pixelUnshuffle(up, r, spatialDims), r,
                    spatialDims);
            assertArrayEquals(up.shape(), again.shape(), what);
            assertArrayEquals(up.data(), again.data(), what);
        }
    }

    @Test
    void pixelShuffleIsAPermutation() {
        Tensor x = Tensor.zeros(2, 27, 2, 1, 3);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] = i;
        }
        float[] y = ReferenceShuffle.pixelShuffle(x, 3, 3).data().clone();
        Arrays.sort(y);
        assertArrayEquals(x.data(), y);
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelShuffle(Tensor.zeros(1, 6, 2, 2), 2, 2));
        assertEquals("pixel_shuffle: input channels (dimension 1) must be divisible by upscale_factor^2 = 4,"
                + " got shape [1, 6, 2, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelShuffle(Tensor.zeros(1, 4, 2, 2, 2), 2, 3));
        assertEquals("pixel_shuffle3d: input channels (dimension 1) must be divisible by upscale_factor^3 = 8,"
                + " got shape [1, 4, 2, 2, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelUnshuffle(Tensor.zeros(1, 1, 4, 4, 3), 2, 3));
        assertEquals("pixel_unshuffle3d: spatial dimensions must be divisible by downscale_factor 2, got shape"
                + " [1, 1, 4, 4, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelUnshuffle(Tensor.zeros(4, 4), 2, 2));
        assertEquals("pixel_unshuffle: input must have shape [*, C, H, W] (rank >= 3), got [4, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelShuffle(Tensor.zeros(1, 4, 2, 2), 0, 2));
        assertEquals("pixel_shuffle: upscale_factor must be > 0, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceShuffle.pixelShuffle(Tensor.zeros(1, 4, 2, 2), 2, 1));
        assertEquals("pixel_shuffle: spatial dimensions must be 2 or 3, got 1", e.getMessage());
    }
}
