package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The archive layer: what torch.save writes is read; what it never writes is refused by name. */
class StoredZipTest {
    private static Map<String, byte[]> handmade() {
        return Zips.entries(Fixtures.bytes("handmade.pth"));
    }

    private static String error(byte[] file) {
        return assertThrows(WeightFileException.class, () -> StateDictLoader.load(file, "t.pth")).getMessage();
    }

    @Test
    void aRezippedCheckpointLoadsAndAnyFolderNameWorks() {
        Map<String, byte[]> renamed = new LinkedHashMap<>();
        handmade().forEach((k, v) -> renamed.put(k.replace("archive/", "my model v2/"), v));
        StateDict sd = StateDictLoader.load(Zips.zip(renamed, false), "t.pth");
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 4f}, sd.get("a").data());
    }

    @Test
    void bigEndianStoragesAreReadWhenTheArchiveSaysSo() {
        Map<String, byte[]> e = handmade();
        ByteBuffer le = ByteBuffer.wrap(e.get("archive/data/0")).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = ByteBuffer.allocate(le.capacity()).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < le.capacity(); i += 4) {
            be.putFloat(i, le.getFloat(i));
        }
        e.put("archive/data/0", be.array());
        e.put("archive/byteorder", "big".getBytes());
        StateDict sd = StateDictLoader.load(Zips.zip(e, false), "t");
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 4f}, sd.get("a").data());
        e.put("archive/byteorder", "middle".getBytes());
        assertTrue(error(Zips.zip(e, false)).contains("archive/byteorder says 'middle'"));
    }

    @Test
    void compressedEntriesAreRefused() {
        String m = error(Zips.zip(handmade(), true));
        assertTrue(m.contains("t.pth: entry 'archive/version' is compressed (method 8)"), m);
    }

    @Test
    void corruptDataIsCaughtByItsCrc() {
        byte[] b = Fixtures.bytes("handmade.pth");
        byte[] storage = handmade().get("archive/data/0");
        int at = indexOf(b, storage);
        b[at + 1] ^= 0x10;
        assertTrue(error(b).contains("entry 'archive/data/0' is corrupt: its CRC-32 is"));
    }

    @Test
    void structuralProblemsAreNamed() {
        byte[] b = Fixtures.bytes("small.pth");
        assertTrue(error(Arrays.copyOf(b, b.length / 2)).contains("no zip end-of-central-directory record"));
        Map<String, byte[]> flat = new LinkedHashMap<>();
        flat.put("data.pkl", new byte[] {'.'});
        assertTrue(error(Zips.zip(flat, false)).contains("its first entry 'data.pkl' is not inside a folder"));
        Map<String, byte[]> noPickle = handmade();
        noPickle.remove("archive/data.pkl");
        assertTrue(error(Zips.zip(noPickle, false)).contains("not a PyTorch checkpoint: it has no 'archive/data.pkl'"));
        Map<String, byte[]> badVersion = handmade();
        badVersion.put("archive/version", "three".getBytes());
        assertTrue(error(Zips.zip(badVersion, false)).contains("archive/version says 'three'"));
        assertTrue(error(Zips.zip(new LinkedHashMap<>(), false)).contains("an empty zip archive"));
    }

    @Test
    void aStorageThatDoesNotMatchItsEntryIsRefused() {
        Map<String, byte[]> e = handmade();
        e.put("archive/data/0", new byte[12]);
        assertTrue(error(Zips.zip(e, false)).contains("storage '0' declares 4 F32 elements but its entry holds 12"
                + " bytes"));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
