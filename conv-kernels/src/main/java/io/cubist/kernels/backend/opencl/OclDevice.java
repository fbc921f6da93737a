package io.cubist.kernels.backend.opencl;

import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;

/**
 * One OpenCL device and its memory, and the only place kernels are launched. Its one {@link DeviceKernel} owns the
 * device buffers: prepared weights ({@link #addWeights}, uploaded once, before the next launch), an activation
 * arena that each forward {@link #pass} bump-allocates from the start (so a model's intermediate tensors never leave
 * the device), and staging arrays for what crosses. Every byte that crosses and every launch is counted
 * ({@link #traffic()}).
 *
 * <p>Every launch is pinned to the device (a {@link Range} bound to it; {@link KernelManager#setPreferredDevices}
 * names the OpenCL devices) and checked to have run there: Aparapi otherwise falls back to its Java thread pool
 * without a word; here that is an {@link IllegalStateException} naming the device. One pass at a time per device: a
 * pass holds the device's lock from start to end, and an op called outside a pass runs in a pass of its own whose
 * result comes back to the host before it ends. A host tensor goes up once per pass, however many ops read it.
 *
 * <p>Aparapi binds a buffer to each Java array and re-creates it, copying from the host array, when the array is
 * replaced or moved by the garbage collector. The arena is therefore never smaller than {@value #MIN_ARENA_BYTES}
 * bytes, which G1 (the default collector) allocates as a humongous object it does not move, and it is only
 * replaced between passes, when nothing in it is live.
 */
final class OclDevice {
    static final boolean VERBOSE = Devices.VERBOSE;
    /** The smallest arena: 32 MiB. */
    static final int MIN_ARENA_BYTES = 32 << 20;
    /** Arena offsets are multiples of this (64 bytes). */
    private static final int ALIGN = 16;

    /** Thrown inside a pass when the arena is too small; the pass grows it and runs again. */
    private static final class ArenaFull extends RuntimeException {
        final OclDevice device;
        final long needed;

        ArenaFull(OclDevice device, long needed) {
            super(null, null, false, false);
            this.device = device;
            this.needed = needed;
        }
    }

    /** A region of the weight arrays; {@code offset} moves when the store is compacted. */
    static final class Region {
        volatile int offset;
        final int length;
        final boolean ints;
        volatile boolean live = true;
        final float[] floats;
        final int[] table;

        Region(float[] floats, int[] table) {
            this.floats = floats;
            this.table = table;
            this.ints = table != null;
            this.length = ints ? table.length : floats.length;
        }
    }

    /** A tensor's values in the arena during one pass. */
    final class Values implements Tensor.Resident {
        final long pass;
        final int offset;
        final int length;
        float[] fetched;

        Values(long pass, int offset, int length) {
            this.pass = pass;
            this.offset = offset;
            this.length = length;
        }

        OclDevice device() {
            return OclDevice.this;
        }

        @Override
        public void download(float[] into) {
            if (fetched == null) {
                fetch(List.of(this));
            }
            System.arraycopy(fetched, 0, into, 0, length);
            fetched = null;
        }
    }

    private final Device device;
    private final OpenCLDevice handle;
    private final DeviceKernel kernel;
    private final ReentrantLock lock = new ReentrantLock();

    private final List<Region> regions = new ArrayList<>();
    private boolean weightsDirty;

    private float[] arena;
    /** Where the host tensors uploaded in this pass are (by their host array): each goes up once. */
    private final IdentityHashMap<float[], Integer> uploaded = new IdentityHashMap<>();
    private long pass;
    private boolean inPass;
    private int top;

    private long toDevice;
    private long fromDevice;
    private long launches;
    private long weightBytes;
    private long bufferBytes;

    OclDevice(Device device) {
        this.device = device;
        this.handle = Devices.aparapiHandle(device);
        DeviceKernel k = new DeviceKernel();
        // Aparapi keeps preferred devices per kernel class, and every device's kernel is a DeviceKernel: prefer all
        // OpenCL devices (this one first); the Range bound to this device picks it, and launch checks it ran there
        LinkedHashSet<com.aparapi.device.Device> preferred = new LinkedHashSet<>();
        preferred.add(handle);
        for (Device d : Devices.openCl()) {
            preferred.add(Devices.aparapiHandle(d));
        }
        KernelManager.instance().setPreferredDevices(k, preferred);
        k.setExplicit(true);
        this.kernel = k;
        this.arena = new float[MIN_ARENA_BYTES / 4];
        this.bufferBytes = MIN_ARENA_BYTES; // Aparapi creates the arena's buffer from the host array
    }

    Device device() {
        return device;
    }

    Traffic traffic() {
        lock.lock();
        try {
            return new Traffic(toDevice, fromDevice, launches, weightBytes, bufferBytes);
        } finally {
            lock.unlock();
        }
    }

    // ---- weights

    /** Keeps {@code data} on the device from the next launch on; the region's offset is read at each launch. */
    Region addWeights(float[] data) {
        return add(new Region(data.clone(), null));
    }

    /** Keeps the integer table {@code data} on the device from the next launch on. */
    Region addTable(int[] data) {
        return add(new Region(null, data.clone()));
    }

    private Region add(Region r) {
        lock.lock();
        try {
            regions.add(r);
            weightsDirty = true;
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Drops a region (its owner became unreachable); safe from any thread. The space is reused at a later upload. */
    void release(Region r) {
        r.live = false;
    }

    /** Lays the live regions out afresh and uploads them when something was added since the last launch. */
    private void syncWeights() {
        if (!weightsDirty) {
            return;
        }
        regions.removeIf(r -> !r.live);
        int f = 0;
        int t = 0;
        for (Region r : regions) {
            if (r.ints) {
                t += r.length;
            } else {
                f += r.length;
            }
        }
        float[] nw = new float[Math.max(1, f)];
        int[] nt = new int[Math.max(1, t)];
        f = 0;
        t = 0;
        for (Region r : regions) {
            if (r.ints) {
                System.arraycopy(r.table, 0, nt, t, r.length);
                r.offset = t;
                t += r.length;
            } else {
                System.arraycopy(r.floats, 0, nw, f, r.length);
                r.offset = f;
                f += r.length;
            }
        }
        // new arrays: Aparapi creates their buffers from them at the next launch, which is the upload
        kernel.wts = nw;
        kernel.tabs = nt;
        weightBytes += 4L * (nw.length + nt.length);
        weightsDirty = false;
    }

    // ---- passes and the arena

    /** Whether this thread is inside a pass on this device. */
    boolean inPass() {
        return lock.isHeldByCurrentThread() && inPass;
    }

    /**
     * Runs {@code body} as one forward pass: the arena is allocated from its start, and a pass that runs out of
     * arena grows it and runs again from the beginning (the body must not have effects beyond its result).
     */
    <T> T pass(Supplier<T> body) {
        if (inPass()) {
            return body.get();
        }
        lock.lock();
        try {
            while (true) {
                pass++;
                top = 0;
                uploaded.clear();
                inPass = true;
                try {
                    return body.get();
                } catch (ArenaFull full) {
                    if (full.device != this) {
                        throw full;
                    }
                    grow(full.needed);
                } finally {
                    inPass = false;
                    uploaded.clear();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void grow(long needed) {
        long size = Math.max(needed + needed / 4, 2L * arena.length);
        if (size > Integer.MAX_VALUE - 64) {
            if (needed > Integer.MAX_VALUE - 64) {
                throw new IllegalStateException("opencl: a forward pass needs " + (needed * 4 >> 20) + " MiB of"
                        + " device memory, more than one arena can hold (8 GiB); run smaller batches");
            }
            size = Integer.MAX_VALUE - 64;
        }
        arena = new float[(int) size];
        bufferBytes += 4L * size; // Aparapi creates the new buffer from the host array
    }

    /** A tensor of {@code shape} allocated in the arena of the current pass. */
    Tensor allocate(int... shape) {
        long n = Tensor.numel(shape);
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape)
                    + " is too large");
        }
        long at = (top + ALIGN - 1L) / ALIGN * ALIGN;
        if (at + n > arena.length) {
            throw new ArenaFull(this, at + n);
        }
        top = (int) (at + n);
        return Tensor.resident(new Values(pass, (int) at, (int) n), shape);
    }

    /**
     * Where {@code t}'s values are in the arena: where they already are (made on this device in this pass, or
     * uploaded earlier in it), else uploaded into it now.
     */
    int place(Tensor t) {
        if (t.resident() instanceof Values v && v.device() == this && v.pass == pass) {
            return v.offset;
        }
        float[] src = t.data();
        Integer done = uploaded.get(src);
        if (done != null) {
            return done;
        }
        int off = offset(allocate(t.shape()));
        uploaded.put(src, off);
        if (src.length == 0) {
            return off;
        }
        boolean fresh = kernel.up.length != src.length;
        float[] staging = fresh ? new float[src.length] : kernel.up;
        System.arraycopy(src, 0, staging, 0, src.length);
        kernel.up = staging;
        if (!fresh) {
            kernel.put(staging); // a new array is copied when Aparapi creates its buffer
        }
        toDevice += 4L * src.length;
        kernel.op = DeviceKernel.UPLOAD;
        kernel.total = src.length;
        kernel.yOff = off;
        kernel.ioOff = 0;
        launch(src.length, DeviceKernel.LOCAL);
        return off;
    }

    /**
     * Reads {@code tensors} to the host: those of this pass on this device in one transfer, any others as they
     * come (another device's, or already on the host).
     */
    void fetchAll(List<Tensor> tensors) {
        List<Values> mine = new ArrayList<>();
        if (inPass()) {
            for (Tensor t : tensors) {
                if (t != null && !t.onHost() && t.resident() instanceof Values v && v.device() == this
                        && v.pass == pass && v.fetched == null && !mine.contains(v)) {
                    mine.add(v);
                }
            }
        }
        if (!mine.isEmpty()) {
            fetch(mine);
        }
        for (Tensor t : tensors) {
            if (t != null) {
                t.data();
            }
        }
    }

    /** Brings the values of {@code values} to the host in one transfer ({@link Values#fetched}). */
    void fetch(List<Values> values) {
        if (!inPass()) {
            throw new IllegalStateException("opencl: a device tensor was read after its forward pass ended; read"
                    + " what you need inside Backend.pass");
        }
        int total = 0;
        for (Values v : values) {
            if (v.pass != pass) {
                throw new IllegalStateException("opencl: a device tensor of an earlier forward pass was read");
            }
            total += v.length;
        }
        if (total == 0) {
            values.forEach(v -> v.fetched = new float[0]);
            return;
        }
        int from = values.get(0).offset;
        if (values.size() > 1) {
            // gathered into one region first, so one launch fills the staging array and one read brings it over
            Tensor gathered = allocate(total);
            from = offset(gathered);
            int at = from;
            for (Values v : values) {
                copy(v.offset, at, v.length);
                at += v.length;
            }
        }
        if (kernel.down.length != total) {
            kernel.down = new float[total];
            bufferBytes += 4L * total; // Aparapi creates the new buffer from the host array
        }
        kernel.op = DeviceKernel.DOWNLOAD;
        kernel.total = total;
        kernel.xOff = from;
        kernel.ioOff = 0;
        launch(total, DeviceKernel.LOCAL);
        kernel.get(kernel.down);
        fromDevice += 4L * total;
        int at = 0;
        for (Values v : values) {
            v.fetched = Arrays.copyOfRange(kernel.down, at, at + v.length);
            at += v.length;
        }
    }

    /** Copies {@code length} arena elements from {@code from} to {@code to} on the device. */
    void copy(int from, int to, int length) {
        if (length == 0) {
            return;
        }
        kernel.op = DeviceKernel.BLOCKS;
        kernel.total = length;
        kernel.block = length;
        kernel.xStride = length;
        kernel.yStride = length;
        kernel.xOff = from;
        kernel.yOff = to;
        launch(length, DeviceKernel.LOCAL);
    }

    /**
     * The kernel, for setting a launch's fields, with the weights laid out (so {@link Region#offset}s read after
     * this hold for the launch); only inside a pass, after the launch's inputs were {@link #place}d.
     */
    DeviceKernel kernel() {
        if (!inPass()) {
            throw new IllegalStateException("opencl: launches happen inside a pass");
        }
        syncWeights();
        return kernel;
    }

    /**
     * Runs one op: inside a pass as it is (its result stays on the device for the next op); outside, in a pass of
     * its own whose result is read back before it ends.
     */
    Tensor op(Supplier<Tensor> body) {
        if (inPass()) {
            return body.get();
        }
        return pass(() -> {
            Tensor y = body.get();
            y.data();
            return y;
        });
    }

    /** Sets a launch's input and output sizes. */
    static void geometry(DeviceKernel k, Dims3 in, Dims3 out) {
        k.inD = in.d();
        k.inH = in.h();
        k.inW = in.w();
        k.outD = out.d();
        k.outH = out.h();
        k.outW = out.w();
    }

    /** Sets a launch's sliding window: kernel size, stride, padding before, dilation. */
    static void window(DeviceKernel k, Dims3 kernel, Dims3 stride, Dims3 pad, Dims3 dilation) {
        k.kd = kernel.d();
        k.kh = kernel.h();
        k.kw = kernel.w();
        k.sd = stride.d();
        k.sh = stride.h();
        k.sw = stride.w();
        k.pd = pad.d();
        k.ph = pad.h();
        k.pw = pad.w();
        k.dd = dilation.d();
        k.dh = dilation.h();
        k.dw = dilation.w();
    }

    /** The arena offset of a tensor {@link #allocate} made in this pass. */
    static int offset(Tensor t) {
        return ((Values) t.resident()).offset;
    }

    /**
     * Runs the kernel as its fields are set over {@code items} work items in work-groups of {@code local} (the
     * global size is rounded up to a multiple; the kernel guards its tail), then checks it ran on this device.
     */
    void launch(int items, int local) {
        if (!inPass()) {
            throw new IllegalStateException("opencl: launches happen inside a pass");
        }
        syncWeights();
        if (kernel.mem != arena) {
            kernel.mem = arena;
        }
        int global = Math.max(local, (items + local - 1) / local * local);
        if (KernelManager.instance().getPreferences(kernel).getFailedDevices().contains(handle)) {
            throw new IllegalStateException("opencl: " + device.id() + " (" + device.name() + ") failed an earlier"
                    + " launch in this JVM; nothing more runs there" + hint());
        }
        try {
            kernel.execute(Range.create(handle, global, local));
        } catch (RuntimeException | AssertionError e) {
            // with assertions on, Aparapi asserts instead of falling back; either way the kernel did not run here
            throw new IllegalStateException("opencl: the kernel could not run on " + device.id() + " ("
                    + device.name() + "): " + e.getMessage() + hint(), e);
        }
        launches++;
        // a user-specified device that fails is marked failed in the kernel class's preferences and the launch
        // re-run elsewhere (another device, or Java threads); getTargetDevice() names the class's first preference,
        // not where a launch ran, so the failure list is the check
        if (KernelManager.instance().getPreferences(kernel).getFailedDevices().contains(handle)) {
            throw new IllegalStateException("opencl: the kernel did not run on " + device.id() + " ("
                    + device.name() + "): Aparapi fell back, usually because the kernel could not be translated or"
                    + " compiled" + hint());
        }
    }

    /**
     * The device's FP32 FMA peak in GFLOP/s: a launch of independent FMA chains (16 FLOPs per round per work item)
     * sized to take at least 0.2 s, the best of three.
     */
    double peakGflops() {
        return pass(() -> {
            int items = Math.max(1, device.computeUnits()) * 4096;
            Tensor sink = allocate(items);
            int rounds = 256;
            double best = 0;
            for (int run = 0; run < 8 && (run < 3 || best == 0); run++) {
                kernel.op = DeviceKernel.PEAK;
                kernel.total = items;
                kernel.inner = rounds;
                kernel.yOff = offset(sink);
                long t0 = System.nanoTime();
                launch(items, DeviceKernel.LOCAL);
                double secs = (System.nanoTime() - t0) / 1e9;
                if (secs < 0.2 && rounds < (1 << 24)) {
                    rounds = (int) Math.min(1 << 24, rounds * Math.max(2.0, 0.25 / Math.max(secs, 1e-6)));
                    run--; // too short to time: again with more rounds
                    continue;
                }
                best = Math.max(best, 16.0 * rounds * items / secs / 1e9);
            }
            return best;
        });
    }

    private static String hint() {
        return VERBOSE ? "" : " (-Dcubist.opencl.verbose=true shows Aparapi's log,"
                + " -Dcom.aparapi.enableShowGeneratedOpenCL=true the generated source)";
    }
}
