package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.SyntheticVideos;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Video to features end to end, on a reduced r3d_18 and small clips. */
class FeatureExtractorTest {

    // r3d_18 at widths 4..16, clips of 4 frames at 10 fps, resized to 20x26 and cropped to 16x16
    static final ModelPreset PRESET = new ModelPreset("r3d_18", "test", 20, 26, 16, 16, "bilinear",
            new double[] {0.43216, 0.394666, 0.37645}, new double[] {0.22803, 0.22145, 0.216989}, 4, 10, 16, 400);

    @TempDir
    static Path dir;
    static Path video;
    static PreparedModel model;

    @BeforeAll
    static void setUp() throws Exception {
        video = dir.resolve("v.mkv");
        SyntheticVideos.write(video, SyntheticVideos.Codec.MPEG4_AVI, 48, 40, 25, 80); // 3.2 s
        model = ModelZoo.create("r3d_18", new int[] {4, 8, 8, 16}, null).prepare(Backends.select(null));
    }

    /** The same clips built by hand: reader, sampler, transform, one forward pass. */
    static List<float[]> byHand(SamplerSettings s) throws Exception {
        ClipTransform tf = ClipTransform.of(PRESET);
        List<float[]> clips = new ArrayList<>();
        try (VideoReader r = VideoReader.open(video.toString())) {
            new ClipSampler(s).sample(r, c -> clips.add(tf.apply(c.frames())));
        }
        int per = clips.get(0).length;
        float[] all = new float[per * clips.size()];
        for (int i = 0; i < clips.size(); i++) {
            System.arraycopy(clips.get(i), 0, all, i * per, per);
        }
        Tensor f = model.forward(new Tensor(all, clips.size(), 3, 4, 16, 16)).features();
        List<float[]> out = new ArrayList<>();
        int d = f.numel() / clips.size();
        for (int i = 0; i < clips.size(); i++) {
            out.add(java.util.Arrays.copyOfRange(f.data(), i * d, (i + 1) * d));
        }
        return out;
    }

    @Test
    void featuresEqualTheModelOnTheSameClips() throws Exception {
        SamplerSettings s = SamplerSettings.of(PRESET);
        List<float[]> want = byHand(s);
        try (RootAllocator root = new RootAllocator()) {
            for (ClipLayout.Storage storage : ClipLayout.Storage.values()) {
                List<ClipFeature> got = new ArrayList<>();
                FeatureExtractor fx = new FeatureExtractor(model, PRESET,
                        new FeatureExtractor.Settings(s, 3, storage, null), root);
                ExtractResult r = fx.extract(video.toString(), got::add);
                assertEquals(8, got.size(), "3.2 s at 10 fps in clips of 4");
                assertEquals(8, r.clips());
                assertEquals(80, r.framesDecoded());
                for (int k = 0; k < got.size(); k++) {
                    ClipFeature c = got.get(k);
                    assertEquals(k, c.clip());
                    assertEquals(video.toString(), c.video());
                    assertEquals(k * 0.4, c.startSec(), 1e-9);
                    assertEquals(k * 0.4 + 0.4, c.endSec(), 1e-9);
                    assertEquals(16, c.feature().length);
                    float[] w = want.get(k);
                    for (int j = 0; j < w.length; j++) {
                        assertEquals(w[j], c.feature()[j], 1e-5 * Math.max(1, Math.abs(w[j])), storage + " clip " + k);
                    }
                }
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void threeCropViewsAreMarkedAndTheCenterOneIsTheSingleView() throws Exception {
        try (RootAllocator root = new RootAllocator()) {
            List<ClipFeature> single = new ArrayList<>();
            new FeatureExtractor(model, PRESET, FeatureExtractor.Settings.of(PRESET, 4), root)
                    .extract(video.toString(), single::add);
            List<ClipFeature> three = new ArrayList<>();
            ExtractResult r = new FeatureExtractor(model, PRESET, new FeatureExtractor.Settings(
                    SamplerSettings.of(PRESET), 4, ClipLayout.Storage.UINT8, null, 3), root)
                    .extract(video.toString(), three::add);
            assertEquals(3 * single.size(), three.size());
            assertEquals(three.size(), r.clips());
            for (int i = 0; i < three.size(); i++) {
                ClipFeature f = three.get(i);
                ClipFeature s = single.get(i / 3);
                assertEquals(i % 3, f.view());
                assertEquals(s.clip(), f.clip());
                assertEquals(s.startSec(), f.startSec());
                assertEquals(0, s.view());
                if (f.view() == 1) {
                    assertArrayEquals(s.feature(), f.feature(), 1e-5f, "the center view is the single view");
                }
            }
            assertTrue(!java.util.Arrays.equals(three.get(0).feature(), three.get(1).feature()),
                    "the start crop sees other pixels than the center crop");
            assertEquals(0, root.getAllocatedMemory());
        }
        assertThrows(IllegalArgumentException.class, () -> new FeatureExtractor.Settings(SamplerSettings.of(PRESET),
                4, ClipLayout.Storage.UINT8, null, 2));
    }

    @Test
    void segmentsAndSeekableInputGiveTheSameRows() throws Exception {
        FeatureExtractor.Settings s = new FeatureExtractor.Settings(SamplerSettings.of(PRESET)
                .withTail(TailPolicy.PAD_LAST), 2, ClipLayout.Storage.UINT8, java.time.Duration.ofSeconds(60));
        try (RootAllocator root = new RootAllocator()) {
            FeatureExtractor fx = new FeatureExtractor(model, PRESET, s, root);
            List<ClipFeature> whole = new ArrayList<>();
            fx.extract(video.toString(), whole::add);
            List<ClipFeature> parts = new ArrayList<>();
            fx.extract(video.toString(), 0, 1.1, parts::add);
            fx.extract(video.toString(), SeekableInput.of(video), 1.1, 2.0, parts::add);
            fx.extract(video.toString(), 2.0, Double.POSITIVE_INFINITY, parts::add);
            assertEquals(whole.size(), parts.size());
            for (int i = 0; i < whole.size(); i++) {
                assertEquals(whole.get(i).clip(), parts.get(i).clip());
                assertEquals(whole.get(i).startSec(), parts.get(i).startSec());
                assertArrayEquals(whole.get(i).feature(), parts.get(i).feature(), 1e-5f);
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void brokenVideosFailWithTheirStageAndLeakNothing() throws Exception {
        Path junk = Files.write(dir.resolve("junk.mp4"), new byte[] {1, 2, 3});
        try (RootAllocator root = new RootAllocator()) {
            FeatureExtractor fx = new FeatureExtractor(model, PRESET, FeatureExtractor.Settings.of(PRESET, 2), root);
            VideoException e = assertThrows(VideoException.class, () -> fx.extract(junk.toString(), c -> { }));
            assertEquals("open", e.stage());
            assertTrue(Double.isFinite(FeatureExtractor.probe(video.toString()).durationSec()));
            // only the header of a Matroska file: it opens, but no frame decodes
            Path mkv = dir.resolve("whole.mkv");
            io.cubist.pipeline.video.SyntheticVideos.write(mkv, io.cubist.pipeline.video.SyntheticVideos.Codec.FFV1_MKV,
                    48, 40, 25, 10);
            byte[] bytes = Files.readAllBytes(mkv);
            int header = bytes.length;
            Path cut = null; // the shortest prefix that opens
            for (int n = 200; n < bytes.length; n += 50) {
                Path p = Files.write(dir.resolve("header-only.mkv"), java.util.Arrays.copyOf(bytes, n));
                try {
                    VideoReader.open(p.toString()).close();
                    cut = p;
                    header = n;
                    break;
                } catch (VideoException notYet) {
                    // too short to open; try a longer prefix
                }
            }
            assertTrue(cut != null && header < bytes.length / 4, "a prefix of " + header + " bytes opens");
            Path headerOnly = cut;
            e = assertThrows(VideoException.class, () -> fx.extract(headerOnly.toString(), c -> { }));
            assertEquals("decode", e.stage(), e.getMessage());
            assertTrue(e.getMessage().contains("no frame could be decoded"), e.getMessage());
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void nonFiniteFeaturesAreAModelErrorNotARow() throws Exception {
        // a clip normalized with a zero... std cannot be zero; a NaN mean gives NaN inputs and so NaN features
        ModelPreset nan = new ModelPreset("r3d_18", "test", 20, 26, 16, 16, "bilinear",
                new double[] {Double.NaN, 0, 0}, new double[] {1, 1, 1}, 4, 10, 16, 400);
        try (RootAllocator root = new RootAllocator()) {
            FeatureExtractor fx = new FeatureExtractor(model, nan, FeatureExtractor.Settings.of(nan, 4), root);
            List<ClipFeature> rows = new ArrayList<>();
            VideoException e = assertThrows(VideoException.class, () -> fx.extract(video.toString(), rows::add));
            assertEquals("model", e.stage());
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertEquals(List.of(), rows);
            assertEquals(0, root.getAllocatedMemory());
        }
    }
}
