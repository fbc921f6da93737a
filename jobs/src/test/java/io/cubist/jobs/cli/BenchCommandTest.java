package io.cubist.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code cubist bench} flags and output form; what the numbers are is not asserted (benchmarks are not tests). */
class BenchCommandTest {
    private static final String LAYER = "{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 2,"
            + " \"out_channels\": 3, \"kernel_size\": 3, \"padding\": 1}}";

    @Test
    void inputShapes() {
        assertArrayEquals(new int[] {1, 3, 16, 112, 112}, BenchCommand.parseShape("1,3,16,112,112"));
        assertArrayEquals(new int[] {4, 64, 8}, BenchCommand.parseShape(" [4, 64, 8] "));
        for (String bad : List.of("", "1,,3", "1,0,3", "1x3x4", "a,b")) {
            UsageException e = assertThrows(UsageException.class, () -> BenchCommand.parseShape(bad));
            assertTrue(e.getMessage().contains("--input-shape must be positive ints"), e.getMessage());
        }
    }

    @Test
    void jsonIsOneObjectWithTheAgreedKeys() {
        Cli.Result r = Cli.cubist("bench", "--layer", LAYER, "--input-shape", "1,2,4,5,6", "--backend", "reference",
                "--threads", "1", "--warmup", "0", "--warmup-seconds", "0", "--runs", "3", "--json");
        assertEquals(0, r.code(), r.err());
        String line = r.out().strip();
        assertEquals(1, line.lines().count(), r.out());
        Map<String, Object> j = Json.parseObject(line);
        for (String k : List.of("layer", "input_shape", "output_shape", "backend", "threads", "ms_median", "ms_min",
                "gflops", "peak_gflops", "fraction_of_peak", "runs", "cpu_ms_per_run", "cpu_busy", "cpu",
                "cpu_blocking")) {
            assertTrue(j.containsKey(k), k + " missing from " + line);
        }
        assertEquals("Conv3d(2, 3, kernel_size=[3, 3, 3], padding=[1, 1, 1])", j.get("layer"));
        assertEquals(List.of(1L, 3L, 4L, 5L, 6L), j.get("output_shape"));
        assertEquals("reference", j.get("backend"));
        assertEquals(1L, j.get("threads"));
        assertEquals(3L, j.get("runs"));
        assertEquals(2L * 4 * 5 * 6 * 3 * 2 * 27, j.get("flops"));
        assertInstanceOf(Double.class, j.get("fraction_of_peak"));
    }

    @Test
    void modelModeReportsClipsPerSecond() {
        Cli.Result r = Cli.cubist("bench", "--model", "r3d_18", "--batch", "1", "--threads", "2", "--warmup", "0",
                "--warmup-seconds", "0",
                "--runs", "1", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip());
        assertEquals("r3d_18", j.get("model"));
        assertEquals(List.of(1L, 512L), j.get("output_shape"));
        double clipsPerSec = (Double) j.get("clips_per_sec");
        assertEquals(1000.0 / (Double) j.get("ms_median"), clipsPerSec, 1e-9 * clipsPerSec);
    }

    /**
     * --profile: every top-level part of the model in forward order, the residual blocks by their keys and the
     * classifier as head; the parts' FLOPs add up to the model's, whatever the times.
     */
    @Test
    @SuppressWarnings("unchecked")
    void profileTimesEveryPart() {
        Cli.Result r = Cli.cubist("bench", "--model", "x3d_xs", "--batch", "1", "--threads", "2", "--warmup", "0",
                "--warmup-seconds", "0", "--runs", "1", "--json", "--profile");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip());
        List<Map<String, Object>> parts = (List<Map<String, Object>>) j.get("profile");
        List<Object> names = parts.stream().map(p -> p.get("part")).toList();
        assertEquals("blocks.0.conv.conv_t", names.get(0));
        assertTrue(names.contains("blocks.1.res_blocks.0") && names.contains("blocks.4.res_blocks.6"), names.toString());
        assertEquals("head", names.get(names.size() - 1));
        assertEquals(j.get("flops"), parts.stream().mapToLong(p -> (Long) p.get("flops")).sum());
        assertTrue(parts.stream().allMatch(p -> (Double) p.get("ms") >= 0));
    }

    @Test
    void memoryBoundLayersHaveNoGflops() {
        Cli.Result r = Cli.cubist("bench", "--layer", "{\"module\": \"ReLU\"}", "--input-shape", "2,3", "--threads",
                "1",
                "--warmup", "0", "--warmup-seconds", "0", "--runs", "1", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip());
        assertNull(j.get("gflops"));
        assertNull(j.get("fraction_of_peak"));
        assertEquals("cpu", j.get("backend"));
    }

    @Test
    void usageErrorsAreOneLine() {
        Cli.Result r = Cli.cubist("bench", "--model", "resnet50", "--batch", "1");
        assertEquals(2, r.code());
        assertEquals("cubist bench: unknown model 'resnet50'; models: "
                + String.join(", ", io.cubist.pipeline.model.zoo.ModelZoo.names()), r.err().strip());
        r = Cli.cubist("bench", "--layer", "{\"module\": \"Conv9d\"}", "--input-shape", "1,2,3");
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("cubist bench: unknown module 'Conv9d'; modules: Conv1d,"), r.err());
        r = Cli.cubist("bench", "--layer", LAYER, "--input-shape", "1,5,4,4,4");
        assertEquals(2, r.code());
        assertEquals("cubist bench: Conv3d: expected 2 input channels, got shape [1, 5, 4, 4, 4]", r.err().strip());
        r = Cli.cubist("bench", "--layer", LAYER);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--input-shape is required"), r.err());
        r = Cli.cubist("bench", "--layer", LAYER, "--input-shape", "1,2,4,4,4", "--warmup", "-1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--warmup must be an integer >= 0"), r.err());
        r = Cli.cubist("bench", "--layer", LAYER, "--input-shape", "1,2,4,4,4", "--batch", "4");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch goes with --model"), r.err());
    }

    @Test
    void helpDocumentsEveryFlag() {
        Cli.Result r = Cli.cubist("bench", "--help");
        assertEquals(0, r.code());
        for (String f : new BenchCommand().valued()) {
            assertTrue(r.out().contains("--" + f), "--" + f + " undocumented");
        }
        assertTrue(r.out().contains("--json"));
        assertTrue(r.out().contains("example:"));
    }
}
