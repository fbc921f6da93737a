package io.cubist.pipeline.clip;

import io.cubist.kernels.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Up to {@code capacity} clips of one {@link ClipLayout} in one off-heap Arrow buffer, {@code [N, 3, T, H, W]}
 * row-major, with each clip's video, index and times.
 *
 * <p>Ownership: the batch creates a named child of the given allocator, limited to its one buffer, and
 * {@link #close()} releases the buffer and closes that child, so a leak fails loudly when the parent is closed. Use
 * it in try-with-resources from one thread; {@link #clear()} reuses it for the next batch.
 */
public final class ClipBatch implements AutoCloseable {

    private final ClipLayout layout;
    private final int capacity;
    private final BufferAllocator allocator;
    private final ArrowBuf data;
    private final String[] videos;
    private final int[] clips;
    private final double[] starts;
    private final double[] ends;
    private final int[] views;
    private final float[] mean = new float[3];
    private final float[] std = new float[3];
    private byte[] scratchBytes;
    private float[] scratchFloats;
    private int size;
    private boolean closed;

    /**
     * @param parent   the task's allocator; the batch's own child allocator is named {@code name}
     * @param capacity clips the batch can hold, {@code >= 1}
     */
    public ClipBatch(BufferAllocator parent, String name, ClipLayout layout, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be >= 1, got " + capacity);
        }
        this.layout = layout;
        this.capacity = capacity;
        long bytes = layout.bytesPerClip() * capacity;
        // limited to the buffer as the allocator rounds it (to a power of two, or whole chunks when large)
        this.allocator = parent.newChildAllocator(name, 0, parent.getRoundingPolicy().getRoundedSize(bytes));
        try {
            this.data = allocator.buffer(bytes);
        } catch (RuntimeException e) {
            allocator.close();
            throw e;
        }
        this.videos = new String[capacity];
        this.clips = new int[capacity];
        this.starts = new double[capacity];
        this.ends = new double[capacity];
        this.views = new int[capacity];
        double[] m = layout.mean();
        double[] s = layout.std();
        for (int c = 0; c < 3; c++) {
            mean[c] = (float) m[c];
            std[c] = (float) s[c];
        }
    }

    public ClipLayout layout() {
        return layout;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public boolean isFull() {
        return size == capacity;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Forgets the clips held (the memory stays allocated for the next ones). */
    public void clear() {
        ensureOpen();
        size = 0;
    }

    /** Transforms a sampled clip into the next slot (view 0); returns the slot. */
    public int add(String video, SampledClip clip, ClipTransform transform) {
        return add(video, clip, transform, 0);
    }

    /** Transforms a sampled clip into the next slot, marked as test-time view {@code view}; returns the slot. */
    public int add(String video, SampledClip clip, ClipTransform transform, int view) {
        ensureRoom();
        if (clip.frames().size() != layout.frames() || transform.height() != layout.height()
                || transform.width() != layout.width()) {
            throw new IllegalArgumentException("clip of " + clip.frames().size() + " frames at " + transform.height()
                    + "x" + transform.width() + " does not fit " + layout);
        }
        long at = (long) size * layout.bytesPerClip();
        if (layout.storage() == ClipLayout.Storage.UINT8) {
            byte[] b = scratchBytes();
            transform.toUint8(clip.frames(), b, 0);
            data.setBytes(at, b, 0, b.length);
        } else {
            float[] f = scratchFloats();
            transform.toFloat(clip.frames(), f, 0);
            putFloats(at, f);
        }
        return record(video, clip.index(), clip.startSec(), clip.endSec(), view);
    }

    /** Copies one clip's stored values ({@code bytesPerClip} bytes, little-endian floats) into the next slot. */
    public int addStored(String video, int clip, double startSec, double endSec, ArrowBuf src, long srcIndex) {
        ensureRoom();
        data.setBytes((long) size * layout.bytesPerClip(), src, srcIndex, layout.bytesPerClip());
        return record(video, clip, startSec, endSec, 0);
    }

    private int record(String video, int clip, double start, double end, int view) {
        videos[size] = video;
        views[size] = view;
        clips[size] = clip;
        starts[size] = start;
        ends[size] = end;
        return size++;
    }

    public String video(int slot) {
        check(slot);
        return videos[slot];
    }

    public int clipIndex(int slot) {
        check(slot);
        return clips[slot];
    }

    public double startSec(int slot) {
        check(slot);
        return starts[slot];
    }

    /** The test-time view of the clip in this slot (0 unless several views were added). */
    public int view(int slot) {
        check(slot);
        return views[slot];
    }

    public double endSec(int slot) {
        check(slot);
        return ends[slot];
    }

    /** The buffer, {@code size · bytesPerClip} bytes of it in use. */
    public ArrowBuf data() {
        ensureOpen();
        return data;
    }

    /** The clips held as a normalized float tensor {@code [size, 3, T, H, W]} (a copy, on the heap). */
    public Tensor toTensor() {
        return tensor(0, size);
    }

    /** One clip as {@code [1, 3, T, H, W]}. */
    public Tensor clip(int slot) {
        check(slot);
        return tensor(slot, 1);
    }

    private Tensor tensor(int from, int n) {
        ensureOpen();
        if (n == 0) {
            throw new IllegalStateException("the batch is empty");
        }
        int per = layout.values();
        float[] out = new float[Math.multiplyExact(per, n)];
        for (int k = 0; k < n; k++) {
            long at = (long) (from + k) * layout.bytesPerClip();
            if (layout.storage() == ClipLayout.Storage.UINT8) {
                byte[] b = scratchBytes();
                data.getBytes(at, b, 0, b.length);
                normalize(b, out, k * per);
            } else {
                ByteBuffer bb = data.nioBuffer(at, per * 4).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().get(out, k * per, per);
            }
        }
        return new Tensor(out, n, 3, layout.frames(), layout.height(), layout.width());
    }

    /** (u / 255 - mean) / std in float32, as {@link ClipTransform#normalize}. */
    private void normalize(byte[] u8, float[] out, int offset) {
        int perChannel = layout.frames() * layout.height() * layout.width();
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int base = c * perChannel;
            for (int i = 0; i < perChannel; i++) {
                out[offset + base + i] = ((u8[base + i] & 0xff) / 255f - m) / s;
            }
        }
    }

    private void putFloats(long at, float[] f) {
        ByteBuffer bb = data.nioBuffer(at, f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer fb = bb.asFloatBuffer();
        fb.put(f);
    }

    private byte[] scratchBytes() {
        if (scratchBytes == null) {
            scratchBytes = new byte[layout.values()];
        }
        return scratchBytes;
    }

    private float[] scratchFloats() {
        if (scratchFloats == null) {
            scratchFloats = new float[layout.values()];
        }
        return scratchFloats;
    }

    private void ensureRoom() {
        ensureOpen();
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " clips)");
        }
    }

    private void check(int slot) {
        ensureOpen();
        if (slot < 0 || slot >= size) {
            throw new IndexOutOfBoundsException("slot " + slot + " of a batch holding " + size + " clips");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("batch is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        data.close();
        allocator.close();
    }
}
