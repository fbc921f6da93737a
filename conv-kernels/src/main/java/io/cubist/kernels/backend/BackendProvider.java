package io.cubist.kernels.backend;

import io.cubist.kernels.device.Device;
import java.util.List;
import java.util.Map;

/**
 * An engine as {@link Backends} finds it ({@code META-INF/services}): its name, its rank, why it cannot run here,
 * the devices it drives, the options it takes, and how to open it on one device from an {@link EngineRequest}.
 */
public interface BackendProvider {

    /** The name users select it by. */
    String name();

    /** Higher ranks are preferred when no engine is named. */
    int rank();

    /** Null if the engine can run here, else why not (a missing OpenCL driver). */
    String unavailableReason();

    /** The devices it can run on, the one it picks by default first; empty when it cannot run here. */
    List<Device> devices();

    /** The device {@code selector} names ({@code opencl:1}, {@code cpu}), or null when none of its own. */
    default Device device(String selector) {
        for (Device d : devices()) {
            if (d.id().equals(selector)) {
                return d;
            }
        }
        return null;
    }

    /** The options it takes: name to allowed values, the default first. */
    default Map<String, List<String>> options() {
        return Map.of();
    }

    /** Opens the engine on {@code device} (one of {@link #devices()}) with the request's threads and options. */
    Backend open(EngineRequest request, Device device);
}
