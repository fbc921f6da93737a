package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.BackendProvider;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.DeviceType;
import java.util.List;

/** Finds and opens the {@code reference} engine: rank 0, always available, one device (the host). */
public final class ReferenceProvider implements BackendProvider {
    static final Device HOST = new Device(-1, ReferenceBackend.NAME, "plain Java loops", "", "JVM", DeviceType.CPU, 1,
            Runtime.getRuntime().maxMemory(), 0, 0);

    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public List<Device> devices() {
        return List.of(HOST);
    }

    @Override
    public Backend open(EngineRequest request, Device device) {
        return new ReferenceBackend();
    }
}
