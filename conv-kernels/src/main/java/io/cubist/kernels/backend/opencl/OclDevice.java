package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import java.util.LinkedHashSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one OpenCL device a backend instance runs on, and the only place kernels are launched: every launch is pinned
 * to the device ({@link KernelManager#setPreferredDevices} and a {@link Range} bound to it) and afterwards checked
 * to have run there. Aparapi otherwise falls back to its Java thread pool without a word (and has been seen to drop
 * a work item doing so); here that is an {@link IllegalStateException} naming the kernel and where it ran.
 *
 * <p>Every use of a kernel on this device (setting its arrays, {@code put}, launch, {@code get}) happens while
 * holding this object's monitor: one launch at a time per device, as a device's queue runs them anyway.
 */
final class OclDevice {
    static final boolean VERBOSE = Devices.VERBOSE;

    private final Device device;
    private final OpenCLDevice handle;
    private final AtomicLong launches = new AtomicLong();
    /** Kernels whose owner became unreachable, disposed by the next launch (never on the cleaner's thread). */
    private final ConcurrentLinkedQueue<Kernel> retired = new ConcurrentLinkedQueue<>();

    OclDevice(Device device) {
        this.device = device;
        this.handle = Devices.aparapiHandle(device);
    }

    Device device() {
        return device;
    }

    long launches() {
        return launches.get();
    }

    /** A new kernel pinned to this device, its buffers managed explicitly ({@code put}/{@code get}). */
    <K extends Kernel> K pin(K kernel) {
        LinkedHashSet<com.aparapi.device.Device> only = new LinkedHashSet<>();
        only.add(handle);
        KernelManager.instance().setPreferredDevices(kernel, only);
        kernel.setExplicit(true);
        return kernel;
    }

    /**
     * Hands a kernel over for disposal; safe from any thread (a {@link java.lang.ref.Cleaner} action). Aparapi's
     * native side is not known to be safe against a dispose racing a launch, so the disposal itself happens under
     * this device's lock, at the next launch.
     */
    void retire(Kernel kernel) {
        retired.add(kernel);
    }

    /**
     * Runs {@code kernel} over {@code items} work items in work-groups of {@code local} (the global size is rounded
     * up to a multiple; kernels guard their tail), then checks it ran on this device.
     */
    void execute(Kernel kernel, int items, int local) {
        assert Thread.holdsLock(this) : "launches hold the device lock";
        for (Kernel r = retired.poll(); r != null; r = retired.poll()) {
            r.dispose();
        }
        int global = Math.max(local, (items + local - 1) / local * local);
        try {
            kernel.execute(Range.create(handle, global, local));
        } catch (RuntimeException | AssertionError e) {
            // with assertions on, Aparapi asserts instead of falling back; either way the kernel did not run here
            throw new IllegalStateException("opencl: " + kernel.getClass().getSimpleName() + " could not run on "
                    + device.id() + " (" + device.name() + "): " + e.getMessage() + hint(), e);
        }
        launches.incrementAndGet();
        com.aparapi.device.Device ran = kernel.getTargetDevice();
        if (!kernel.isRunningCL() || ran != handle) {
            throw new IllegalStateException("opencl: " + kernel.getClass().getSimpleName() + " did not run on "
                    + device.id() + " (" + device.name() + ") but on " + (ran == null ? "no device"
                    : ran.getShortDescription()) + " (execution mode " + kernel.getExecutionMode() + "): Aparapi"
                    + " fell back, usually because the kernel could not be translated or compiled" + hint());
        }
    }

    private static String hint() {
        return VERBOSE ? "" : " (-Dcubist.opencl.verbose=true shows Aparapi's log,"
                + " -Dcom.aparapi.enableShowGeneratedOpenCL=true the generated source)";
    }
}
