package io.cubist.pipeline.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.clip.ClipSampler;
import io.cubist.pipeline.clip.SamplerSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bundled real clips (samples/videos) decode completely, with the frame counts {@code ffprobe -count_frames}
 * reports (tree.avi codes 68 pictures; its AVI index counts 444 frames, most of them empty repeats).
 */
class SampleVideosTest {

    static final Path SAMPLES = Path.of("..", "samples", "videos");

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "tree.avi,       cinepak, 320, 240,  68, 29.6",
        "vtest.mp4,      h264,    768, 576, 300, 30.0",
        "vtest-vp9.webm, vp9,     320, 240, 120, 12.0"})
    void decodesEveryFrame(String name, String codec, int w, int h, int frames, double seconds) throws Exception {
        Path f = SAMPLES.resolve(name);
        try (VideoReader r = VideoReader.open(f.toString())) {
            VideoInfo i = r.info();
            assertEquals(codec, i.videoCodec());
            assertEquals(w, i.width());
            assertEquals(h, i.height());
            assertEquals(seconds, i.durationSec(), 0.1);
            int n = 0;
            double last = -1;
            DecodedFrame d;
            while ((d = r.next()) != null) {
                assertTrue(d.ptsSec() > last);
                last = d.ptsSec();
                n++;
            }
            assertEquals(frames, n);
            assertFalse(r.incomplete(), r.warnings().toString());
        }
        // clips of 16 at 15 fps: as many as fit in the video's length
        List<Integer> clips = new ArrayList<>();
        try (VideoReader r = VideoReader.open(f.toString())) {
            new ClipSampler(SamplerSettings.of(16, 1, 15)).sample(r, c -> clips.add(c.index()));
        }
        assertEquals((int) Math.floor(seconds * 15 / 16 + 1e-6), clips.size(), name);
    }
}
