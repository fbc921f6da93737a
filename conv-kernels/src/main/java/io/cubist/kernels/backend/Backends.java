package io.cubist.kernels.backend;

import io.cubist.kernels.device.Device;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the engines on the class path ({@link BackendProvider}s through {@code META-INF/services}), ranks them, and
 * opens one from an {@link EngineRequest}: by name when asked, else the highest-ranked one that can run here; on the
 * devices asked for, else the engine's best one. A name, device or option that cannot be honoured is an error that
 * says why and what is allowed, never a silent swap. Opened engines are kept per request and device, so every
 * caller asking for the same thing shares one (and its packed weights' caches, its thread pool).
 */
public final class Backends {
    private static volatile List<BackendProvider> cached;
    private static final Map<String, Backend> OPEN = new ConcurrentHashMap<>();

    private Backends() {
    }

    /** Every engine found, best rank first, available or not. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> c = cached;
        if (c == null) {
            List<BackendProvider> found = new ArrayList<>();
            ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(found::add);
            found.sort(Comparator.comparingInt(BackendProvider::rank).reversed());
            cached = c = List.copyOf(found);
        }
        return c;
    }

    public static List<String> names() {
        return providers().stream().map(BackendProvider::name).toList();
    }

    /** The provider named {@code name}, or an error listing the known ones. */
    public static BackendProvider provider(String name) {
        for (BackendProvider p : providers()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known backends: "
                + String.join(", ", names()));
    }

    /** One engine of every kind that can run here, best first, each on its default device with defaults. */
    public static List<Backend> available() {
        return providers().stream().filter(p -> p.unavailableReason() == null)
                .map(p -> open(EngineRequest.of(p.name()))).toList();
    }

    /** {@link #open(EngineRequest)} of {@code EngineRequest.of(name)}. */
    public static Backend select(String name) {
        return open(EngineRequest.of(name));
    }

    /**
     * The engine {@code request} asks for, on its first device ({@link #openAll} gives one per device).
     *
     * @throws IllegalArgumentException for an unknown name, device or option (naming what is allowed)
     * @throws IllegalStateException    when the engine asked for cannot run here (saying why)
     */
    public static Backend open(EngineRequest request) {
        return openAll(request).get(0);
    }

    /**
     * One engine per device the request names ({@code opencl:0,opencl:1}, {@code cpu}, {@code all}), in that order;
     * the request's backend, or the best available one, when it names none.
     */
    public static List<Backend> openAll(EngineRequest request) {
        List<Map.Entry<BackendProvider, Device>> targets = resolve(request);
        checkOptions(request, targets.stream().map(Map.Entry::getKey).distinct().toList());
        List<Backend> out = new ArrayList<>();
        for (Map.Entry<BackendProvider, Device> t : targets) {
            BackendProvider p = t.getKey();
            Device d = t.getValue();
            // the settings an engine takes make it another engine; others' options do not
            TreeMap<String, String> own = new TreeMap<>(request.options());
            own.keySet().retainAll(p.options().keySet());
            String key = p.name() + "|" + d.id() + "|" + request.threadBudget() + "|" + own;
            out.add(OPEN.computeIfAbsent(key, k -> p.open(request, d)));
        }
        return List.copyOf(out);
    }

    /**
     * Checks what can be checked of {@code request} without opening anything: a known backend name and options
     * that the engines taking them allow. Devices are left to where the engine opens (an executor's may differ).
     */
    public static void check(EngineRequest request) {
        List<BackendProvider> chosen = request.backend() == null ? providers() : List.of(provider(request.backend()));
        checkOptions(request, chosen);
    }

    /**
     * The devices {@code request} names on this machine, found but not opened: an unknown device is an error here
     * (for a run whose executors are this JVM, before any work).
     */
    public static List<Device> devices(EngineRequest request) {
        return resolve(request).stream().map(Map.Entry::getValue).toList();
    }

    private static List<Map.Entry<BackendProvider, Device>> resolve(EngineRequest request) {
        BackendProvider named = request.backend() == null ? null : provider(request.backend());
        if (named != null && named.unavailableReason() != null) {
            throw new IllegalStateException("backend '" + named.name() + "' was asked for but cannot run here: "
                    + named.unavailableReason());
        }
        List<Map.Entry<BackendProvider, Device>> out = new ArrayList<>();
        if (request.devices().isEmpty()) {
            BackendProvider p = named != null ? named : best();
            out.add(Map.entry(p, p.devices().get(0)));
            return out;
        }
        for (String sel : request.devices()) {
            if (sel.equals("all")) {
                for (BackendProvider p : providers()) {
                    if (p.unavailableReason() == null && (named == null || p == named) && p.rank() > 0) {
                        for (Device d : p.devices()) {
                            add(out, p, d);
                        }
                    }
                }
                continue;
            }
            add(out, sel, named);
        }
        return out;
    }

    private static void add(List<Map.Entry<BackendProvider, Device>> out, BackendProvider p, Device d) {
        for (Map.Entry<BackendProvider, Device> e : out) {
            if (e.getValue().id().equals(d.id())) {
                return;
            }
        }
        out.add(Map.entry(p, d));
    }

    /**
     * One selector: a device's id ({@code cpu}, {@code opencl:1}), an engine's name (its best device), or what an
     * engine takes besides (an OpenCL device type or part of its name).
     */
    private static void add(List<Map.Entry<BackendProvider, Device>> out, String sel, BackendProvider named) {
        List<BackendProvider> usable = providers().stream()
                .filter(p -> p.unavailableReason() == null && (named == null || p == named)).toList();
        for (BackendProvider p : usable) {
            for (Device d : p.devices()) {
                if (d.id().equals(sel) || sel.equals(p.name()) && d == p.devices().get(0)) {
                    add(out, p, d);
                    return;
                }
            }
        }
        for (BackendProvider p : usable) {
            Device d = p.device(sel);
            if (d != null) {
                add(out, p, d);
                return;
            }
        }
        List<String> known = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.unavailableReason() == null && (named == null || p == named)) {
                p.devices().forEach(d -> known.add(d.id()));
            }
        }
        throw new IllegalArgumentException("--devices: no device '" + sel + "'"
                + (named == null ? "" : " for backend " + named.name()) + "; this machine has "
                + (known.isEmpty() ? "none" : String.join(", ", known)) + " (or all)");
    }

    private static BackendProvider best() {
        for (BackendProvider p : providers()) {
            if (p.unavailableReason() == null) {
                return p;
            }
        }
        throw new IllegalStateException("no backend can run here; found " + describeAll());
    }

    /** Every option must be one some engine knows, and valid for each chosen engine that takes it. */
    private static void checkOptions(EngineRequest request, List<BackendProvider> chosen) {
        Map<String, List<String>> all = new LinkedHashMap<>();
        for (BackendProvider p : providers()) {
            p.options().forEach(all::putIfAbsent);
        }
        for (Map.Entry<String, String> o : request.options().entrySet()) {
            List<String> allowed = all.get(o.getKey());
            if (allowed == null) {
                throw new IllegalArgumentException("unknown engine option '" + o.getKey() + "'; options: "
                        + describeOptions(all));
            }
            for (BackendProvider p : chosen) {
                List<String> a = p.options().get(o.getKey());
                if (a != null && !a.contains(o.getValue())) {
                    throw new IllegalArgumentException("engine option " + o.getKey() + " must be one of "
                            + String.join(", ", a) + " for " + p.name() + ", got '" + o.getValue() + "'");
                }
            }
        }
    }

    private static String describeOptions(Map<String, List<String>> all) {
        if (all.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        all.forEach((k, v) -> parts.add(k + "=" + String.join("|", v)));
        return String.join(", ", parts);
    }

    /** One line per engine: name, rank, whether it can run here, its devices and options. */
    public static String describeAll() {
        StringBuilder sb = new StringBuilder();
        for (BackendProvider p : providers()) {
            String why = p.unavailableReason();
            sb.append(String.format("%-10s rank %3d  %s", p.name(), p.rank(),
                    why == null ? "available" : "unavailable: " + why));
            if (why == null) {
                sb.append("; devices ").append(String.join(", ", p.devices().stream().map(Device::id).toList()));
                if (!p.options().isEmpty()) {
                    sb.append("; options ").append(describeOptions(p.options()));
                }
            }
            sb.append('\n');
        }
        return sb.toString().stripTrailing();
    }
}
