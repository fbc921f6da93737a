package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.SyntheticVideos;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clip producer alone (no model, no Spark): batches, views, failures with their stage, the timeout, memory. */
class ClipProducerTest {

    static final ClipTransform TRANSFORM = ClipTransform.of(FeatureExtractorTest.PRESET);
    static final SamplerSettings SAMPLER = SamplerSettings.of(4, 1, 10);

    @TempDir
    static Path dir;
    static Path video;

    @BeforeAll
    static void setUp() throws Exception {
        video = dir.resolve("v.avi");
        SyntheticVideos.write(video, SyntheticVideos.Codec.MPEG4_AVI, 48, 40, 25, 80); // 3.2 s: 32 frames at 10 fps
    }

    /** The clips the sampler and transform give by hand, in order. */
    static List<float[]> byHand() throws Exception {
        List<float[]> clips = new ArrayList<>();
        try (VideoReader r = VideoReader.open(video.toString())) {
            new ClipSampler(SAMPLER).sample(r.fromStart(), c -> clips.add(TRANSFORM.apply(c.frames())));
        }
        return clips;
    }

    @Test
    void batchesHoldEveryClipInOrderAndReleaseTheirMemory() throws Exception {
        List<float[]> expected = byHand();
        assertEquals(8, expected.size());
        ClipProducer.Settings s = new ClipProducer.Settings(SAMPLER, 3, ClipLayout.Storage.FLOAT32,
                Duration.ofSeconds(60));
        try (RootAllocator root = new RootAllocator()) {
            List<Integer> sizes = new ArrayList<>();
            int k = 0;
            long bytes;
            try (ClipProducer p = ClipProducer.start(SeekableInput.Source.local(video), TRANSFORM, s, root)) {
                for (ClipBatch next; (next = p.next()) != null; ) {
                    try (ClipBatch b = next) {
                        sizes.add(b.size());
                        for (int i = 0; i < b.size(); i++, k++) {
                            assertEquals(k, b.clipIndex(i));
                            assertEquals(video.toString(), b.video(i));
                            assertArrayEquals(expected.get(k), b.clip(i).data(), 0f, "clip " + k);
                        }
                    }
                }
                assertNull(p.next(), "the end stays the end");
                assertTrue(p.framesDecoded() >= 80, "frames " + p.framesDecoded());
                bytes = p.bytesRead();
            }
            assertEquals(List.of(3, 3, 2), sizes);
            // the whole file once, plus the AVI index at its end read on open
            assertTrue(bytes >= Files.size(video) && bytes <= Files.size(video) * 1.1, bytes + " bytes read of "
                    + Files.size(video));
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void threeViewsFillSlotsInTurnAndASegmentGivesItsOwnClips() throws Exception {
        List<ClipTransform> views = ClipTransform.CropPosition.threeCrop().stream().map(TRANSFORM::withCrop).toList();
        ClipProducer.Settings s = new ClipProducer.Settings(SAMPLER, 4, ClipLayout.Storage.UINT8, null);
        try (RootAllocator root = new RootAllocator()) {
            List<String> seen = new ArrayList<>();
            try (ClipProducer p = ClipProducer.start(SeekableInput.Source.local(video), 1.0, 2.0, views, s, root)) {
                for (ClipBatch next; (next = p.next()) != null; ) {
                    try (ClipBatch b = next) {
                        for (int i = 0; i < b.size(); i++) {
                            seen.add(b.clipIndex(i) + "/" + b.view(i));
                        }
                    }
                }
            }
            // clips start every 0.4 s: clips 3 and 4 start in [1, 2)
            assertEquals(List.of("3/0", "3/1", "3/2", "4/0", "4/1", "4/2"), seen);
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void failuresCarryTheirStage() throws Exception {
        ClipProducer.Settings s = new ClipProducer.Settings(SAMPLER, 2, null, null);
        Path junk = Files.write(dir.resolve("junk.mp4"), new byte[] {1, 2, 3, 4});
        try (RootAllocator root = new RootAllocator()) {
            for (Object[] c : new Object[][] {{dir.resolve("missing.mp4"), "input"}, {dir, "input"},
                    {junk, "open"}}) {
                try (ClipProducer p = ClipProducer.start(SeekableInput.Source.local((Path) c[0]), TRANSFORM, s,
                        root)) {
                    VideoException e = assertThrows(VideoException.class, p::next);
                    assertEquals(c[1], e.stage(), e.getMessage());
                    assertTrue(e.getMessage().startsWith(c[0].toString()), e.getMessage());
                }
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void aStalledSourceTimesOutAndTheDecoderLetsGo() throws Exception {
        byte[] bytes = Files.readAllBytes(video);
        CountDownLatch closed = new CountDownLatch(1);
        // serves the file's first half and its last 8 KB (the AVI index, read on open), and blocks on the rest until
        // closed: a network read that hangs in the middle of a video
        SeekableInput.Source stalling = SeekableInput.Source.of("stalling.avi", () -> new SeekableInput() {
            private long pos;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= bytes.length / 2 && pos < bytes.length - 8192) {
                    try {
                        closed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IOException("connection closed");
                }
                int n = (int) Math.min(len, (pos < bytes.length / 2 ? bytes.length / 2 : bytes.length) - pos);
                if (n <= 0) {
                    return -1;
                }
                System.arraycopy(bytes, (int) pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public void seek(long position) {
                pos = position;
            }

            @Override
            public long position() {
                return pos;
            }

            @Override
            public long length() {
                return bytes.length;
            }

            @Override
            public void close() {
                closed.countDown();
            }
        });
        // 5 s without a frame: far more than opening and decoding the first half takes on a busy machine, so the
        // stall, not a slow start, is what ends the decode
        ClipProducer.Settings s = new ClipProducer.Settings(SAMPLER, 1, null, Duration.ofMillis(5000));
        try (RootAllocator root = new RootAllocator()) {
            long frames;
            VideoException e;
            try (ClipProducer p = ClipProducer.start(stalling, TRANSFORM, s, root)) {
                e = assertThrows(VideoException.class, () -> {
                    for (ClipBatch b; (b = p.next()) != null; ) {
                        b.close();
                    }
                });
                frames = p.framesDecoded();
            }
            assertEquals("decode", e.stage());
            assertEquals(VideoException.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("no frame decoded for 5 s"), e.getMessage());
            assertTrue(frames > 0, "it decoded the first half before stalling");
            assertTrue(closed.await(10, TimeUnit.SECONDS), "the abort closed the stalled source");
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void aConsumerThatStopsEarlyLeavesNothingBehind() throws Exception {
        ClipProducer.Settings s = new ClipProducer.Settings(SAMPLER, 1, null, null);
        try (RootAllocator root = new RootAllocator()) {
            ClipProducer p = ClipProducer.start(SeekableInput.Source.local(video), TRANSFORM, s, root);
            try (ClipBatch first = p.next()) {
                assertEquals(0, first.clipIndex(0));
            }
            p.close(); // the decoder is blocked on the full queue: closing it frees the queued batches
            assertFalse(p.decoderRunning());
            assertEquals(0, root.getAllocatedMemory());
        }
    }
}
