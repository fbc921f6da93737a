package io.cubist.kernels.tensor;

/**
 * A triple of sizes along depth (time), height and width. 1D and 2D hyper-parameters are stored with unit
 * (or zero, for padding) leading entries, so {@code kernel=3} of a conv1d is {@code (1, 1, 3)}.
 */
public record Dims3(int d, int h, int w) {

    public static Dims3 of(int v) {
        return new Dims3(v, v, v);
    }

    /**
     * The 3D form of a hyper-parameter given for {@code spatialDims} dimensions: a single value applies to every
     * spatial dimension, a list must have exactly {@code spatialDims} entries; missing leading dimensions take
     * {@code fill}.
     */
    public static Dims3 expand(int[] values, int spatialDims, int fill, String name) {
        int[] v = new int[] {fill, fill, fill};
        if (values.length == 1) {
            for (int i = 3 - spatialDims; i < 3; i++) {
                v[i] = values[0];
            }
        } else if (values.length == spatialDims) {
            System.arraycopy(values, 0, v, 3 - spatialDims, spatialDims);
        } else {
            throw new IllegalArgumentException(name + " must be an int or a list of " + spatialDims + " ints, got "
                    + values.length + " values");
        }
        return new Dims3(v[0], v[1], v[2]);
    }

    public int get(int axis) {
        return switch (axis) {
            case 0 -> d;
            case 1 -> h;
            case 2 -> w;
            default -> throw new IndexOutOfBoundsException("axis " + axis);
        };
    }

    public int[] toArray() {
        return new int[] {d, h, w};
    }

    /** The trailing {@code spatialDims} entries, as PyTorch would print them. */
    public int[] toArray(int spatialDims) {
        int[] a = new int[spatialDims];
        for (int i = 0; i < spatialDims; i++) {
            a[i] = get(3 - spatialDims + i);
        }
        return a;
    }

    public long product() {
        return (long) d * h * w;
    }

    public boolean allEqual(int v) {
        return d == v && h == v && w == v;
    }

    public String toString(int spatialDims) {
        return java.util.Arrays.toString(toArray(spatialDims));
    }

    @Override
    public String toString() {
        return "(" + d + ", " + h + ", " + w + ")";
    }
}
