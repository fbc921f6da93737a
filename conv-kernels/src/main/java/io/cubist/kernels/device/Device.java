package io.cubist.kernels.device;

import java.util.Objects;

/**
 * One processor an executor can run kernels on: an OpenCL device, or the JVM's own {@code cpu} engine.
 *
 * @param index            position among the OpenCL devices in platform order (what {@code -Dcubist.opencl.device=N}
 *                         means); -1 for the cpu engine
 * @param engine           the backend that drives it: {@code opencl} or {@code cpu}
 * @param name             the driver's device name
 * @param platform         the OpenCL platform (driver) name; {@code JVM} for the cpu engine
 * @param computeUnits     OpenCL compute units, or available processors for the cpu engine
 * @param globalMemBytes   device memory (the JVM's max heap for the cpu engine)
 * @param localMemBytes    OpenCL local (work-group shared) memory; 0 for the cpu engine
 * @param maxWorkGroupSize the largest OpenCL work-group; 0 for the cpu engine
 */
public record Device(int index, String engine, String name, String vendor, String platform, DeviceType type,
                     int computeUnits, long globalMemBytes, long localMemBytes, int maxWorkGroupSize) {

    public static final String OPENCL = "opencl";
    public static final String CPU_ENGINE = "cpu";

    public Device {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        vendor = vendor == null ? "" : vendor;
        platform = platform == null ? "" : platform;
    }

    /** {@code opencl:N} or {@code cpu}: how listings and logs name it. */
    public String id() {
        return OPENCL.equals(engine) ? OPENCL + ":" + index : engine;
    }

    public boolean isOpenCl() {
        return OPENCL.equals(engine);
    }

    /** One line for listings and manifests. */
    public String describe() {
        if (!isOpenCl()) {
            return String.format("%-9s %-11s %s (%s), %d processors, %s heap", id(), type.label(), name, platform,
                    computeUnits, mib(globalMemBytes));
        }
        return String.format("%-9s %-11s %s (%s), %d compute units, %s global, %s local, work-group <= %d",
                id(), type.label(), name, platform, computeUnits, mib(globalMemBytes), mib(localMemBytes),
                maxWorkGroupSize);
    }

    private static String mib(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30))
                : String.format("%d KiB", bytes >> 10);
    }
}
