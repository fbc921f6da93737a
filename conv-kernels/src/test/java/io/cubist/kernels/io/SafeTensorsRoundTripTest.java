package io.cubist.kernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsRoundTripTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weight", Tensor.random(1, 4, 3, 3, 3, 3));
        m.put("bias", Tensor.random(2, 4));
        m.put("scalar", new Tensor(new float[] {-7.25f}));
        m.put("empty", Tensor.zeros(2, 0, 5));
        m.put("specials", new Tensor(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f,
            Float.MIN_VALUE, Float.MAX_VALUE}, 2, 3));
        m.put("ünïcode name/with.dots", Tensor.random(3, 1, 2));
        return m;
    }

    private static void assertSame(Map<String, Tensor> expected, TensorFile f) {
        assertEquals(List.copyOf(expected.keySet()), f.names());
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor got = f.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
            assertArrayEquals(e.getValue().shape(), f.shape(e.getKey()), e.getKey());
            assertEquals(DType.F32, f.dtype(e.getKey()));
            float[] a = e.getValue().data();
            float[] b = got.data();
            for (int i = 0; i < a.length; i++) {
                // Bitwise: NaN, -0 and every payload survive.
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void roundTripThroughAFile() {
        Map<String, Tensor> t = sample();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "quotes \" and \\ and\nnewlines, ünïcode");
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, t, meta);

        TensorFile f = SafeTensors.read(p);
        assertSame(t, f);
        assertEquals(meta, f.metadata());
        assertEquals(p.toString(), f.source());
        assertEquals(List.copyOf(t.keySet()), List.copyOf(f.getAll().keySet()));
    }

    @Test
    void roundTripInMemoryMatchesTheFile() throws IOException {
        Map<String, Tensor> t = sample();
        byte[] bytes = SafeTensors.toBytes(t, Map.of("k", "v"));
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, t, Map.of("k", "v"));
        assertArrayEquals(bytes, Files.readAllBytes(p));
        assertSame(t, SafeTensors.read(bytes));
        assertEquals(Map.of("k", "v"), SafeTensors.read(bytes).metadata());
    }

    @Test
    void readsFromTheBufferPositionToItsLimit() {
        byte[] bytes = SafeTensors.toBytes(sample(), null);
        ByteBuffer b = ByteBuffer.allocate(bytes.length + 10);
        b.position(7);
        b.put(bytes);
        b.position(7).limit(7 + bytes.length);
        assertSame(sample(), SafeTensors.read(b, "buffer"));
    }

    @Test
    void emptyFileRoundTrips() {
        byte[] bytes = SafeTensors.toBytes(Map.of(), Map.of());
        assertEquals(16, bytes.length); // "{}" padded to 8
        TensorFile f = SafeTensors.read(bytes);
        assertTrue(f.names().isEmpty());
        assertTrue(f.metadata().isEmpty());
    }

    @Test
    void headerIsSpacePaddedToAMultipleOf8AndListsMetadataFirst() {
        byte[] bytes = SafeTensors.toBytes(Map.of("x", Tensor.zeros(3)), Map.of("a", "b"));
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"a\":\"b\"},\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                header.stripTrailing());
        assertTrue(header.length() - header.stripTrailing().length() < 8);
        assertEquals(8 + n + 12, bytes.length);
    }

    @Test
    void f64WriterKeepsDoublesExact() {
        double[] expected = {0.1, -1e300, Math.PI, Double.MIN_VALUE, Double.NaN, -0.0};
        byte[] bytes = SafeTensors.writer()
                .metadata("case", "conv3d")
                .f32("input", Tensor.random(5, 1, 2))
                .f64("expected", expected, 2, 3)
                .f64("scalar", new double[] {2.5})
                .toBytes();
        TensorFile f = SafeTensors.read(bytes);
        assertEquals(List.of("input", "expected", "scalar"), f.names());
        assertEquals(DType.F64, f.dtype("expected"));
        assertArrayEquals(new int[] {2, 3}, f.shape("expected"));
        assertArrayEquals(expected, f.getDoubles("expected"));
        assertArrayEquals(new int[0], f.shape("scalar"));
        assertArrayEquals(new double[] {2.5}, f.getDoubles("scalar"));
        // float view of F64 rounds to nearest
        assertEquals(0.1f, f.get("expected").data()[0]);
        assertEquals(Float.NEGATIVE_INFINITY, f.get("expected").data()[1]);
        // F32 as doubles widens exactly
        assertEquals((double) Tensor.random(5, 1, 2).data()[1], f.getDoubles("input")[1]);
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old contents");
        SafeTensors.write(p, Map.of("a", Tensor.zeros(2)), Map.of());
        assertArrayEquals(new int[] {2}, SafeTensors.read(p).shape("a"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void largeTensorsAreReadInChunks() {
        // Two 1 MiB chunks plus a tail, through the file path.
        Tensor big = Tensor.random(9, 2, 300_001);
        Path p = dir.resolve("big.safetensors");
        SafeTensors.write(p, Map.of("big", big), null);
        assertEquals(0.0, big.maxAbsDiff(SafeTensors.read(p).get("big")));
    }

    @Test
    void missingTensorNamesTheFileAndWhatItHas() {
        Path p = dir.resolve("m.safetensors");
        SafeTensors.write(p, sample(), null);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p).get("wieght"));
        assertTrue(e.getMessage().startsWith(p.toString() + ": no tensor 'wieght'; the file has 'weight', 'bias'"),
                e.getMessage());
        e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p).dtype("nope"));
        assertTrue(e.getMessage().contains("no tensor 'nope'"), e.getMessage());
        e = assertThrows(SafeTensorsException.class,
                () -> SafeTensors.read(SafeTensors.toBytes(Map.of(), null)).get("x"));
        assertTrue(e.getMessage().endsWith("no tensor 'x'; the file has no tensors"), e.getMessage());
    }

    @Test
    void missingFileIsAnIoError() {
        Path p = dir.resolve("absent.safetensors");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void aFileTruncatedAfterItsHeaderWasReadIsReported() throws IOException {
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, Map.of("a", Tensor.random(1, 100)), null);
        TensorFile f = SafeTensors.read(p);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4);
        }
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> f.get("a"));
        assertTrue(e.getMessage().contains("changed since"), e.getMessage());
    }

    @Test
    void writerRejectsBadNames() {
        SafeTensors.Writer w = SafeTensors.writer().f32("a", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.f32("a", Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("'a' was already added"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> w.f32("__metadata__", Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("cannot be named __metadata__"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> w.f64("d", new double[5], 2, 3));
        assertTrue(e.getMessage().contains("holds 6 elements but the data has 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.writer().f32("\ud800", Tensor.zeros(1))
                .toBytes());
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
        assertFalse(SafeTensors.read(w.toBytes()).names().isEmpty());
    }

    /**
     * Files above 2 GiB: offsets and sizes are 64-bit, the header is checked against the real size, and a tensor too
     * large for one Java array is refused by name instead of being allocated. The file is sparse, so this is cheap.
     */
    @Test
    void filesLargerThan2GiB() throws IOException {
        long big = 3_000_000_000L;
        String header = "{\"huge\":{\"dtype\":\"U8\",\"shape\":[60000,50000],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] head = StFixtures.file(header, new byte[0]);
        Path p = dir.resolve("sparse.safetensors");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(head), 0);
            ch.write(ByteBuffer.wrap(StFixtures.floats(1.5f, -2f)), head.length + big);
        }
        TensorFile f = SafeTensors.read(p);
        assertEquals(List.of("huge", "tail"), f.names());
        assertArrayEquals(new float[] {1.5f, -2f}, f.get("tail").data());
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> f.get("huge"));
        assertTrue(e.getMessage().contains("'huge' has 3000000000 elements; at most 2147483639"), e.getMessage());
    }
}
