package io.cubist.pipeline.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.clip.ClipSampler;
import io.cubist.pipeline.clip.SampledClip;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.video.SyntheticVideos.Codec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VideoReaderTest {

    static final int W = 64;
    static final int H = 48;
    static final int N = 60;
    static final double FPS = 30;

    @TempDir
    static Path dir;
    static final Map<String, Path> FILES = new LinkedHashMap<>();

    static List<Codec> codecs() {
        return List.of(Codec.PNG_MKV, Codec.FFV1_MKV, Codec.MPEG4_AVI, Codec.VP9_WEBM, Codec.H264_MP4,
                Codec.MJPEG_MOV);
    }

    @BeforeAll
    static void write() throws Exception {
        for (Codec c : codecs()) {
            Path f = dir.resolve(c.codec() + "." + c.container());
            SyntheticVideos.write(f, c, W, H, FPS, N);
            FILES.put(c.codec(), f);
        }
    }

    static Path file(Codec c) {
        return FILES.get(c.codec());
    }

    @Test
    void losslessFramesArePixelExactWithTheirTimes() throws Exception {
        try (VideoReader r = VideoReader.open(file(Codec.PNG_MKV).toString())) {
            VideoInfo info = r.info();
            assertEquals(W, info.width());
            assertEquals(H, info.height());
            assertEquals(FPS, info.frameRate(), 1e-9);
            assertEquals(2.0, info.durationSec(), 0.05);
            assertEquals("png", info.videoCodec());
            assertTrue(info.format().contains("matroska"), info.format());
            for (int n = 0; n < N; n++) {
                DecodedFrame f = r.next();
                assertNotNull(f, "frame " + n);
                assertArrayEquals(SyntheticVideos.frame(n, W, H), f.rgb(), "pixels of frame " + n);
                assertEquals(n / FPS, f.ptsSec(), 0.001, "pts of frame " + n); // Matroska keeps milliseconds
                assertEquals(1 / FPS, f.durationSec(), 0.0015);
            }
            assertNull(r.next());
            assertNull(r.next());
            assertFalse(r.incomplete());
            assertEquals(List.of(), r.warnings());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void everyCodecDecodesEveryFrameInOrder(Codec c) throws Exception {
        try (VideoReader r = VideoReader.open(file(c).toString())) {
            int n = 0;
            DecodedFrame f;
            double last = -1;
            while ((f = r.next()) != null) {
                assertEquals(n, SyntheticVideos.readNumber(f), c + " frame " + n);
                assertTrue(f.ptsSec() > last);
                last = f.ptsSec();
                n++;
            }
            assertEquals(N, n, c.toString());
            assertFalse(r.incomplete(), r.warnings().toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void seeksAreExact(Codec c) throws Exception {
        checkSeeks(file(c), c.toString());
    }

    @Test
    void aTransportStreamStartingLateSeeksOnItsOwnTimeline() throws Exception {
        // MPEG-TS timestamps start at the muxer's delay (1.4 s) plus the first frame's time
        double[] pts = new double[N];
        for (int i = 0; i < N; i++) {
            pts[i] = 3 + i / 25.0;
        }
        Path f = dir.resolve("late.ts");
        SyntheticVideos.write(f, new Codec("mpegts", "mpeg2video", org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P,
                false), W, H, 25, pts);
        try (VideoReader r = VideoReader.open(f.toString())) {
            assertTrue(r.info().startSec() >= 3, r.info().toString());
            assertEquals(r.info().startSec(), r.next().ptsSec(), 1e-6);
        }
        checkSeeks(f, "late.ts");
    }

    private static void checkSeeks(Path file, String c) throws Exception {
        List<Double> pts = new ArrayList<>();
        try (VideoReader r = VideoReader.open(file.toString())) {
            DecodedFrame f;
            while ((f = r.next()) != null) {
                pts.add(f.ptsSec());
            }
        }
        Random rnd = new Random(3);
        double first = pts.get(0);
        try (VideoReader r = VideoReader.open(file.toString())) {
            List<Double> targets = new ArrayList<>(List.of(0.0, pts.get(N - 1), pts.get(N - 1) + 0.001, first + 1.0,
                    first + 0.5, pts.get(30), pts.get(30) - 1e-4, first + 5.0, first));
            for (int i = 0; i < 10; i++) {
                targets.add(first + rnd.nextDouble() * 2.6);
            }
            for (double t : targets) {
                // the first frame at or after t, and the last at or before it, on the decoded timeline
                int after = 0;
                while (after < N && pts.get(after) < t) {
                    after++;
                }
                int showing = 0;
                while (showing + 1 < N && pts.get(showing + 1) <= t) {
                    showing++;
                }
                r.seek(t);
                DecodedFrame f = r.next();
                if (after >= N) {
                    assertNull(f, c + " seek " + t);
                } else {
                    assertNotNull(f, c + " seek " + t);
                    assertEquals(after, SyntheticVideos.readNumber(f), c + " seek " + t + " (pts " + f.ptsSec() + ")");
                    assertEquals(pts.get(after), f.ptsSec());
                    DecodedFrame g = r.next();
                    if (after + 1 < N) {
                        assertEquals(after + 1, SyntheticVideos.readNumber(g), "the frame after a seek");
                    }
                }
                r.seekShowing(t);
                f = r.next();
                assertEquals(showing, SyntheticVideos.readNumber(f), c + " seekShowing " + t);
                assertEquals(pts.get(showing), f.ptsSec());
            }
        }
    }

    @Test
    void variableFrameRateKeepsTheWrittenTimes() throws Exception {
        double[] pts = {0, 0.04, 0.05, 0.2, 0.21, 0.5, 0.9, 0.95, 1.4, 1.41};
        Path f = dir.resolve("vfr.mkv");
        SyntheticVideos.write(f, Codec.FFV1_MKV, W, H, 1000, pts);
        try (VideoReader r = VideoReader.open(f.toString())) {
            for (int i = 0; i < pts.length; i++) {
                DecodedFrame d = r.next();
                assertEquals(i, SyntheticVideos.readNumber(d));
                assertEquals(pts[i], d.ptsSec(), 1e-9);
                if (i + 1 < pts.length) {
                    assertEquals(pts[i + 1] - pts[i], d.durationSec(), 1e-9, "duration of frame " + i);
                } else {
                    // the last gap (0.01 s), cut to where the container says the stream ends (1 ms later here)
                    double end = r.info().startSec() + r.info().durationSec();
                    assertEquals(Math.min(pts[i] - pts[i - 1], end - pts[i]), d.durationSec(), 1e-9);
                }
            }
            assertNull(r.next());
        }
        // resampled at 10 fps: the frame on screen at each tenth of a second, until 1.42 s
        List<Integer> shown = new ArrayList<>();
        try (VideoReader r = VideoReader.open(f.toString())) {
            new ClipSampler(SamplerSettings.of(1, 1, 10)).sample(r,
                    c -> shown.add(SyntheticVideos.readNumber(c.frames().get(0))));
        }
        assertEquals(List.of(0, 2, 3, 4, 4, 5, 5, 5, 5, 6, 7, 7, 7, 7, 8), shown);
    }

    @Test
    void aStreamStartingLateKeepsItsTimestamps() throws Exception {
        double[] pts = new double[20];
        for (int i = 0; i < pts.length; i++) {
            pts[i] = 1.5 + i * 0.1;
        }
        Path f = dir.resolve("late.mkv");
        SyntheticVideos.write(f, Codec.FFV1_MKV, W, H, 1000, pts);
        try (VideoReader r = VideoReader.open(f.toString())) {
            assertEquals(1.5, r.next().ptsSec(), 1e-9);
            r.seek(2.0);
            DecodedFrame d = r.next();
            assertEquals(5, SyntheticVideos.readNumber(d));
            assertEquals(2.0, d.ptsSec(), 1e-9);
            r.seekShowing(0.3);
            assertEquals(0, SyntheticVideos.readNumber(r.next()), "before the first frame: the first frame");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void segmentsOfARealFileGiveTheClipsOfOnePass(Codec c) throws Exception {
        SamplerSettings s = new SamplerSettings(5, 1, 4, TailPolicy.BACK_PAD, 12);
        List<String> whole = clips(file(c), s, 0, Double.POSITIVE_INFINITY);
        List<String> joined = new ArrayList<>();
        double[] bounds = {0, 0.4, 1.0, 1.01, 1.7, Double.POSITIVE_INFINITY};
        for (int i = 0; i + 1 < bounds.length; i++) {
            joined.addAll(clips(file(c), s, bounds[i], bounds[i + 1]));
        }
        assertEquals(whole, joined, c.toString());
        assertTrue(whole.size() >= 5, whole.toString());
    }

    private static List<String> clips(Path f, SamplerSettings s, double t0, double t1) throws Exception {
        List<String> out = new ArrayList<>();
        try (VideoReader r = VideoReader.open(f.toString())) {
            new ClipSampler(s).sample(r, t0, t1, (SampledClip c) -> out.add(c.index() + "@" + c.startSec() + "-"
                    + c.endSec() + ":" + c.frames().stream().map(SyntheticVideos::readNumber).toList()));
        }
        return out;
    }

    @Test
    void seekableInputDecodesLikeThePath() throws Exception {
        Path f = file(Codec.H264_MP4);
        try (VideoReader a = VideoReader.open(f.toString());
             VideoReader b = VideoReader.open(SeekableInput.of(f), "seekable:" + f, VideoReader.Options.DEFAULT)) {
            assertEquals(a.info(), b.info());
            a.seek(1.2);
            b.seek(1.2);
            DecodedFrame x;
            while ((x = a.next()) != null) {
                DecodedFrame y = b.next();
                assertEquals(x.ptsSec(), y.ptsSec());
                assertArrayEquals(x.rgb(), y.rgb());
            }
            assertNull(b.next());
        }
        try (VideoReader s = VideoReader.open(Files.newInputStream(file(Codec.VP9_WEBM)), "stream",
                VideoReader.Options.DEFAULT)) {
            int n = 0;
            while (s.next() != null) {
                n++;
            }
            assertEquals(N, n);
        }
    }

    // ---- broken inputs: each one VideoException with its stage, never a crash or a hang

    @Test
    void missingEmptyAndGarbageFilesFailToOpen() throws Exception {
        VideoException e = assertThrows(VideoException.class,
                () -> VideoReader.open(dir.resolve("nope.mp4").toString()));
        assertEquals("open", e.stage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.mp4"));
        e = assertThrows(VideoException.class, () -> VideoReader.open(empty.toString()));
        assertEquals("open", e.stage(), e.getMessage());

        byte[] junk = new byte[100_000];
        new Random(1).nextBytes(junk);
        Path garbage = Files.write(dir.resolve("garbage.avi"), junk);
        e = assertThrows(VideoException.class, () -> {
            try (VideoReader r = VideoReader.open(garbage.toString())) {
                while (r.next() != null) {
                    // drain
                }
            }
        });
        assertTrue(List.of("open", "probe").contains(e.stage()), e.toString());
    }

    @Test
    void aFileUriOpensTheFile() throws Exception {
        try (VideoReader r = VideoReader.open(file(Codec.MPEG4_AVI).toUri().toString())) {
            assertEquals("mpeg4", r.info().videoCodec());
        }
    }

    @Test
    void audioOnlyFilesHaveNoVideoStream() throws Exception {
        Path audio = dir.resolve("tone.wav");
        try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(audio.toFile(), 1)) {
            rec.setFormat("wav");
            rec.setAudioCodec(avcodec.AV_CODEC_ID_PCM_S16LE);
            rec.setSampleRate(8000);
            rec.start();
            short[] tone = new short[8000];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (short) (8000 * Math.sin(i * 0.2));
            }
            rec.recordSamples(8000, 1, java.nio.ShortBuffer.wrap(tone));
            rec.stop();
        }
        VideoException e = assertThrows(VideoException.class, () -> VideoReader.open(audio.toString()));
        assertEquals("probe", e.stage());
        assertTrue(e.getMessage().contains("no video stream"), e.getMessage());
        assertEquals("probe", assertThrows(VideoException.class, () -> VideoReader.probe(audio.toString())).stage());
    }

    @Test
    void truncatedFilesAreNotedOrRefused() throws Exception {
        // an AVI cut in half decodes to fewer frames than its header declares: noted, not silently accepted
        byte[] avi = Files.readAllBytes(file(Codec.MPEG4_AVI));
        Path half = Files.write(dir.resolve("half.avi"), java.util.Arrays.copyOf(avi, avi.length / 2));
        try (VideoReader r = VideoReader.open(half.toString())) {
            int n = 0;
            while (r.next() != null) {
                n++;
            }
            assertTrue(n < N, "decoded " + n);
            assertTrue(r.incomplete());
            assertTrue(r.warnings().stream().anyMatch(w -> w.contains("declared")), r.warnings().toString());
        }
        // a Matroska file cut short declares a duration it does not reach
        byte[] mkv = Files.readAllBytes(file(Codec.FFV1_MKV));
        Path cut = Files.write(dir.resolve("cut.mkv"), java.util.Arrays.copyOf(mkv, mkv.length / 3));
        try (VideoReader r = VideoReader.open(cut.toString())) {
            while (r.next() != null) {
                // drain
            }
            assertTrue(r.incomplete(), r.warnings().toString());
        }
        // an MP4 cut before its index cannot be opened at all
        byte[] mp4 = Files.readAllBytes(file(Codec.H264_MP4));
        Path cutMp4 = Files.write(dir.resolve("cut.mp4"), java.util.Arrays.copyOf(mp4, mp4.length / 2));
        VideoException e = assertThrows(VideoException.class, () -> {
            try (VideoReader r = VideoReader.open(cutMp4.toString())) {
                while (r.next() != null) {
                    // drain
                }
            }
        });
        assertEquals("open", e.stage(), e.toString());
    }

    /** Serves a real video's first bytes, then blocks until closed, like a stalled network read. */
    static final class StallingStream extends InputStream {
        private final ByteArrayInputStream head;
        private final CountDownLatch closed = new CountDownLatch(1);

        StallingStream(byte[] data, int serve) {
            head = new ByteArrayInputStream(data, 0, serve);
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = head.read(b, off, len);
            if (n > 0) {
                return n;
            }
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stream closed");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    @Test
    void aStalledDecodeTimesOutAndReleasesTheDecoder() throws Exception {
        byte[] data = Files.readAllBytes(file(Codec.FFV1_MKV));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            long t0 = System.nanoTime();
            VideoException e = assertThrows(VideoException.class, () -> {
                try (VideoReader r = VideoReader.open(new StallingStream(data, data.length / 2), "stalling",
                        VideoReader.Options.withTimeout(Duration.ofSeconds(1)))) {
                    while (r.next() != null) {
                        // drain until the stall
                    }
                }
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            assertEquals("decode", e.stage());
            assertTrue(e.getMessage().contains("timed out after 1s"), e.getMessage());
            assertTrue(secs < 10, "took " + secs + " s");
        });
    }

    @Test
    void abortFromAnotherThreadStopsTheDecode() throws Exception {
        try (VideoReader r = VideoReader.open(file(Codec.PNG_MKV).toString())) {
            assertNotNull(r.next());
            Thread t = new Thread(r::abort);
            t.start();
            t.join();
            VideoException e = assertThrows(VideoException.class, r::next);
            assertEquals("decode", e.stage());
        }
    }

    @Test
    void readersInParallelThreadsDecodeIndependently() throws Exception {
        // what several Spark tasks in one executor do: each thread its own reader, seeks included
        List<Codec> cs = codecs();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<List<Integer>>> futures = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                Codec c = cs.get(i % cs.size());
                futures.add(pool.submit(() -> {
                    List<Integer> numbers = new ArrayList<>();
                    try (VideoReader r = VideoReader.open(file(c).toString())) {
                        r.seek(1.0);
                        DecodedFrame f;
                        while ((f = r.next()) != null) {
                            numbers.add(SyntheticVideos.readNumber(f));
                        }
                    }
                    return numbers;
                }));
            }
            for (java.util.concurrent.Future<List<Integer>> f : futures) {
                List<Integer> got = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(30, got.size());
                assertEquals(30, got.get(0));
                assertEquals(59, got.get(29));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void probeReadsTheHeaderOnly() throws Exception {
        VideoInfo i = VideoReader.probe(file(Codec.VP9_WEBM).toString());
        assertEquals("vp9", i.videoCodec());
        assertEquals(2.0, i.durationSec(), 0.05);
        assertEquals(0, i.rotation());
        assertEquals(i, VideoReader.probe(SeekableInput.of(file(Codec.VP9_WEBM)), "seekable"));
    }

    @Test
    void optionsRejectNonPositiveTimeouts() {
        assertThrows(IllegalArgumentException.class, () -> VideoReader.Options.withTimeout(Duration.ZERO));
        assertNotNull(new Frame());
    }
}
