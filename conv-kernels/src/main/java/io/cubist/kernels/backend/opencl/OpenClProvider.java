package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.BackendProvider;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.DeviceType;
import io.cubist.kernels.device.Devices;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and opens the {@code opencl} engine on the OpenCL devices of this JVM. Rank: above {@code cpu} (10) when its
 * best device is a GPU or accelerator; below it on a CPU OpenCL device such as pocl, where the Vector API engine is
 * faster, so {@code opencl} there runs only when asked for by name. Its devices: the best first (the first GPU, else
 * accelerator, else the first device), then the others in platform order.
 */
public final class OpenClProvider implements BackendProvider {

    @Override
    public String name() {
        return OpenClBackend.NAME;
    }

    @Override
    public int rank() {
        List<Device> d = devices();
        return !d.isEmpty() && d.get(0).type() != DeviceType.CPU && d.get(0).type() != DeviceType.OTHER ? 20 : 5;
    }

    @Override
    public String unavailableReason() {
        return Devices.openClUnavailableReason();
    }

    @Override
    public List<Device> devices() {
        List<Device> all = Devices.openCl();
        if (all.isEmpty()) {
            return List.of();
        }
        Device best = Devices.choose(all, null);
        List<Device> out = new ArrayList<>();
        out.add(best);
        for (Device d : all) {
            if (d != best) {
                out.add(d);
            }
        }
        return List.copyOf(out);
    }

    /** Also a device type ({@code gpu}), an index or part of a name, as {@link Devices#choose} takes them. */
    @Override
    public Device device(String selector) {
        Device d = BackendProvider.super.device(selector);
        if (d != null || devices().isEmpty()) {
            return d;
        }
        String s = selector.startsWith(OpenClBackend.NAME + ":") ? selector.substring(7) : selector;
        try {
            return Devices.choose(Devices.openCl(), s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public Backend open(EngineRequest request, Device device) {
        return new OpenClBackend(device);
    }
}
