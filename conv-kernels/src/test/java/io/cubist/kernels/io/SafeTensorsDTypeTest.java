package io.cubist.kernels.io;

import static io.cubist.kernels.io.StFixtures.bytes;
import static io.cubist.kernels.io.StFixtures.doubles;
import static io.cubist.kernels.io.StFixtures.file;
import static io.cubist.kernels.io.StFixtures.floats;
import static io.cubist.kernels.io.StFixtures.ints;
import static io.cubist.kernels.io.StFixtures.longs;
import static io.cubist.kernels.io.StFixtures.one;
import static io.cubist.kernels.io.StFixtures.shorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;

import org.junit.jupiter.api.Test;

/** Files built byte by byte, one per dtype, read back as float32 (and float64). */
class SafeTensorsDTypeTest {

    private static TensorFile single(String dtype, int n, byte[] data) {
        return SafeTensors.read(file(one("t", dtype, "[" + n + "]", 0, data.length), data));
    }

    private static void assertBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    "element " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    @Test
    void f16() {
        TensorFile f = single("F16", 12, shorts(0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x0000,
                0x7C00, 0xFC00, 0x7E00, 0x3555));
        assertEquals(DType.F16, f.dtype("t"));
        assertBits(new float[] {1f, -2.5f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, -0f, 0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.333251953125f}, f.get("t").data());
        assertEquals(-0.0, f.getDoubles("t")[6]);
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(f.getDoubles("t")[6]));
    }

    /** Every one of the 65536 half-precision patterns against sign · 2^(e−15) · (1 + m/1024) computed in double. */
    @Test
    void f16EveryPatternIsExact() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15;
            int e = (h >>> 10) & 0x1f;
            int m = h & 0x3ff;
            double v;
            if (e == 0x1f) {
                v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (e == 0) {
                v = Math.scalb((double) m, -24);
            } else {
                v = Math.scalb(1.0 + m / 1024.0, e - 15);
            }
            float expected = (float) (sign == 1 ? -v : v);
            float got = DType.halfToFloat((short) h);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(got), Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got), Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16() {
        TensorFile f = single("BF16", 9, shorts(0x3F80, 0xC020, 0x7F7F, 0x0001, 0x0080, 0x8000, 0x7F80, 0xFF80,
                0x7FC0));
        assertBits(new float[] {1f, -2.5f, Float.intBitsToFloat(0x7F7F0000), 0x1p-133f, 0x1p-126f, -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}, f.get("t").data());
        assertEquals(3.3895313892515355e38, f.getDoubles("t")[2]);
    }

    @Test
    void f64RoundsToFloatAndStaysExactAsDouble() {
        double[] v = {0.1, -2.5, 1e300, -1e-300, Double.NaN, 1 + 0x1p-30};
        TensorFile f = single("F64", v.length, doubles(v));
        assertBits(new float[] {0.1f, -2.5f, Float.POSITIVE_INFINITY, -0f, Float.NaN, 1f}, f.get("t").data());
        assertArrayEquals(v, f.getDoubles("t"));
    }

    @Test
    void f32() {
        float[] v = {1.5f, -0f, Float.MIN_VALUE, Float.NaN};
        TensorFile f = single("F32", v.length, floats(v));
        assertBits(v, f.get("t").data());
        assertArrayEquals(new double[] {1.5, -0.0, Float.MIN_VALUE, Double.NaN}, f.getDoubles("t"));
    }

    @Test
    void i64() {
        long[] v = {0, -3, 1L << 53, (1L << 53) + 1, Long.MAX_VALUE, Long.MIN_VALUE, 16777217};
        TensorFile f = single("I64", v.length, longs(v));
        assertBits(new float[] {0f, -3f, 0x1p53f, 0x1p53f, 0x1p63f, -0x1p63f, 16777216f}, f.get("t").data());
        assertArrayEquals(new double[] {0, -3, 0x1p53, 0x1p53, 0x1p63, -0x1p63, 16777217}, f.getDoubles("t"));
    }

    @Test
    void u64IsUnsigned() {
        TensorFile f = single("U64", 3, longs(-1L, Long.MIN_VALUE, 5));
        assertBits(new float[] {0x1p64f, 0x1p63f, 5f}, f.get("t").data());
        assertArrayEquals(new double[] {0x1p64, 0x1p63, 5}, f.getDoubles("t"));
        // Rounding of the halved value must not double-round: 2^63 + 2^39 + 1 lies just above a float tie.
        TensorFile g = single("U64", 1, longs(Long.MIN_VALUE + (1L << 39) + 1));
        assertEquals(0x1p63f + 0x1p40f, g.get("t").data()[0]);
    }

    @Test
    void smallIntegersAndBool() {
        assertBits(new float[] {-2147483648f, 7f, -1f}, single("I32", 3, ints(Integer.MIN_VALUE, 7, -1)).get("t")
                .data());
        assertBits(new float[] {4294967295f, 7f}, single("U32", 2, ints(-1, 7)).get("t").data());
        assertBits(new float[] {-32768f, 65535f - 65536f}, single("I16", 2, shorts(0x8000, 0xFFFF)).get("t").data());
        assertBits(new float[] {32768f, 65535f}, single("U16", 2, shorts(0x8000, 0xFFFF)).get("t").data());
        assertBits(new float[] {-128f, 127f, -1f}, single("I8", 3, bytes(0x80, 0x7F, 0xFF)).get("t").data());
        assertBits(new float[] {128f, 127f, 255f}, single("U8", 3, bytes(0x80, 0x7F, 0xFF)).get("t").data());
        assertBits(new float[] {0f, 1f, 1f}, single("BOOL", 3, bytes(0, 1, 2)).get("t").data());
    }

    @Test
    void mixedDtypesWithShapesAndScalars() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,1],\"data_offsets\":[0,4]},"
                + "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]},"
                + "\"z\":{\"dtype\":\"I64\",\"shape\":[0,3],\"data_offsets\":[12,12]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[12,20]}}        ";
        byte[] data = new byte[20];
        System.arraycopy(shorts(0x3C00, 0xC000), 0, data, 0, 4);
        System.arraycopy(doubles(0.5), 0, data, 4, 8);
        System.arraycopy(longs(42), 0, data, 12, 8);
        TensorFile f = SafeTensors.read(file(header, data));
        assertEquals(java.util.List.of("h", "s", "z", "i"), f.names());
        Tensor h = f.get("h");
        assertArrayEquals(new int[] {2, 1}, h.shape());
        assertArrayEquals(new float[] {1f, -2f}, h.data());
        assertEquals(0, f.get("s").rank());
        assertArrayEquals(new float[] {0.5f}, f.get("s").data());
        assertArrayEquals(new int[] {0, 3}, f.get("z").shape());
        assertEquals(0, f.getDoubles("z").length);
        assertArrayEquals(new float[] {42f}, f.get("i").data());
        assertEquals(DType.I64, f.dtype("i"));
        assertEquals("pt", f.metadata().get("format"));
    }

    @Test
    void extraKeysInAnEntryAreIgnoredAsByTheReference() {
        TensorFile f = SafeTensors.read(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                + "\"extra\":[1,2]},\"__metadata__\":null}", floats(3f)));
        assertArrayEquals(new float[] {3f}, f.get("t").data());
        assertTrue(f.metadata().isEmpty());
    }
}
