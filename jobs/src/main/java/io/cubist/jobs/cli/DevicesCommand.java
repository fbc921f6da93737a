package io.cubist.jobs.cli;

import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cubist devices}: the OpenCL platforms and devices this machine has (type, compute units, memory,
 * work-group limit), the cpu engine, and which OpenCL device the opencl backend would use.
 */
final class DevicesCommand implements Command {

    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String summary() {
        return "list the OpenCL devices and the cpu engine, and the device the opencl backend picks";
    }

    @Override
    public String usage() {
        return """
                usage: cubist devices [--json]

                Lists every OpenCL device of every platform (index, type, name, platform, compute units, global and
                local memory, largest work-group) and the JVM's own cpu engine, by the ids --devices takes
                (opencl:N, cpu). The opencl backend runs on the device --devices names (also gpu, accelerator, or
                part of a name; default: the first GPU, else accelerator, else CPU device). Without OpenCL the
                reason is printed. pocl exposes several CPU devices with POCL_DEVICES="pthread pthread".

                --json   one JSON object: {"devices": [...], "opencl_device": ..., "opencl_unavailable": ...}""";
    }

    @Override
    public Set<String> switches() {
        return Set.of("json");
    }

    @Override
    public int run(Flags flags) {
        String why = Devices.openClUnavailableReason();
        Device chosen = null;
        String choiceError = null;
        if (why == null) {
            try {
                chosen = Devices.choose(Devices.openCl(), null);
            } catch (IllegalArgumentException e) {
                choiceError = e.getMessage();
            }
        }
        if (flags.has("json")) {
            List<Object> list = new ArrayList<>();
            for (Device d : Devices.all()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", d.id());
                m.put("engine", d.engine());
                m.put("index", d.index());
                m.put("type", d.type().label());
                m.put("name", d.name());
                m.put("vendor", d.vendor());
                m.put("platform", d.platform());
                m.put("compute_units", d.computeUnits());
                m.put("global_mem_bytes", d.globalMemBytes());
                m.put("local_mem_bytes", d.localMemBytes());
                m.put("max_work_group_size", d.maxWorkGroupSize());
                list.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("devices", list);
            out.put("opencl_device", chosen == null ? null : chosen.id());
            out.put("opencl_unavailable", why != null ? why : choiceError);
            System.out.println(Json.write(out));
            return 0;
        }
        for (Device d : Devices.all()) {
            System.out.println(d.describe());
        }
        if (why != null) {
            System.out.println("opencl: unavailable: " + why);
        } else if (choiceError != null) {
            System.out.println("opencl: " + choiceError);
        } else {
            System.out.println("opencl backend device: " + chosen.id() + " (" + chosen.name() + ")");
        }
        return 0;
    }
}
