package io.cubist.kernels.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.incubator.vector.FloatVector;

/**
 * The processor the cpu engine runs on, as it finds it when it starts: the vector width the JVM gives
 * ({@link FloatVector#SPECIES_PREFERRED}), the vector registers (32 with AVX-512, 16 with AVX2 and NEON's 32 counted
 * as the JVM's x86 16 elsewhere), and the data caches of the first core (Linux sysfs). The engine sizes its cache
 * blocking from these ({@link #l2Bytes} for the Winograd products of a task, {@link #l1Bytes} for the GEMM's packed
 * panels) and {@code bench} reports them with the blocking they gave; where a size cannot be read, the value measured
 * best on the machines the engine was tuned on stands in, and {@link #source} says so.
 */
public record CpuInfo(String model, int vectorBits, int vectorRegisters, long l1Bytes, long l2Bytes, long l3Bytes,
                      String source) {

    /** What the cpu engine runs on (read once). */
    public static final CpuInfo HOST = read(Path.of("/sys/devices/system/cpu/cpu0/cache"), Path.of("/proc/cpuinfo"));

    /** Defaults where the system does not say: 48 KB L1d, 2 MB L2, 32 MB L3 (a Xeon's and EPYC's per-core view). */
    static final long DEFAULT_L1 = 48L << 10;
    static final long DEFAULT_L2 = 2L << 20;
    static final long DEFAULT_L3 = 32L << 20;

    static CpuInfo read(Path cacheDir, Path cpuinfo) {
        long l1 = 0;
        long l2 = 0;
        long l3 = 0;
        for (int i = 0; i < 8; i++) {
            Path d = cacheDir.resolve("index" + i);
            try {
                String type = Files.readString(d.resolve("type")).strip();
                int level = Integer.parseInt(Files.readString(d.resolve("level")).strip());
                long size = parseSize(Files.readString(d.resolve("size")).strip());
                if (type.equals("Instruction")) {
                    continue;
                }
                if (level == 1) {
                    l1 = size;
                } else if (level == 2) {
                    l2 = size;
                } else if (level == 3) {
                    l3 = size;
                }
            } catch (IOException | RuntimeException e) {
                // no such level, or not Linux: the defaults below
            }
        }
        String model = "unknown";
        boolean avx512 = false;
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name") && model.equals("unknown")) {
                    model = line.substring(line.indexOf(':') + 1).strip();
                } else if (line.startsWith("flags")) {
                    avx512 |= List.of(line.split("\\s+")).contains("avx512f");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String source = l1 > 0 && l2 > 0 ? "sysfs" : "defaults (caches not readable)";
        return new CpuInfo(model, bits, avx512 && bits >= 512 ? 32 : 16, l1 > 0 ? l1 : DEFAULT_L1,
                l2 > 0 ? l2 : DEFAULT_L2, l3 > 0 ? l3 : DEFAULT_L3, source);
    }

    /** {@code 48K}, {@code 2048K}, {@code 32M} as sysfs writes cache sizes. */
    static long parseSize(String s) {
        String t = s.toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : t.endsWith("G") ? 1L << 30 : 1;
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        return Long.parseLong(digits) * unit;
    }

    /** The cache blocking the engine derives from this processor, by name, for reports. */
    public Map<String, Object> blocking() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gemm_micro_kernel", GemmKernel.MR + "x" + GemmKernel.NR);
        m.put("gemm_panel_rows", ImplicitGemm.panelRows(this));
        m.put("winograd_products_floats_per_task", CpuWinograd.chunkFloats(this));
        return m;
    }

    /** One line for listings: the processor, its vectors and caches. */
    public String describe() {
        return String.format(Locale.ROOT, "%s: %d-bit vectors, %d vector registers, L1d %d KB, L2 %d KB, L3 %d MB (%s)",
                model, vectorBits, vectorRegisters, l1Bytes >> 10, l2Bytes >> 10, l3Bytes >> 20, source);
    }
}
