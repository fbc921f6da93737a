package io.cubist.kernels.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With OpenCL hidden ({@code OCL_ICD_VENDORS} pointing at an empty directory) a child JVM reports the opencl
 * backend unavailable with the reason, selects cpu by default, and refuses {@code opencl} by name.
 */
class OpenClAbsentTest {

    /** The child's main: prints the backend table, the default, and what asking for opencl gives. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println(io.cubist.kernels.backend.Backends.describeAll());
            System.out.println("default=" + io.cubist.kernels.backend.Backends.select(null).name());
            try {
                io.cubist.kernels.backend.Backends.select("opencl");
                System.out.println("opencl=selected");
            } catch (IllegalStateException e) {
                System.out.println("opencl=refused: " + e.getMessage());
            }
        }
    }

    @Test
    void hiddenOpenClIsReportedNeverSilent(@TempDir Path empty) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Probe.class.getName());
        pb.environment().put("OCL_ICD_VENDORS", empty.toString() + File.separator);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> l.startsWith("opencl")).toList();
        assertTrue(lines.stream().anyMatch(
                l -> l.matches("opencl\\s+rank\\s+\\d+\\s+unavailable: no OpenCL platform.*")), out);
        assertTrue(out.contains("default=cpu"), out);
        assertTrue(out.contains("opencl=refused: backend 'opencl' was asked for but cannot run here: no OpenCL"), out);
        assertTrue(out.contains("OCL_ICD_VENDORS=" + empty), out);
    }
}
