package io.cubist.kernels.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cubist.kernels.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random damage to a valid file: every read either succeeds or fails with a SafeTensorsException, never another
 * exception, an out-of-memory error or a hang. Fixed seed, so a failure reproduces.
 */
class SafeTensorsFuzzTest {
    private static final int ROUNDS = 2000;
    private static final byte[] JSON_BYTES = "{}[]:,\"\\-+.0123456789eE \t\nntfu_FIBU".getBytes(StandardCharsets.US_ASCII);

    private static byte[] seedFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[8,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[16,24]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[24,32]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[32,32]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[32,56]}}  ";
        byte[] data = new byte[56];
        new SplittableRandom(7).nextBytes(data);
        return StFixtures.file(header, data);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a guard against hangs, not a performance check
    void mutatedFilesFailCleanlyOrRead() {
        byte[] seed = seedFile();
        SafeTensors.read(seed).getAll(); // the seed itself is valid
        int headerEnd = 8 + (int) ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        SplittableRandom r = new SplittableRandom(20240611L);
        int ok = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = seed.clone();
            StringBuilder what = new StringBuilder();
            int mutations = 1 + r.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                b = mutate(b, headerEnd, r, what);
            }
            try {
                TensorFile f = SafeTensors.read(b);
                for (String name : f.names()) {
                    f.dtype(name);
                    f.shape(name);
                    f.getDoubles(name);
                    try {
                        Tensor t = f.get(name);
                        assertTrue(t.numel() <= b.length);
                    } catch (SafeTensorsException rankOrSize) {
                        // a mutated shape may exceed Tensor's rank limit
                    }
                }
                f.metadata().forEach((k, v) -> { });
                ok++;
            } catch (SafeTensorsException expected) {
                assertTrue(expected.getMessage().startsWith("in-memory safetensors"), expected.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail("round " + round + " (" + what + ") threw " + t + " for "
                        + HexFormat.of().formatHex(Arrays.copyOf(b, Math.min(b.length, 400))), t);
            }
        }
        assertTrue(ok > 50 && rejected > 1000, "ok " + ok + ", rejected " + rejected);
    }

    private static byte[] mutate(byte[] b, int headerEnd, SplittableRandom r, StringBuilder what) {
        if (b.length <= 8) {
            return b; // already cut into the length field: nothing left worth damaging
        }
        switch (r.nextInt(8)) {
            case 0 -> { // flip one bit anywhere
                int i = r.nextInt(b.length);
                b[i] ^= (byte) (1 << r.nextInt(8));
                what.append("flip@").append(i).append(' ');
            }
            case 1 -> { // a JSON-significant byte in the header
                int i = r.nextInt(Math.min(b.length, headerEnd));
                b[i] = JSON_BYTES[r.nextInt(JSON_BYTES.length)];
                what.append("json@").append(i).append(' ');
            }
            case 2 -> { // any byte in the header
                int i = r.nextInt(Math.min(b.length, headerEnd));
                b[i] = (byte) r.nextInt(256);
                what.append("byte@").append(i).append(' ');
            }
            case 3 -> { // a digit in the header: shapes and offsets
                int i = 8 + r.nextInt(Math.max(1, Math.min(b.length, headerEnd) - 8));
                if (i < b.length && b[i] >= '0' && b[i] <= '9') {
                    b[i] = (byte) ('0' + r.nextInt(10));
                }
                what.append("digit@").append(i).append(' ');
            }
            case 4 -> { // the length field: small shifts and wild values
                long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                long v = switch (r.nextInt(4)) {
                    case 0 -> n + r.nextInt(-16, 17);
                    case 1 -> r.nextLong();
                    case 2 -> r.nextLong(0, 1L << 32);
                    default -> Integer.MAX_VALUE - r.nextInt(16);
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
                what.append("len=").append(v).append(' ');
            }
            case 5 -> { // truncate
                int n = r.nextInt(b.length + 1);
                what.append("truncate=").append(n).append(' ');
                return Arrays.copyOf(b, n);
            }
            case 6 -> { // extend with random bytes
                int n = 1 + r.nextInt(64);
                byte[] e = Arrays.copyOf(b, b.length + n);
                for (int i = b.length; i < e.length; i++) {
                    e[i] = (byte) r.nextInt(256);
                }
                what.append("extend+").append(n).append(' ');
                return e;
            }
            default -> { // insert or delete a byte inside the header
                int i = 8 + r.nextInt(Math.max(1, Math.min(b.length, headerEnd) - 8));
                byte[] e;
                if (r.nextBoolean()) {
                    e = new byte[b.length + 1];
                    System.arraycopy(b, 0, e, 0, i);
                    e[i] = JSON_BYTES[r.nextInt(JSON_BYTES.length)];
                    System.arraycopy(b, i, e, i + 1, b.length - i);
                } else {
                    e = new byte[b.length - 1];
                    System.arraycopy(b, 0, e, 0, i);
                    System.arraycopy(b, i + 1, e, i, b.length - i - 1);
                }
                what.append("splice@").append(i).append(' ');
                return e;
            }
        }
        return b;
    }
}
