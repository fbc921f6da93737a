package io.cubist.kernels.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-built safetensors bytes for the tests. */
final class StFixtures {
    private StFixtures() {
    }

    /** An 8-byte little-endian header length, the header exactly as given (UTF-8, unpadded), then the data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    /** A file whose length field says {@code length} whatever follows. */
    static byte[] withLength(long length, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(rest).array();
    }

    static byte[] shorts(int... v) {
        ByteBuffer b = le(2 * v.length);
        for (int x : v) {
            b.putShort((short) x);
        }
        return b.array();
    }

    static byte[] ints(int... v) {
        ByteBuffer b = le(4 * v.length);
        for (int x : v) {
            b.putInt(x);
        }
        return b.array();
    }

    static byte[] longs(long... v) {
        ByteBuffer b = le(8 * v.length);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = le(4 * v.length);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = le(8 * v.length);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** A one-tensor header. */
    static String one(String name, String dtype, String shape, long begin, long end) {
        return "{\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}}";
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
