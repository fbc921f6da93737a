package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backends;

/** {@code cubist backends}: the compute engines found, their rank, and whether they can run here. */
final class BackendsCommand implements Command {

    @Override
    public String name() {
        return "backends";
    }

    @Override
    public String summary() {
        return "list the compute backends, best first, and whether each can run here";
    }

    @Override
    public String usage() {
        return """
                usage: cubist backends

                Lists every backend found (reference, cpu, opencl, ...) with its rank and whether it can run on
                this machine. With no --backend flag, commands use the best available one; the system property
                -Dcubist.backend=NAME (or CUBIST_BACKEND=NAME for bin/cubist) overrides that.""";
    }

    @Override
    public int run(Flags flags) {
        System.out.println(Backends.describeAll());
        System.out.println("cpu engine on " + io.cubist.kernels.backend.cpu.CpuInfo.HOST.describe() + "; blocking "
                + io.cubist.kernels.backend.cpu.CpuInfo.HOST.blocking());
        return 0;
    }
}
