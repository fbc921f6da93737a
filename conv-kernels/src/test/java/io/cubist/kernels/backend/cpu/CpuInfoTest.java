package io.cubist.kernels.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The processor as the cpu engine reads it (sysfs caches, cpuinfo flags) and the blocking it derives. */
class CpuInfoTest {
    @TempDir
    Path dir;

    private void cache(int index, int level, String type, String size) throws Exception {
        Path d = dir.resolve("cache").resolve("index" + index);
        Files.createDirectories(d);
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }

    @Test
    void cachesAndRegistersAreReadAndTheBlockingFollows() throws Exception {
        // an EPYC (Zen 3) core: 32 KB L1d, 512 KB L2, 32 MB L3, AVX2 only
        cache(0, 1, "Data", "32K");
        cache(1, 1, "Instruction", "32K");
        cache(2, 2, "Unified", "512K");
        cache(3, 3, "Unified", "32768K");
        Files.writeString(dir.resolve("cpuinfo"), "model name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 avx avx2 fma\n");
        CpuInfo epyc = CpuInfo.read(dir.resolve("cache"), dir.resolve("cpuinfo"));
        assertEquals("AMD EPYC 7B13", epyc.model());
        assertEquals(32 << 10, epyc.l1Bytes());
        assertEquals(512 << 10, epyc.l2Bytes());
        assertEquals(32L << 20, epyc.l3Bytes());
        assertEquals(16, epyc.vectorRegisters(), "no avx512f: 16 vector registers");
        assertEquals("sysfs", epyc.source());
        assertEquals(512L << 10 >> 2, CpuWinograd.chunkFloats(epyc), "a task's products fill the L2");
        // a tile's packed micro-panel of B takes at most half the 32 KB L1d
        int rows = ImplicitGemm.panelRows(epyc);
        assertTrue(rows % 8 == 0 && rows >= 16 && rows <= ImplicitGemm.K_CHUNK, rows + " panel rows");
        assertTrue(rows == 16 || 4L * rows * GemmKernel.NR <= (16 << 10), rows + " rows of " + GemmKernel.NR);
        System.out.println(epyc.describe() + " -> " + epyc.blocking());
    }

    @Test
    void whatCannotBeReadTakesTheTunedDefaults() {
        CpuInfo none = CpuInfo.read(dir.resolve("missing"), dir.resolve("missing-cpuinfo"));
        assertEquals(CpuInfo.DEFAULT_L1, none.l1Bytes());
        assertEquals(CpuInfo.DEFAULT_L2, none.l2Bytes());
        assertEquals(16, none.vectorRegisters());
        assertTrue(none.source().startsWith("defaults"), none.source());
        assertEquals(1L << 19, CpuWinograd.chunkFloats(none), "2 MB of products, as tuned");
    }

    @Test
    void sizesAsSysfsWritesThem() {
        assertEquals(48 << 10, CpuInfo.parseSize("48K"));
        assertEquals(32L << 20, CpuInfo.parseSize("32M"));
        assertEquals(1024, CpuInfo.parseSize("1024"));
    }

    @Test
    void theMicroKernelHoldsItsAccumulatorsInTheRegisters() {
        // rows x vectors accumulators + a load per vector + 1 broadcast fit the registers the processor has
        int regs = CpuInfo.HOST.vectorRegisters();
        assertTrue(GemmKernel.MR * GemmKernel.NV + GemmKernel.NV + 1 <= regs,
                GemmKernel.MR + " x " + GemmKernel.NV + " with " + regs + " registers");
    }
}
