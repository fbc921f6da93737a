package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.video.DecodedFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class ClipBatchTest {

    static final ClipTransform TF = new ClipTransform(12, 15, 8, 10, new double[] {0.4, 0.5, 0.6},
            new double[] {0.2, 0.25, 0.3});

    static SampledClip clip(int index, int t, long seed) {
        Random rnd = new Random(seed);
        List<DecodedFrame> frames = new ArrayList<>();
        for (int i = 0; i < t; i++) {
            byte[] rgb = new byte[20 * 24 * 3];
            rnd.nextBytes(rgb);
            frames.add(new DecodedFrame(i / 10.0, 0.1, 24, 20, rgb));
        }
        return new SampledClip(index, index * 0.4, index * 0.4 + 0.4, frames, null);
    }

    @Test
    void uint8AndFloatStorageGiveTheTransformsValues() {
        try (RootAllocator root = new RootAllocator()) {
            for (ClipLayout.Storage storage : ClipLayout.Storage.values()) {
                ClipLayout layout = ClipLayout.of(TF, 4, storage);
                try (BufferAllocator task = root.newChildAllocator("task", 0, Long.MAX_VALUE);
                     ClipBatch b = new ClipBatch(task, "batch-" + storage, layout, 3)) {
                    assertTrue(task.getAllocatedMemory() >= 3 * layout.bytesPerClip());
                    for (int k = 0; k < 3; k++) {
                        assertEquals(k, b.add("v.mp4", clip(k, 4, k), TF));
                    }
                    assertTrue(b.isFull());
                    assertThrows(IllegalStateException.class, () -> b.add("v.mp4", clip(3, 4, 3), TF));
                    Tensor all = b.toTensor();
                    assertArrayEquals(new int[] {3, 3, 4, 8, 10}, all.shape());
                    for (int k = 0; k < 3; k++) {
                        float[] want = TF.apply(clip(k, 4, k).frames());
                        float[] got = b.clip(k).data();
                        assertArrayEquals(want, got, storage + " clip " + k);
                        assertArrayEquals(want, java.util.Arrays.copyOfRange(all.data(), k * want.length,
                                (k + 1) * want.length));
                        assertEquals(k, b.clipIndex(k));
                        assertEquals(k * 0.4, b.startSec(k));
                        assertEquals("v.mp4", b.video(k));
                    }
                    b.clear();
                    assertEquals(0, b.size());
                    b.add("w.mp4", clip(9, 4, 9), TF);
                    assertArrayEquals(TF.apply(clip(9, 4, 9).frames()), b.clip(0).data());
                }
            }
            assertEquals(0, root.getAllocatedMemory(), "every batch returned its memory");
        }
    }

    @Test
    void aBatchCannotOutgrowItsAllocatorAndAWrongShapeIsRefused() {
        try (RootAllocator root = new RootAllocator(1000)) {
            ClipLayout layout = ClipLayout.of(TF, 4, ClipLayout.Storage.FLOAT32); // 3840 bytes a clip
            assertThrows(RuntimeException.class, () -> new ClipBatch(root, "too-big", layout, 1));
            assertEquals(0, root.getAllocatedMemory());
        }
        try (RootAllocator root = new RootAllocator();
             ClipBatch b = new ClipBatch(root, "b", ClipLayout.of(TF, 4, ClipLayout.Storage.UINT8), 2)) {
            assertThrows(IllegalArgumentException.class, () -> b.add("v", clip(0, 5, 0), TF));
            assertThrows(IllegalStateException.class, b::toTensor);
        }
    }

    @Test
    void anUnclosedBatchIsALeakTheRootReports() {
        RootAllocator root = new RootAllocator();
        ClipBatch leaked = new ClipBatch(root, "leaked", ClipLayout.of(TF, 2, ClipLayout.Storage.UINT8), 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, root::close);
        assertTrue(e.getMessage().contains("leaked") || e.getMessage().contains("Memory"), e.getMessage());
        // the allocator tree is closed now; the batch's few hundred bytes stay with this test's abandoned root
        assertTrue(leaked.size() == 0);
    }
}
