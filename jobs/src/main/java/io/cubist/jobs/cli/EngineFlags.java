package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.backend.Traffic;
import java.util.List;

/**
 * The engine flags every command that runs a model takes, read into the one {@link EngineRequest}: {@code --backend},
 * {@code --threads}, {@code --devices}, {@code --engine-option} (repeatable), on top of the {@code -Dcubist.*}
 * defaults. A value that cannot be honoured is refused in one line naming what is allowed.
 */
final class EngineFlags {
    /** The flags, for a command's set of valued flags. */
    static final List<String> NAMES = List.of("backend", "threads", "devices", "engine-option");

    private EngineFlags() {
    }

    /** The request the flags give. */
    static EngineRequest request(Flags f) {
        EngineRequest r;
        try {
            r = EngineRequest.fromSystemProperties();
            if (f.has("backend")) {
                r = r.withBackend(f.get("backend", null));
            }
            if (f.has("threads")) {
                r = r.withThreads(f.positiveInt("threads", 1));
            }
            if (f.has("devices")) {
                List<String> d = EngineRequest.parseDevices(f.get("devices", ""));
                if (d.isEmpty()) {
                    throw new UsageException("--devices needs a device list: opencl:0,opencl:1, cpu or all");
                }
                r = r.withDevices(d);
            }
            for (String o : f.all("engine-option")) {
                r = r.withOption(o);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return r;
    }

    /** The flags' lines for a command's usage text. */
    static String usage() {
        return """
                  --backend NAME      engine: %s (default: the best that can run here)
                  --threads N         CPU threads of the cpu engine (default: every processor)
                  --devices LIST      opencl:0,opencl:1 | cpu | all (default: the engine's best device); with
                                      several, grouped layers are split across them as AlexNet split its two GPUs
                                      and models without grouped layers split each batch across them
                  --engine-option K=V an engine setting (repeatable): winograd=true|f4|f2|false, pack=true|false"""
                .formatted(String.join("|", Backends.names()));
    }

    /** The engines a request names, or its error as a usage error. */
    static List<Backend> open(EngineRequest request) {
        try {
            return Backends.openAll(request);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The engines' traffic, summed. */
    static Traffic traffic(List<Backend> engines) {
        Traffic t = Traffic.NONE;
        for (Backend b : engines) {
            t = t.plus(b.traffic());
        }
        return t;
    }
}
