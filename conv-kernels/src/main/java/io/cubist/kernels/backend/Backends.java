package io.cubist.kernels.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Finds the {@link Backend}s on the class path ({@code META-INF/services}), ranks them, and picks one: by name when
 * asked ({@code --backend}, or the system property {@value #PROPERTY}), else the highest-ranked available one. A
 * backend asked for by name that is unknown or cannot run here is an error that says why — never a silent swap.
 */
public final class Backends {
    /** System property naming the backend to use when no name is passed explicitly. */
    public static final String PROPERTY = "cubist.backend";

    private static volatile List<Backend> cached;

    private Backends() {
    }

    /** Every backend found, best rank first, available or not. */
    public static List<Backend> all() {
        List<Backend> c = cached;
        if (c == null) {
            List<Backend> found = new ArrayList<>();
            try {
                ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).forEach(found::add);
            } catch (ServiceConfigurationError e) {
                // a backend refused a setting of the user's (a -D property): say that, not the loader's wrapping
                if (e.getCause() instanceof IllegalArgumentException bad) {
                    throw bad;
                }
                throw e;
            }
            found.sort(Comparator.comparingInt(Backend::rank).reversed());
            cached = c = List.copyOf(found);
        }
        return c;
    }

    public static List<String> names() {
        return all().stream().map(Backend::name).toList();
    }

    /** The backends that can run here, best first. */
    public static List<Backend> available() {
        return all().stream().filter(b -> b.unavailableReason() == null).toList();
    }

    /**
     * The backend named {@code name}; null or empty means the {@value #PROPERTY} property, or failing that the best
     * available backend.
     */
    public static Backend select(String name) {
        String n = name == null || name.isBlank() ? System.getProperty(PROPERTY) : name;
        if (n == null || n.isBlank()) {
            List<Backend> a = available();
            if (a.isEmpty()) {
                throw new IllegalStateException("no backend can run here; found " + describeAll());
            }
            return a.get(0);
        }
        for (Backend b : all()) {
            if (b.name().equals(n)) {
                String why = b.unavailableReason();
                if (why != null) {
                    throw new IllegalStateException("backend '" + n + "' was asked for but cannot run here: " + why);
                }
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + n + "'; known backends: "
                + String.join(", ", names()));
    }

    /** One line per backend: name, rank, and whether it can run here. */
    public static String describeAll() {
        StringBuilder sb = new StringBuilder();
        for (Backend b : all()) {
            String why = b.unavailableReason();
            sb.append(String.format("%-10s rank %3d  %s%n", b.name(), b.rank(),
                    why == null ? "available" : "unavailable: " + why));
        }
        return sb.toString().stripTrailing();
    }
}
