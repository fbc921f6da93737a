package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.clip.ClipTransform.CropPosition;
import io.cubist.pipeline.video.DecodedFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The 3-crop views are windows of the same resized frames as the center crop. */
class ClipTransformCropTest {

    static final double[] MEAN = {0.43216, 0.394666, 0.37645};
    static final double[] STD = {0.22803, 0.22145, 0.216989};

    static List<DecodedFrame> frames(int t, int h, int w) {
        Random rnd = new Random(11);
        List<DecodedFrame> out = new ArrayList<>();
        for (int i = 0; i < t; i++) {
            byte[] rgb = new byte[h * w * 3];
            rnd.nextBytes(rgb);
            out.add(new DecodedFrame(i, 1, w, h, rgb));
        }
        return out;
    }

    /** The crop at (top, left) of the uncropped resize. */
    static float[] window(float[] full, int t, int rh, int rw, int top, int left, int ch, int cw) {
        float[] out = new float[3 * t * ch * cw];
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < t; f++) {
                for (int y = 0; y < ch; y++) {
                    for (int x = 0; x < cw; x++) {
                        out[((c * t + f) * ch + y) * cw + x] = full[((c * t + f) * rh + top + y) * rw + left + x];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void landscapeViewsSlideAlongTheWidth() {
        List<DecodedFrame> fr = frames(2, 61, 83);
        ClipTransform center = new ClipTransform(30, 37, 20, 24, MEAN, STD);
        float[] full = new ClipTransform(30, 37, 30, 37, MEAN, STD).apply(fr);
        assertArrayEquals(new int[] {5, 6}, center.cropOffset()); // round(6.5) = 6, half to even
        assertArrayEquals(window(full, 2, 30, 37, 5, 6, 20, 24), center.apply(fr));
        ClipTransform start = center.withCrop(CropPosition.START);
        ClipTransform end = center.withCrop(CropPosition.END);
        assertArrayEquals(new int[] {5, 0}, start.cropOffset());
        assertArrayEquals(new int[] {5, 13}, end.cropOffset());
        assertArrayEquals(window(full, 2, 30, 37, 5, 0, 20, 24), start.apply(fr));
        assertArrayEquals(window(full, 2, 30, 37, 5, 13, 20, 24), end.apply(fr));
        assertEquals(CropPosition.CENTER, start.withCrop(CropPosition.CENTER).cropPosition());
        assertArrayEquals(center.apply(fr), start.withCrop(CropPosition.CENTER).apply(fr));
    }

    @Test
    void portraitViewsSlideAlongTheHeight() {
        List<DecodedFrame> fr = frames(1, 50, 30);
        float[] full = new ClipTransform(40, 24, 40, 24, MEAN, STD).apply(fr);
        ClipTransform start = new ClipTransform(40, 24, 16, 16, MEAN, STD, CropPosition.START);
        ClipTransform end = start.withCrop(CropPosition.END);
        assertArrayEquals(new int[] {0, 4}, start.cropOffset());
        assertArrayEquals(new int[] {24, 4}, end.cropOffset());
        assertArrayEquals(window(full, 1, 40, 24, 0, 4, 16, 16), start.apply(fr));
        assertArrayEquals(window(full, 1, 40, 24, 24, 4, 16, 16), end.apply(fr));
        assertEquals(List.of(CropPosition.START, CropPosition.CENTER, CropPosition.END), CropPosition.threeCrop());
    }

    /** torchvision's ten_crop: five_crop of the frame, then five_crop of the mirrored frame (F.hflip, then crop). */
    @Test
    void tenCropIsFiveCropsAndTheirMirrorImages() {
        List<DecodedFrame> fr = frames(2, 30, 37);
        int rh = 20;
        int rw = 27;
        float[] full = new ClipTransform(rh, rw, rh, rw, MEAN, STD).apply(fr);
        ClipTransform base = new ClipTransform(rh, rw, 12, 16, MEAN, STD);
        List<ClipTransform> ten = base.views(10);
        assertEquals(10, ten.size());
        int[][] at = {{0, 0}, {0, 11}, {8, 0}, {8, 11}, {4, 6}}; // center: round(8 / 2), round(11 / 2) half to even
        for (int v = 0; v < 5; v++) {
            assertArrayEquals(at[v], ten.get(v).cropOffset(), "view " + v);
            assertArrayEquals(window(full, 2, rh, rw, at[v][0], at[v][1], 12, 16), ten.get(v).apply(fr), "view " + v);
            // the mirrored frame's crop at the same place: columns of the flipped frame, i.e. mirrored columns
            float[] mirrored = mirror(full, 2 * 3, rh, rw);
            assertArrayEquals(window(mirrored, 2, rh, rw, at[v][0], at[v][1], 12, 16), ten.get(5 + v).apply(fr),
                    "view " + (5 + v));
        }
        assertEquals(4, ClipTransform.centerView(10));
        assertEquals(1, ClipTransform.centerView(3));
        assertEquals(0, ClipTransform.centerView(1));
        assertEquals(List.of(base), base.views(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base.views(5));
        assertTrue(e.getMessage().contains("views must be 1 (center crop), 3"), e.getMessage());
    }

    /** Each of {@code planes} [h, w] planes mirrored left to right. */
    private static float[] mirror(float[] x, int planes, int h, int w) {
        float[] o = new float[x.length];
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < w; c++) {
                    o[(p * h + y) * w + c] = x[(p * h + y) * w + (w - 1 - c)];
                }
            }
        }
        return o;
    }
}
