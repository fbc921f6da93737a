package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cubist.kernels.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random damage to valid checkpoints, to the raw file (zip structure) and to the pickle inside a well-formed zip:
 * every load either succeeds or fails with a WeightFileException, never another exception, an out-of-memory error,
 * a stack overflow or a hang. Fixed seed, so a failure reproduces.
 */
class CheckpointFuzzTest {
    private static final int ROUNDS = 1200;
    private static final List<String> SEEDS = List.of("small_p4.pth", "views.pth", "checkpoint.pth", "params.pth");
    /** Opcodes a mutation inserts: the ones the reader knows, plus a few it refuses. */
    private static final byte[] OPCODES = ("()}]NKMJXqrhjtlaeduscR0b12Q.IiG"
            + "\u0085\u0086\u0087\u0088\u0089\u008a\u008c\u0093\u0094\u0095\u0081")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against hangs, not a performance check
    void mutatedCheckpointsFailCleanlyOrLoad() {
        List<byte[]> files = new ArrayList<>();
        List<Map<String, byte[]>> parts = new ArrayList<>();
        for (String s : SEEDS) {
            byte[] b = Fixtures.bytes(s);
            StateDictLoader.load(b, s); // each seed is valid
            files.add(b);
            parts.add(Zips.entries(b));
        }
        SplittableRandom r = new SplittableRandom(20240917L);
        int ok = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int seed = r.nextInt(SEEDS.size());
            StringBuilder what = new StringBuilder(SEEDS.get(seed)).append(": ");
            byte[] b;
            if (r.nextInt(3) == 0) {
                b = files.get(seed).clone();
                for (int m = 1 + r.nextInt(3); m > 0; m--) {
                    b = mutateFile(b, r, what);
                }
            } else {
                Map<String, byte[]> entries = new LinkedHashMap<>(parts.get(seed));
                String pkl = entries.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
                byte[] p = entries.get(pkl).clone();
                for (int m = 1 + r.nextInt(3); m > 0; m--) {
                    p = mutatePickle(p, r, what);
                }
                entries.put(pkl, p);
                if (r.nextInt(5) == 0) {
                    mutateStorage(entries, r, what);
                }
                b = Zips.zip(entries, false);
            }
            try {
                StateDict sd = StateDictLoader.load(b, "fuzz.pth");
                for (String k : sd.keys()) {
                    Tensor t = sd.get(k);
                    assertEquals(Tensor.numel(t.shape()), t.data().length);
                }
                ok++;
            } catch (WeightFileException expected) {
                assertTrue(expected.getMessage().startsWith("fuzz.pth"), expected.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail("round " + round + " (" + what + ") threw " + t + " for "
                        + HexFormat.of().formatHex(Arrays.copyOf(b, Math.min(b.length, 600))), t);
            }
        }
        assertTrue(ok > 20 && rejected > 600, "ok " + ok + ", rejected " + rejected);
    }

    private static byte[] mutateFile(byte[] b, SplittableRandom r, StringBuilder what) {
        if (b.length == 0) {
            return b;
        }
        switch (r.nextInt(5)) {
            case 0 -> {
                int i = r.nextInt(b.length);
                b[i] ^= (byte) (1 << r.nextInt(8));
                what.append("flip@").append(i).append(' ');
            }
            case 1 -> { // a 16- or 32-bit field: sizes, offsets and counts in the zip headers
                int i = r.nextInt(Math.max(1, b.length - 4));
                int v = switch (r.nextInt(5)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> 0xffff;
                    case 3 -> r.nextInt();
                    default -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(i) + r.nextInt(-64, 65);
                };
                if (i + 4 <= b.length) {
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(i, v);
                }
                what.append("int@").append(i).append('=').append(v).append(' ');
            }
            case 2 -> { // the end of the file: the central directory and its end record
                int i = Math.max(0, b.length - 1 - r.nextInt(Math.min(b.length, 200)));
                b[i] = (byte) r.nextInt(256);
                what.append("tail@").append(i).append(' ');
            }
            case 3 -> {
                int n = r.nextInt(b.length + 1);
                what.append("truncate=").append(n).append(' ');
                return Arrays.copyOf(b, n);
            }
            default -> {
                int i = r.nextInt(b.length);
                byte[] e = new byte[b.length + 1];
                System.arraycopy(b, 0, e, 0, i);
                e[i] = (byte) r.nextInt(256);
                System.arraycopy(b, i, e, i + 1, b.length - i);
                what.append("insert@").append(i).append(' ');
                return e;
            }
        }
        return b;
    }

    private static byte[] mutatePickle(byte[] p, SplittableRandom r, StringBuilder what) {
        if (p.length == 0) {
            return p;
        }
        int i = r.nextInt(p.length);
        switch (r.nextInt(7)) {
            case 0 -> {
                p[i] ^= (byte) (1 << r.nextInt(8));
                what.append("pflip@").append(i).append(' ');
            }
            case 1 -> {
                p[i] = (byte) r.nextInt(256);
                what.append("pbyte@").append(i).append(' ');
            }
            case 2 -> {
                p[i] = OPCODES[r.nextInt(OPCODES.length)];
                what.append("pop@").append(i).append(' ');
            }
            case 3 -> { // an integer argument: sizes, strides, offsets, numels, memo indices
                p[i] = (byte) (r.nextBoolean() ? 0 : r.nextBoolean() ? 0xff : r.nextInt(256));
                if (i + 1 < p.length && r.nextBoolean()) {
                    p[i + 1] = (byte) 0xff;
                }
                what.append("parg@").append(i).append(' ');
            }
            case 4 -> {
                int n = Math.min(p.length - i, 1 + r.nextInt(12));
                byte[] e = new byte[p.length - n];
                System.arraycopy(p, 0, e, 0, i);
                System.arraycopy(p, i + n, e, i, p.length - i - n);
                what.append("pdelete@").append(i).append('+').append(n).append(' ');
                return e;
            }
            case 5 -> { // repeat a stretch of the pickle: duplicated opcodes, shifted structure
                int n = Math.min(p.length - i, 1 + r.nextInt(40));
                byte[] e = new byte[p.length + n];
                System.arraycopy(p, 0, e, 0, i + n);
                System.arraycopy(p, i, e, i + n, p.length - i);
                what.append("pdup@").append(i).append('+').append(n).append(' ');
                return e;
            }
            default -> {
                what.append("ptruncate=").append(i).append(' ');
                return Arrays.copyOf(p, i);
            }
        }
        return p;
    }

    private static void mutateStorage(Map<String, byte[]> entries, SplittableRandom r, StringBuilder what) {
        List<String> storages = entries.keySet().stream().filter(n -> n.contains("/data/")).toList();
        if (storages.isEmpty()) {
            return;
        }
        String name = storages.get(r.nextInt(storages.size()));
        switch (r.nextInt(3)) {
            case 0 -> entries.remove(name);
            case 1 -> entries.put(name, Arrays.copyOf(entries.get(name), r.nextInt(entries.get(name).length + 9)));
            default -> entries.put(name.replace("/data/", "/data/x"), entries.remove(name));
        }
        what.append("storage ").append(name).append(' ');
    }
}
