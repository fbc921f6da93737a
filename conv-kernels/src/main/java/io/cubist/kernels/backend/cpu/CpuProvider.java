package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.BackendProvider;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import java.util.List;
import java.util.Map;

/** Finds and opens the {@code cpu} engine: rank 10, always available, the JVM's processors as one device. */
public final class CpuProvider implements BackendProvider {

    @Override
    public String name() {
        return CpuBackend.NAME;
    }

    @Override
    public int rank() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public List<Device> devices() {
        return List.of(Devices.cpuEngine());
    }

    @Override
    public Map<String, List<String>> options() {
        return CpuBackend.OPTIONS;
    }

    @Override
    public Backend open(EngineRequest request, Device device) {
        return new CpuBackend(request.threadBudget(), request.options());
    }
}
