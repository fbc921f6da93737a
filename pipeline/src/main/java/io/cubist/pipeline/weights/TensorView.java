package io.cubist.pipeline.weights;

import io.cubist.kernels.io.DType;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A tensor as a PyTorch checkpoint describes it ({@code torch._utils._rebuild_tensor_v2}): a view of a storage with an
 * element offset, a size and strides. Checked when it is built, so that {@link #toTensor} can neither read outside the
 * storage nor allocate more than the view's elements; it copies the view, contiguous or not, into a row-major float32
 * {@link Tensor}.
 *
 * @param storage the storage viewed
 * @param offset  the first element, in storage elements
 * @param size    the view's shape
 * @param stride  per dimension, the distance in storage elements between neighbours (non-negative)
 */
record TensorView(Storage storage, long offset, int[] size, long[] stride) {
    /**
     * A typed storage of a zip checkpoint: entry {@code <archive>/data/<key>} holds {@code numel} little-endian (or,
     * when the archive says so, big-endian) elements of {@code dtype}.
     */
    record Storage(String key, DType dtype, long numel, StoredZip.Entry entry) {
    }

    /**
     * Why a view is not valid, or null when it is: the shape fits a {@link Tensor}, the strides are non-negative and
     * every element it covers lies inside the storage (computed without overflow).
     */
    static String problem(Storage storage, long offset, long[] size, long[] stride) {
        if (size.length != stride.length) {
            return "size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " have different lengths";
        }
        if (size.length > Tensor.MAX_RANK) {
            return "a rank-" + size.length + " tensor; Cubist tensors have at most " + Tensor.MAX_RANK + " dimensions";
        }
        if (offset < 0) {
            return "negative storage offset " + offset;
        }
        long numel = 1;
        for (int d = 0; d < size.length; d++) {
            if (size[d] < 0) {
                return "negative size " + size[d] + " in " + Arrays.toString(size);
            }
            if (size[d] > TensorFile.MAX_ELEMENTS) {
                return "size " + Arrays.toString(size) + " has a dimension of more than " + TensorFile.MAX_ELEMENTS;
            }
            if (stride[d] < 0) {
                return "negative stride " + stride[d] + " in " + Arrays.toString(stride);
            }
            numel *= size[d];
            if (numel > TensorFile.MAX_ELEMENTS) {
                return "size " + Arrays.toString(size) + " has more than " + TensorFile.MAX_ELEMENTS
                        + " elements, more than one tensor can hold";
            }
        }
        if (numel == 0) {
            return null;
        }
        try {
            long last = offset;
            for (int d = 0; d < size.length; d++) {
                last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
            }
            if (last < storage.numel()) {
                return null;
            }
            return "size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + " and offset " + offset
                    + " reach element " + last + " of a storage of " + storage.numel() + " elements (key "
                    + KeyNames.quote(storage.key()) + ")";
        } catch (ArithmeticException overflow) {
            return "size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + " and offset " + offset
                    + " reach beyond 2^63 elements, far outside the storage of " + storage.numel() + " elements";
        }
    }

    /** Builds a view that {@link #problem} found valid. */
    static TensorView of(Storage storage, long offset, long[] size, long[] stride) {
        String problem = problem(storage, offset, size, stride);
        if (problem != null) {
            throw new IllegalStateException(problem); // callers check first; this is a programming error
        }
        return new TensorView(storage, offset, Arrays.stream(size).mapToInt(Math::toIntExact).toArray(),
                stride.clone());
    }

    long numel() {
        return Tensor.numel(size);
    }

    /**
     * The view's elements in row-major order, converted to float32. {@code bytes} is the whole storage, in the
     * checkpoint's byte order; runs along the last dimensions that are contiguous in the storage are copied in one go.
     */
    Tensor toTensor(ByteBuffer bytes) {
        float[] out = new float[(int) numel()];
        if (out.length > 0) {
            // Merge trailing dimensions that are contiguous in the storage into one run.
            int rank = size.length;
            long run = rank == 0 ? 1 : size[rank - 1];
            long runStride = rank == 0 ? 1 : stride[rank - 1];
            int outer = rank - 1;
            while (outer > 0 && stride[outer - 1] == runStride * run && runStride == 1) {
                run *= size[outer - 1];
                outer--;
            }
            int[] index = new int[Math.max(outer, 0)];
            for (int done = 0; done < out.length; done += (int) run) {
                long base = offset;
                for (int d = 0; d < outer; d++) {
                    base += index[d] * stride[d];
                }
                convert(bytes, storage.dtype(), base, runStride, (int) run, out, done);
                for (int d = outer - 1; d >= 0; d--) {
                    if (++index[d] < size[d]) {
                        break;
                    }
                    index[d] = 0;
                }
            }
        }
        return new Tensor(out, size);
    }

    /** {@code n} elements from {@code src} at element {@code start}, {@code step} apart, to {@code dst[off..]}. */
    private static void convert(ByteBuffer src, DType t, long start, long step, int n, float[] dst, int off) {
        int s = t.size();
        switch (t) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.getFloat(j);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = (float) src.getDouble(j);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = halfToFloat(src.getShort(j));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = bfloat16ToFloat(src.getShort(j));
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.getLong(j);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.getInt(j);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.getShort(j);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.get(j);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.get(j) & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    int j = at(start, step, i, s);
                    dst[off + i] = src.get(j) != 0 ? 1f : 0f;
                }
            }
            default -> throw new IllegalStateException("no PyTorch storage class holds " + t);
        }
    }

    /** Byte index of element {@code start + i * step}; {@link #problem} proved it lies inside the storage. */
    private static int at(long start, long step, int i, int elementSize) {
        return (int) ((start + i * step) * elementSize);
    }

    /** IEEE 754 binary16 to binary32, exact (as DType does for safetensors; Float.float16ToFloat is Java 20). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // zero or subnormal: exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** bfloat16 is the top half of a binary32. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "TensorView[" + storage.key() + ", offset " + offset + ", size " + Arrays.toString(size) + ", stride "
                + Arrays.toString(stride) + "]";
    }
}
