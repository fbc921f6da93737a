package io.cubist.kernels.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense float32 tensor in row-major (C) order. Convolution code views it as {@code [N, C, D, H, W]};
 * 1D and 2D tensors are the same data with unit dimensions inserted (see {@link #as5d(int)}).
 *
 * <p>The data array is owned by the tensor and exposed for kernels; {@link #reshape} shares it.
 */
public final class Tensor {
    public static final int MAX_RANK = 8;

    private final int[] shape;
    private final float[] data;

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
        this.data = data;
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
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) (r.nextDouble() * 2 - 1);
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
        return data.length;
    }

    /** The backing array (row-major). Kernels read and write it directly. */
    public float[] data() {
        return data;
    }

    public Tensor reshape(int... newShape) {
        return new Tensor(data, newShape);
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape);
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
        for (int i = 0; i < data.length; i++) {
            double d = Math.abs((double) data[i] - other.data[i]);
            if (!(d <= m)) {
                m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }

    public double maxAbs() {
        double m = 0;
        for (float v : data) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
