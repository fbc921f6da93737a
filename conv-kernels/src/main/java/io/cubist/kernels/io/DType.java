package io.cubist.kernels.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The element types of a safetensors file that Cubist reads, by their names in the header. Every one converts to
 * float32 (and to float64 for {@link TensorFile#getDoubles}); only {@link #F32} and {@link #F64} are written.
 *
 * <p>Conversions: F16 and BF16 widen exactly (subnormals, infinities and NaN included); F64 and the 64-bit integers
 * round to nearest; BOOL is 0 or 1.
 */
public enum DType {
    BOOL(1), U8(1), I8(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

    /** Types the safetensors format defines that Cubist does not read: named as such in errors. */
    private static final List<String> KNOWN_UNSUPPORTED = List.of("F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3",
            "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64");

    private final int size;

    DType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The type named {@code name} in a header; the message lists the readable types otherwise. */
    public static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        String allowed = Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
        if (KNOWN_UNSUPPORTED.contains(name)) {
            throw new IllegalArgumentException("dtype " + name + " is a safetensors type Cubist cannot read; readable: "
                    + allowed);
        }
        String shown = name.length() > 40 ? name.substring(0, 40) + "..." : name;
        throw new IllegalArgumentException("unknown dtype '" + shown + "'; expected one of " + allowed);
    }

    /** Converts {@code n} elements from {@code src} (little-endian, at its position) into {@code dst[off..]}. */
    void toFloats(ByteBuffer src, float[] dst, int off, int n) {
        int p = src.position();
        switch (this) {
            case BOOL -> { for (int i = 0; i < n; i++) { dst[off + i] = src.get(p + i) != 0 ? 1f : 0f; } }
            case U8 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.get(p + i) & 0xff; } }
            case I8 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.get(p + i); } }
            case I16 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getShort(p + 2 * i); } }
            case U16 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getShort(p + 2 * i) & 0xffff; } }
            case F16 -> { for (int i = 0; i < n; i++) { dst[off + i] = halfToFloat(src.getShort(p + 2 * i)); } }
            case BF16 -> { for (int i = 0; i < n; i++) { dst[off + i] = bfloat16ToFloat(src.getShort(p + 2 * i)); } }
            case I32 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getInt(p + 4 * i); } }
            case U32 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getInt(p + 4 * i) & 0xffffffffL; } }
            case F32 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getFloat(p + 4 * i); } }
            case F64 -> { for (int i = 0; i < n; i++) { dst[off + i] = (float) src.getDouble(p + 8 * i); } }
            case I64 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getLong(p + 8 * i); } }
            case U64 -> { for (int i = 0; i < n; i++) { dst[off + i] = unsignedToFloat(src.getLong(p + 8 * i)); } }
            default -> throw new AssertionError(this);
        }
    }

    /** As {@link #toFloats}, widening to double: exact for every type but I64/U64 beyond 2^53. */
    void toDoubles(ByteBuffer src, double[] dst, int off, int n) {
        int p = src.position();
        switch (this) {
            case F64 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getDouble(p + 8 * i); } }
            case I64 -> { for (int i = 0; i < n; i++) { dst[off + i] = src.getLong(p + 8 * i); } }
            case U64 -> { for (int i = 0; i < n; i++) { dst[off + i] = unsignedToDouble(src.getLong(p + 8 * i)); } }
            default -> {
                // Every other type is exactly representable as float, hence as double.
                float[] f = new float[n];
                toFloats(src, f, 0, n);
                for (int i = 0; i < n; i++) {
                    dst[off + i] = f[i];
                }
            }
        }
    }

    /** IEEE 754 binary16 to binary32, exact (Float.float16ToFloat arrived only in Java 20). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            // Infinity, or NaN with its payload moved to the top of the float mantissa.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // Zero or subnormal: mant * 2^-24, exact in float.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** bfloat16 is the top half of a binary32. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** An unsigned 64-bit value rounded to nearest float; the sticky low bit keeps the halving exact for rounding. */
    private static float unsignedToFloat(long v) {
        return v >= 0 ? (float) v : 2f * (float) ((v >>> 1) | (v & 1));
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? (double) v : 2.0 * (double) ((v >>> 1) | (v & 1));
    }
}
