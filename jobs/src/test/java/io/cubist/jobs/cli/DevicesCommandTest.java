package io.cubist.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.device.Devices;
import io.cubist.kernels.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cubist devices} (text and JSON), and {@code backends}/{@code devices} in a JVM that sees no OpenCL. */
class DevicesCommandTest {

    private static String run(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run(args));
            return o.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(out);
        }
    }

    @Test
    void listsTheOpenClDevicesAndTheCpuEngine() {
        String text = run("devices");
        assertTrue(text.lines().anyMatch(l -> l.startsWith("cpu ")), text);
        if (Devices.openClUnavailableReason() == null) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith("opencl:0")), text);
            assertTrue(text.contains("opencl backend device: opencl:"), text);
        } else {
            assertTrue(text.contains("opencl: unavailable: "), text);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonListsEveryDeviceWithItsLimits() {
        Map<String, Object> j = Json.parseObject(run("devices", "--json").strip());
        List<Object> devices = (List<Object>) j.get("devices");
        assertEquals(Devices.all().size(), devices.size());
        Map<String, Object> last = (Map<String, Object>) devices.get(devices.size() - 1);
        assertEquals("cpu", last.get("id"));
        for (Object o : devices) {
            Map<String, Object> d = (Map<String, Object>) o;
            assertTrue(((Number) d.get("compute_units")).intValue() >= 1, d.toString());
            assertTrue(d.containsKey("max_work_group_size") && d.containsKey("local_mem_bytes"), d.toString());
        }
        assertEquals(Devices.openClUnavailableReason() == null, j.get("opencl_device") != null, j.toString());
    }

    @Test
    void withoutOpenClBothCommandsSayWhy(@TempDir Path empty) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String cmd : List.of("backends", "devices")) {
            ProcessBuilder pb = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), cmd);
            pb.environment().put("OCL_ICD_VENDORS", empty + File.separator);
            pb.redirectErrorStream(true);
            Process p = pb.start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            String expected = cmd.equals("backends") ? "unavailable: no OpenCL platform or device found"
                    : "opencl: unavailable: no OpenCL platform or device found";
            assertTrue(out.contains(expected), cmd + ":\n" + out);
            assertTrue(out.lines().noneMatch(l -> l.startsWith("opencl:0")), out);
        }
    }
}
