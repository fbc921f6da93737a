package io.cubist.kernels.device;

import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The devices this JVM can see: every OpenCL device of every platform (through Aparapi's JNI binding, found once per
 * JVM) and the {@code cpu} engine. {@link #choose} picks an OpenCL device by a selector: a type ({@code gpu},
 * {@code cpu}, {@code accelerator}), an index among the OpenCL devices, or a substring of the device name; none means
 * the first GPU, else the first accelerator, else the first CPU device.
 */
public final class Devices {
    /**
     * {@code -Dcubist.opencl.verbose=true} keeps Aparapi's own log at its default level (why a kernel could not be
     * compiled, fallbacks); otherwise only its severe messages show: Cubist checks where kernels ran itself.
     */
    public static final boolean VERBOSE = Boolean.getBoolean("cubist.opencl.verbose");

    static {
        // read by Aparapi's Config when its first class loads, which happens after this
        if (!VERBOSE && System.getProperty("com.aparapi.logLevel") == null) {
            System.setProperty("com.aparapi.logLevel", "SEVERE");
        }
    }

    private static volatile Discovery discovery;

    private Devices() {
    }

    /** What OpenCL discovery found: the devices with their Aparapi handles, or why there are none. */
    private record Discovery(List<Device> devices, Map<Integer, OpenCLDevice> handles, String unavailableReason) {
    }

    private static Discovery discover() {
        Discovery d = discovery;
        if (d == null) {
            synchronized (Devices.class) {
                d = discovery;
                if (d == null) {
                    discovery = d = probe();
                }
            }
        }
        return d;
    }

    private static Discovery probe() {
        List<OpenCLPlatform> platforms;
        try {
            platforms = OpenCLPlatform.getUncachedOpenCLPlatforms();
        } catch (Throwable t) { // UnsatisfiedLinkError when libOpenCL.so or Aparapi's native library cannot load
            return new Discovery(List.of(), Map.of(), "the OpenCL runtime could not be loaded (" + t
                    + "); install an OpenCL ICD loader and a driver (Debian: ocl-icd-libopencl1 and, for CPUs,"
                    + " pocl-opencl-icd)");
        }
        List<Device> found = new ArrayList<>();
        Map<Integer, OpenCLDevice> handles = new LinkedHashMap<>();
        for (OpenCLPlatform p : platforms) {
            for (OpenCLDevice dev : p.getOpenCLDevices()) {
                int i = found.size();
                found.add(new Device(i, Device.OPENCL, dev.getName(), p.getVendor(), p.getName(), typeOf(dev),
                        dev.getMaxComputeUnits(), dev.getGlobalMemSize(), dev.getLocalMemSize(),
                        dev.getMaxWorkGroupSize()));
                handles.put(i, dev);
            }
        }
        if (found.isEmpty()) {
            String vendors = System.getenv("OCL_ICD_VENDORS");
            return new Discovery(List.of(), Map.of(), "no OpenCL platform or device found (the ICD loader read "
                    + (vendors != null ? "OCL_ICD_VENDORS=" + vendors : "/etc/OpenCL/vendors")
                    + " and found no usable driver); install a driver such as Debian's pocl-opencl-icd (CPU) or a"
                    + " GPU vendor's, and check with clinfo");
        }
        return new Discovery(List.copyOf(found), Collections.unmodifiableMap(handles), null);
    }

    private static DeviceType typeOf(OpenCLDevice d) {
        return switch (d.getType()) {
            case GPU -> DeviceType.GPU;
            case CPU -> DeviceType.CPU;
            case ACC -> DeviceType.ACCELERATOR;
            default -> DeviceType.OTHER;
        };
    }

    /** The OpenCL devices in platform order; empty when there is no OpenCL (see {@link #openClUnavailableReason}). */
    public static List<Device> openCl() {
        return discover().devices();
    }

    /** Null when at least one OpenCL device was found, else why not. */
    public static String openClUnavailableReason() {
        return discover().unavailableReason();
    }

    /** The JVM's own Vector API engine as a device. */
    public static Device cpuEngine() {
        Runtime rt = Runtime.getRuntime();
        return new Device(-1, Device.CPU_ENGINE, "Vector API engine (" + System.getProperty("os.arch") + ")",
                System.getProperty("java.vm.vendor"), "JVM " + System.getProperty("java.version"), DeviceType.CPU,
                rt.availableProcessors(), rt.maxMemory(), 0, 0);
    }

    /** Every device: the OpenCL ones, then the cpu engine. */
    public static List<Device> all() {
        List<Device> a = new ArrayList<>(openCl());
        a.add(cpuEngine());
        return List.copyOf(a);
    }

    /**
     * The device of {@code devices} that {@code selector} names: {@code gpu}, {@code cpu} or {@code accelerator}
     * (the first of that type), a non-negative index, or a case-insensitive substring of the name. Null or blank
     * picks the first GPU, else the first accelerator, else the first device. A selector that matches nothing is an
     * error listing the devices.
     */
    public static Device choose(List<Device> devices, String selector) {
        if (devices.isEmpty()) {
            throw new IllegalStateException("no OpenCL device to choose from"
                    + (openClUnavailableReason() != null ? ": " + openClUnavailableReason() : ""));
        }
        String s = selector == null ? "" : selector.strip();
        if (s.isEmpty()) {
            for (DeviceType t : new DeviceType[] {DeviceType.GPU, DeviceType.ACCELERATOR}) {
                for (Device d : devices) {
                    if (d.type() == t) {
                        return d;
                    }
                }
            }
            return devices.get(0);
        }
        String lower = s.toLowerCase(Locale.ROOT);
        for (DeviceType t : DeviceType.values()) {
            if (t.label().equals(lower)) {
                for (Device d : devices) {
                    if (d.type() == t) {
                        return d;
                    }
                }
                throw new IllegalArgumentException("OpenCL device '" + s + "': no OpenCL device of type " + t.label()
                        + "; found " + list(devices));
            }
        }
        if (lower.chars().allMatch(Character::isDigit)) {
            int i = Integer.parseInt(lower);
            if (i >= devices.size()) {
                throw new IllegalArgumentException("OpenCL device '" + s + "': there are " + devices.size()
                        + " OpenCL devices (indices 0.." + (devices.size() - 1) + "): " + list(devices));
            }
            return devices.get(i);
        }
        for (Device d : devices) {
            if (d.name().toLowerCase(Locale.ROOT).contains(lower)) {
                return d;
            }
        }
        throw new IllegalArgumentException("OpenCL device '" + s + "' matches no OpenCL device type (gpu, cpu,"
                + " accelerator), index or name; found " + list(devices));
    }

    /**
     * The OpenCL devices behind the GPU addresses Spark assigned to a task
     * ({@code TaskContext.resources().get("gpu").addresses()}): with {@code conf/gpu-discovery.sh} an address is
     * the ordinal of a GPU among the OpenCL GPU devices of {@code devices}, in platform order. An address that is
     * not such an ordinal is an error naming it and the GPUs there are.
     */
    public static List<Device> forGpuAddresses(List<String> addresses, List<Device> devices) {
        List<Device> gpus = devices.stream().filter(d -> d.isOpenCl() && d.type() == DeviceType.GPU).toList();
        List<Device> chosen = new ArrayList<>();
        for (String a : addresses) {
            String t = a == null ? "" : a.strip();
            int i;
            try {
                i = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("GPU address '" + a + "' is not an ordinal; the discovery script"
                        + " (conf/gpu-discovery.sh) prints GPU ordinals 0..N-1");
            }
            if (i < 0 || i >= gpus.size()) {
                throw new IllegalArgumentException("GPU address " + t + " has no OpenCL GPU: this executor sees "
                        + gpus.size() + " (" + list(gpus) + ")");
            }
            Device d = gpus.get(i);
            if (!chosen.contains(d)) {
                chosen.add(d);
            }
        }
        return List.copyOf(chosen);
    }

    /** Aparapi's handle of an OpenCL device from {@link #openCl()}; for the opencl backend only. */
    public static OpenCLDevice aparapiHandle(Device d) {
        OpenCLDevice h = d.isOpenCl() ? discover().handles().get(d.index()) : null;
        if (h == null) {
            throw new IllegalArgumentException(d.id() + " is not an OpenCL device of this JVM");
        }
        return h;
    }

    private static String list(List<Device> devices) {
        if (devices.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (Device d : devices) {
            b.append(b.length() == 0 ? "" : "; ").append(d.index()).append(": ").append(d.name()).append(" (")
                    .append(d.type().label()).append(')');
        }
        return b.toString();
    }
}
