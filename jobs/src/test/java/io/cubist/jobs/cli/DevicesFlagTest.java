package io.cubist.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.device.Devices;
import io.cubist.kernels.io.Json;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --devices} and {@code --engine-option} as users give them: {@code embed} over two real OpenCL devices (pocl's
 * two, {@code POCL_DEVICES="pthread pthread"}) gives the cpu engine's features, printing the plan and what crossed;
 * {@code bench --json} reports the device counters; a wrong device or option is one line naming what is allowed.
 */
class DevicesFlagTest {
    private static final String RELU = "{\"module\": \"ReLU\", \"args\": {}}";

    @TempDir
    static Path dir;

    private static void assumeTwoDevices() {
        String why = Devices.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL here: " + why);
        assumeTrue(Devices.openCl().size() >= 2, "two OpenCL devices (POCL_DEVICES=\"pthread pthread\")");
    }

    /** Features of {@code model} at {@code widths} on random clips, embedded with {@code engine} flags. */
    private static Tensor embed(String model, String widths, String name, String... engine) {
        Path clips = dir.resolve("clips.safetensors");
        SafeTensors.write(clips, Map.of("clips", Tensor.random(11, 3, 3, 4, 32, 32)), Map.of());
        Path out = dir.resolve(name + ".safetensors");
        List<String> args = new java.util.ArrayList<>(List.of("embed", "--model", model, "--widths", widths,
                "--clips", clips.toString(), "--out", out.toString(), "--batch-size", "3"));
        args.addAll(List.of(engine));
        Cli.Result r = Cli.cubist(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        System.out.print(r.err());
        if (args.contains("--devices")) {
            assertTrue(r.err().contains("plan: "), r.err());
            assertTrue(r.err().contains("bytes to the device"), r.err());
        }
        return SafeTensors.read(out).get("features");
    }

    private static void same(Tensor want, Tensor got, String what) {
        double err = want.maxAbsDiff(got);
        System.out.printf("%s: max difference %.3g from the cpu engine%n", what, err);
        assertTrue(err <= 1e-5 * Math.max(1, want.maxAbs()), what + ": max difference " + err);
    }

    @Test
    void embedSplitsAGroupedCsnOverTwoDevices() {
        assumeTwoDevices();
        Tensor cpu = embed("ir_csn_50", "4,4,8,8", "csn-cpu", "--backend", "cpu", "--threads", "1");
        Tensor two = embed("ir_csn_50", "4,4,8,8", "csn-two", "--backend", "opencl", "--devices",
                "opencl:0,opencl:1");
        same(cpu, two, "ir_csn_50 groups split over opencl:0 + opencl:1");
        Tensor mixed = embed("ir_csn_50", "4,4,8,8", "csn-mixed", "--devices", "opencl:0,cpu");
        same(cpu, mixed, "ir_csn_50 groups split over opencl:0 + cpu");
    }

    @Test
    void embedSplitsTheBatchOfAModelWithoutGroups() {
        assumeTwoDevices();
        Tensor cpu = embed("r3d_18", "4,8,8,16", "r3d-cpu", "--backend", "cpu", "--threads", "1");
        Tensor two = embed("r3d_18", "4,8,8,16", "r3d-two", "--backend", "opencl", "--devices",
                "opencl:0,opencl:1");
        same(cpu, two, "r3d_18 batch split over opencl:0 + opencl:1");
    }

    @Test
    void benchJsonHasTheDeviceCounters() {
        String why = Devices.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL here: " + why);
        String layer = "{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 2, \"out_channels\": 3, \"kernel_size\": 3,"
                + " \"padding\": 1}}";
        Cli.Result r = Cli.cubist("bench", "--layer", layer, "--input-shape", "1,2,4,5,6", "--backend",
                "opencl", "--warmup", "0", "--warmup-seconds", "0", "--runs", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip());
        // a single layer outside a model: its input goes up and its output comes down each run
        assertEquals(4.0 * 2 * 4 * 5 * 6, j.get("bytes_to_device_per_clip"));
        assertEquals(4.0 * 3 * 4 * 5 * 6, j.get("bytes_from_device_per_clip"));
        assertEquals(3.0, j.get("launches_per_clip"), "upload, convolution, read-back");
        assertTrue((Long) j.get("weight_bytes") > 0);
    }

    @Test
    void aWrongDeviceOrOptionIsOneLineNamingWhatIsAllowed() {
        Cli.Result d = Cli.cubist("bench", "--layer", RELU, "--input-shape", "1,1,1,1,1", "--devices", "opencl:99",
                "--json");
        assertEquals(2, d.code(), d.err());
        assertTrue(d.err().contains("no device 'opencl:99'") && d.err().contains("cpu"), d.err());
        Cli.Result o = Cli.cubist("bench", "--layer", RELU, "--input-shape", "1,1,1,1,1", "--backend", "cpu",
                "--engine-option", "winograd=maybe", "--json");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("winograd must be one of true, f4, f2, false"), o.err());
        Cli.Result u = Cli.cubist("bench", "--layer", RELU, "--input-shape", "1,1,1,1,1", "--engine-option", "tiles=4",
                "--json");
        assertEquals(2, u.code(), u.err());
        assertTrue(u.err().contains("unknown engine option 'tiles'"), u.err());
        assertEquals(1, u.err().strip().lines().count(), u.err());
    }

    @Test
    void extractRefusesAWrongDeviceOrOptionBeforeAnyWork() {
        for (String[] bad : new String[][] {{"--devices", "opencl:99"}, {"--engine-option", "winograd=maybe"}}) {
            Path out = dir.resolve("refused-" + bad[0].substring(2));
            Cli.Result r = Cli.cubist("extract", "--input", "../samples/videos/vtest.mp4", "--output", out.toString(),
                    "--master", "local[1]", bad[0], bad[1]);
            assertEquals(2, r.code(), r.err());
            String line = r.err().lines().filter(l -> l.startsWith("cubist ")).findFirst().orElse("");
            assertTrue(line.contains(bad[0].equals("--devices") ? "no device 'opencl:99'"
                    : "winograd must be one of true, f4, f2, false"), r.err());
            assertTrue(!java.nio.file.Files.exists(out), "nothing written for a refused run");
        }
    }
}
