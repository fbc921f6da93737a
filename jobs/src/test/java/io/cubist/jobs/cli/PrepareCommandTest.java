package io.cubist.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.pipeline.clip.ClipBatch;
import io.cubist.pipeline.clip.ClipDatasetReader;
import io.cubist.pipeline.clip.ClipLayout;
import io.cubist.pipeline.clip.ClipSampler;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.VideoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cubist prepare} on a bundled sample video and a broken file. */
class PrepareCommandTest {

    static final Path SAMPLE = Path.of("..", "samples", "videos", "vtest-vp9.webm");
    static final Path PRESET = Path.of("..", "conf", "models", "r2plus1d_18.json");

    @TempDir
    Path dir;

    @Test
    void writesTheClipsOfTheVideosAndListsTheBrokenOnes() throws Exception {
        Path broken = Files.write(dir.resolve("broken.mp4"), new byte[] {0, 0, 0, 1, 2, 3});
        Path out = dir.resolve("clips");
        Cli.Result r = Cli.cubist("prepare", "--input", SAMPLE.toString(), "--input", broken.toString(), "--output",
                out.toString(), "--preset", PRESET.toString(), "--batch-size", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("11 clips"), r.err());
        List<String> errors = Files.readAllLines(out.resolve("_errors.csv"));
        assertEquals("video,stage,message", errors.get(0));
        assertTrue(errors.get(1).startsWith(broken + ",open,"), errors.toString());

        // the rows are the clips the pipeline makes from the same video, normalized as the preset says
        ModelPreset preset = ModelPreset.read(PRESET);
        ClipTransform tf = ClipTransform.of(preset);
        List<float[]> want = new ArrayList<>();
        try (VideoReader v = VideoReader.open(SAMPLE.toString())) {
            new ClipSampler(SamplerSettings.of(preset)).sample(v, c -> want.add(tf.apply(c.frames())));
        }
        try (RootAllocator root = new RootAllocator()) {
            try (ClipDatasetReader reader = ClipDatasetReader.open(out, root)) {
                assertEquals("r2plus1d_18", reader.info().preset());
                assertEquals(ClipLayout.Storage.UINT8, reader.info().layout().storage());
                assertArrayEquals(new int[] {3, 16, 112, 112}, reader.info().layout().clipShape());
                int k = 0;
                ClipBatch b;
                while ((b = reader.next(root)) != null) {
                    try (ClipBatch batch = b) {
                        assertTrue(batch.size() <= 4);
                        for (int i = 0; i < batch.size(); i++, k++) {
                            assertEquals(SAMPLE.toString(), batch.video(i));
                            assertEquals(k, batch.clipIndex(i));
                            assertEquals(k * 16 / 15.0, batch.startSec(i), 1e-9);
                            assertArrayEquals(want.get(k), batch.clip(i).data());
                        }
                    }
                }
                assertEquals(11, k);
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void refusesANonEmptyOutputAndMissingInputs() throws Exception {
        Files.writeString(dir.resolve("x.txt"), "x");
        Cli.Result r = Cli.cubist("prepare", "--input", SAMPLE.toString(), "--output", dir.toString(), "--preset",
                PRESET.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not empty"), r.err());
        r = Cli.cubist("prepare", "--input", dir.resolve("none.mp4").toString(), "--output",
                dir.resolve("o").toString(), "--preset", PRESET.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        r = Cli.cubist("prepare", "--input", SAMPLE.toString(), "--output", dir.resolve("o2").toString(), "--preset",
                PRESET.toString(), "--tail", "wrap");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--tail"), r.err());
    }

    @Test
    void theOldSpellingsOfTheSharedFlagsStillWork() throws Exception {
        // --clip-len and --timeout are --clip-length and --decode-timeout, the spellings extract uses
        Path out = dir.resolve("aliases");
        Cli.Result r = Cli.cubist("prepare", "--input", SAMPLE.toString(), "--output", out.toString(), "--preset",
                PRESET.toString(), "--clip-len", "32", "--timeout", "60");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("5 clips") && r.err().contains("[3, 32, 112, 112]"), r.err());
        Cli.Result bad = Cli.cubist("prepare", "--input", SAMPLE.toString(), "--output", dir.resolve("a2").toString(),
                "--decode-timeout", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--decode-timeout must be an integer >= 1, got '0'"), bad.err());
        Flags f = new Flags("extract", new String[] {"--input", "v", "--output", "o", "--clip-len", "8",
                "--timeout=30"}, new ExtractCommand().valued(), new ExtractCommand().switches());
        ExtractOptions o = ExtractCommand.options(f);
        assertEquals(8, o.clipLength());
        assertEquals(30.0, o.decodeTimeout());
    }
}
