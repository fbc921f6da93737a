package io.cubist.kernels.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that opens an engine, in one typed value ({@link Backends#open}): the backend by name (null: the best
 * that can run here), the CPU thread budget (0: every processor), the devices ({@code opencl:0,opencl:1}, {@code cpu},
 * {@code all}; empty: the one best device) and engine options ({@code winograd=f2}, {@code pack=false}) which the
 * chosen engine validates, refusing a wrong one in one line that names the allowed values. The command line, the
 * notebook API, the Spark Transformer and the job all build one of these; nothing below reads a setting anywhere
 * else.
 *
 * <p>{@link #fromSystemProperties()} is the one place the {@code -Dcubist.*} defaults are read, for tests and
 * embedded use.
 */
public record EngineRequest(String backend, int threads, List<String> devices, Map<String, String> options) {
    /** System property: the backend's name. */
    public static final String BACKEND_PROPERTY = "cubist.backend";
    /** System property: the CPU thread budget. */
    public static final String THREADS_PROPERTY = "cubist.threads";
    /** System property: the OpenCL device (a type, an index or part of a name), as {@code --devices} takes it. */
    public static final String DEVICE_PROPERTY = "cubist.opencl.device";
    /** System property prefix of engine options: {@code -Dcubist.cpu.winograd=f2} is option {@code winograd}. */
    public static final String OPTION_PREFIX = "cubist.cpu.";

    public EngineRequest {
        backend = backend == null || backend.isBlank() ? null : backend.strip();
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 1 (or 0 for every processor), got " + threads);
        }
        devices = devices == null ? List.of() : List.copyOf(devices);
        options = options == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(options));
    }

    /** The best engine that can run here, every processor, one device, default options. */
    public static EngineRequest best() {
        return new EngineRequest(null, 0, List.of(), Map.of());
    }

    /** The engine named {@code backend} (null or blank: the best) with defaults otherwise. */
    public static EngineRequest of(String backend) {
        return new EngineRequest(backend, 0, List.of(), Map.of());
    }

    /**
     * The request the {@code -Dcubist.backend}, {@code -Dcubist.threads}, {@code -Dcubist.opencl.device} and
     * {@code -Dcubist.cpu.*} system properties describe.
     */
    public static EngineRequest fromSystemProperties() {
        String threads = System.getProperty(THREADS_PROPERTY);
        int t = 0;
        if (threads != null && !threads.isBlank()) {
            t = parseThreads("-D" + THREADS_PROPERTY, threads);
        }
        String device = System.getProperty(DEVICE_PROPERTY);
        Map<String, String> options = new LinkedHashMap<>();
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith(OPTION_PREFIX)) {
                options.put(k.substring(OPTION_PREFIX.length()), System.getProperty(k));
            }
        }
        return new EngineRequest(System.getProperty(BACKEND_PROPERTY), t,
                device == null || device.isBlank() ? List.of() : List.of(device.strip()), options);
    }

    public EngineRequest withBackend(String name) {
        return new EngineRequest(name, threads, devices, options);
    }

    public EngineRequest withThreads(int n) {
        return new EngineRequest(backend, n, devices, options);
    }

    public EngineRequest withDevices(List<String> list) {
        return new EngineRequest(backend, threads, list, options);
    }

    public EngineRequest withOption(String key, String value) {
        Map<String, String> o = new LinkedHashMap<>(options);
        o.put(key, value);
        return new EngineRequest(backend, threads, devices, o);
    }

    /** The thread budget this request gives: {@link #threads()}, or every processor when it is 0. */
    public int threadBudget() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** {@code --devices} as users write it: comma-separated, blanks dropped. */
    public static List<String> parseDevices(String list) {
        List<String> out = new ArrayList<>();
        if (list != null) {
            for (String s : list.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }

    /** {@code KEY=VALUE}, as {@code --engine-option} takes it. */
    public EngineRequest withOption(String keyValue) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("an engine option is KEY=VALUE (for example winograd=f2), got '"
                    + keyValue + "'");
        }
        return withOption(keyValue.substring(0, eq).strip(), keyValue.substring(eq + 1).strip());
    }

    static int parseThreads(String what, String value) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " must be an integer >= 1, got '" + value + "'");
    }
}
