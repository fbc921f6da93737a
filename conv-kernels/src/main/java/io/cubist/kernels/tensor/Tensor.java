package io.cubist.kernels.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense float32 tensor in row-major (C) order. Convolution code views it as {@code [N, C, D, H, W]};
 * 1D and 2D tensors are the same data with unit dimensions inserted (see {@link #as5d(int)}).
 *
 * <p>The data array is owned by the tensor and exposed for kernels; {@link #reshape} shares it. A tensor an engine
 * made in its own memory ({@link #resident}) has no array until something on the host reads it: {@link #data()}
 * then copies the values over once, and the engine can keep using its own copy ({@link #resident()}).
 */
public final class Tensor {
    public static final int MAX_RANK = 8;

    /**
     * Values held in an engine's memory (a device buffer). Tensors are not modified once made, so the copy stays
     * valid for as long as the engine says it does; reading it after that is the engine's error to report.
     */
    public interface Resident {
        /** Copies the values, {@code into.length} of them, into {@code into}. */
        void download(float[] into);
    }

    /** The values: on the host, in an engine, or both; shared by {@link #reshape}s. */
    private static final class Storage {
        final int length;
        final Resident resident;
        volatile float[] host;

        Storage(float[] host, Resident resident, int length) {
            this.host = host;
            this.resident = resident;
            this.length = length;
        }

        float[] host() {
            float[] h = host;
            if (h == null) {
                synchronized (this) {
                    h = host;
                    if (h == null) {
                        h = new float[length];
                        resident.download(h);
                        host = h;
                    }
                }
            }
            return h;
        }
    }

    private final int[] shape;
    private final Storage storage;

    public Tensor(float[] data, int... shape) {
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("tensor rank must be <= " + MAX_RANK + ", got " + shape.length);
        }
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the data has " + data.length);
        }
        this.shape = shape.clone();
        this.storage = new Storage(data, null, data.length);
    }

    private Tensor(Storage storage, int[] shape) {
        if (numel(shape) != storage.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel(shape)
                    + " elements but the data has " + storage.length);
        }
        this.shape = shape.clone();
        this.storage = storage;
    }

    /** A tensor whose values are in an engine's memory; the host array is made when {@link #data()} is read. */
    public static Tensor resident(Resident values, int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large");
        }
        return new Tensor(new Storage(null, java.util.Objects.requireNonNull(values, "values"), (int) n), shape);
    }

    /** The engine's copy of the values, or null for a tensor made on the host. */
    public Resident resident() {
        return storage.resident;
    }

    /** Whether the values are on the host (made there, or already read back from the engine). */
    public boolean onHost() {
        return storage.host != null;
    }

    public static Tensor zeros(int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large ("
                    + n + " elements; at most " + (Integer.MAX_VALUE - 8) + ")");
        }
        return new Tensor(new float[(int) n], shape);
    }

    /** Uniform values in [-1, 1) from a fixed seed: for tests and benchmarks. */
    public static Tensor random(long seed, int... shape) {
        Tensor t = zeros(shape);
        float[] d = t.data();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < t.numel(); i++) {
            d[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return t;
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                n = Long.MAX_VALUE / 2; // saturate; callers compare against the data length
            }
        }
        return n;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end as in PyTorch. */
    public int dim(int i) {
        int j = i < 0 ? shape.length + i : i;
        if (j < 0 || j >= shape.length) {
            throw new IndexOutOfBoundsException("dimension " + i + " of a rank-" + shape.length + " tensor");
        }
        return shape[j];
    }

    public int numel() {
        return storage.length;
    }

    /** The backing array (row-major). Kernels read and write it directly. */
    public float[] data() {
        return storage.host();
    }

    public Tensor reshape(int... newShape) {
        return new Tensor(storage, newShape);
    }

    public Tensor copy() {
        return new Tensor(data().clone(), shape);
    }

    /**
     * The 5D view {@code [N, C, D, H, W]} of an input with {@code spatialDims} (1, 2 or 3) trailing spatial
     * dimensions: {@code [N,C,W] -> [N,C,1,1,W]}, {@code [N,C,H,W] -> [N,C,1,H,W]}.
     */
    public Tensor as5d(int spatialDims) {
        return reshape(shape5d(shape, spatialDims));
    }

    /** See {@link #as5d(int)}; works on weight shapes too ({@code [O, I, k...]}). */
    public static int[] shape5d(int[] shape, int spatialDims) {
        if (spatialDims < 1 || spatialDims > 3) {
            throw new IllegalArgumentException("spatial dimensions must be 1, 2 or 3, got " + spatialDims);
        }
        if (shape.length != spatialDims + 2) {
            throw new IllegalArgumentException("expected a rank-" + (spatialDims + 2) + " tensor, got shape "
                    + Arrays.toString(shape));
        }
        int[] s = {shape[0], shape[1], 1, 1, 1};
        System.arraycopy(shape, 2, s, 5 - spatialDims, spatialDims);
        return s;
    }

    /** Largest absolute element-wise difference; shapes must match. */
    public double maxAbsDiff(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shape mismatch: " + Arrays.toString(shape) + " vs "
                    + Arrays.toString(other.shape));
        }
        double m = 0;
        float[] data = data();
        float[] od = other.data();
        for (int i = 0; i < data.length; i++) {
            double d = Math.abs((double) data[i] - od[i]);
            if (!(d <= m)) {
                m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }

    public double maxAbs() {
        double m = 0;
        for (float v : data()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
