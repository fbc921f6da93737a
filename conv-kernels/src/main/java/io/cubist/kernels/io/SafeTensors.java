package io.cubist.kernels.io;

import io.cubist.kernels.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the Hugging Face safetensors format, the form in which tensors cross process boundaries:
 *
 * <pre>
 *   u64 little-endian N | N bytes of UTF-8 JSON header | data section (raw little-endian elements)
 *   header: {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * </pre>
 *
 * Offsets are relative to the start of the data section. Reading is strict, like the reference implementation: the
 * header is at most {@value #MAX_HEADER_BYTES} bytes of valid UTF-8 JSON, every size is checked against the actual
 * file size before anything is allocated, and the tensors must cover the data section exactly (no holes, no overlaps,
 * no trailing bytes). Stricter than the reference: duplicate names are rejected rather than the last one winning.
 * Every malformed input is reported as a {@link SafeTensorsException} naming the file and the problem; I/O failures
 * are {@link UncheckedIOException}s.
 *
 * <p>Writing emits F32 (and F64 through {@link #writer()}), tensors in the order given, the header padded with spaces
 * to a multiple of 8 bytes as the reference writer does, into a temporary file that is then moved into place.
 */
public final class SafeTensors {
    /** The reference implementation's limit on the header length. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    private SafeTensors() {
    }

    // ---------------------------------------------------------------- reading

    /** Reads and validates the header of a file; tensor data is read by {@link TensorFile#get}. */
    public static TensorFile read(Path path) {
        String source = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            long n = headerLength(source, size, size >= 8 ? readLong(ch, source) : 0);
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8, source);
            return parse(source, TensorFile.Bytes.of(path, size), header.array(), size);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + source + ": " + ex, ex);
        }
    }

    /** Reads safetensors bytes held in memory. */
    public static TensorFile read(byte[] bytes) {
        return read(ByteBuffer.wrap(bytes), "in-memory safetensors (" + bytes.length + " bytes)");
    }

    /**
     * Reads the bytes between the buffer's position and limit; they are not copied, so must not change while the
     * returned file is in use. {@code source} names them in errors.
     */
    public static TensorFile read(ByteBuffer buffer, String source) {
        ByteBuffer b = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.remaining();
        long n = headerLength(source, size, size >= 8 ? b.getLong(0) : 0);
        byte[] header = new byte[(int) n];
        b.get(8, header);
        return parse(source, TensorFile.Bytes.of(b), header, size);
    }

    private static long readLong(FileChannel ch, String source) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, 0, source);
        return b.getLong(0);
    }

    /** Fills {@code dst} from {@code position}; the file ending first is a truncation. */
    static void readFully(FileChannel ch, ByteBuffer dst, long position, String source) {
        long p = position;
        try {
            while (dst.hasRemaining()) {
                int r = ch.read(dst, p);
                if (r < 0) {
                    throw new SafeTensorsException(source, "the file ends at byte " + p + " but " + dst.remaining()
                            + " more bytes were expected there; it is truncated or changed while being read");
                }
                p += r;
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + source + ": " + ex, ex);
        }
    }

    /** Validates the header length {@code n} (read as unsigned) against the limit and the total size. */
    private static long headerLength(String source, long size, long n) {
        if (size < 8) {
            throw new SafeTensorsException(source, "only " + size + " bytes, too short for the 8-byte header length;"
                    + " the file is truncated or not safetensors");
        }
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(source, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes; the file is corrupt or not safetensors");
        }
        if (n > size - 8) {
            throw new SafeTensorsException(source, "header length " + n + " runs past the end of the file (" + size
                    + " bytes); the file is truncated or not safetensors");
        }
        return n;
    }

    private static TensorFile parse(String source, TensorFile.Bytes bytes, byte[] header, long size) {
        long dataStart = 8L + header.length;
        long dataLength = size - dataStart;
        Map<String, Object> root = parseJson(source, header);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorFile.Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> kv : root.entrySet()) {
            if (kv.getKey().equals(METADATA_KEY)) {
                metadata = metadata(source, kv.getValue());
            } else {
                entries.put(kv.getKey(), entry(source, kv.getKey(), kv.getValue(), dataLength));
            }
        }
        checkCoverage(source, entries, dataLength);
        return new TensorFile(source, bytes, dataStart, entries, metadata);
    }

    private static Map<String, Object> parseJson(String source, byte[] header) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException ex) {
            throw new SafeTensorsException(source, "the header is not valid UTF-8");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException ex) {
            throw new SafeTensorsException(source, "the header is not valid JSON: " + ex.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new SafeTensorsException(source, "the header must be a JSON object, got " + Json.typeName(root));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) root;
        return m;
    }

    private static Map<String, String> metadata(String source, Object v) {
        Map<String, String> m = new LinkedHashMap<>();
        if (v == null) {
            return m;
        }
        if (!(v instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(source, METADATA_KEY + " must be an object of strings, got "
                    + Json.typeName(v));
        }
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            if (!(kv.getValue() instanceof String s)) {
                throw new SafeTensorsException(source, METADATA_KEY + " value for key " + quote((String) kv.getKey())
                        + " must be a string, got " + Json.typeName(kv.getValue()));
            }
            m.put((String) kv.getKey(), s);
        }
        return m;
    }

    private static TensorFile.Entry entry(String source, String name, Object v, long dataLength) {
        String where = "tensor " + quote(name);
        if (!(v instanceof Map<?, ?> m)) {
            throw new SafeTensorsException(source, where + " must be an object with dtype, shape and data_offsets, got "
                    + Json.typeName(v));
        }
        Object dt = m.get("dtype");
        if (!(dt instanceof String dtName)) {
            throw new SafeTensorsException(source, where + ": dtype must be a string, got " + Json.typeName(dt));
        }
        DType dtype;
        try {
            dtype = DType.parse(dtName);
        } catch (IllegalArgumentException ex) {
            throw new SafeTensorsException(source, where + ": " + ex.getMessage());
        }

        int[] shape = shape(source, where, m.get("shape"));
        long numel = 1;
        long bytes;
        try {
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            bytes = Math.multiplyExact(numel, dtype.size());
        } catch (ArithmeticException ex) {
            throw new SafeTensorsException(source, where + ": shape " + shapeString(shape)
                    + " has more elements than 64-bit sizes can count");
        }

        Object offs = m.get("data_offsets");
        if (!(offs instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Long b) || !(l.get(1) instanceof Long e)
                || b < 0 || e < 0) {
            throw new SafeTensorsException(source, where + ": data_offsets must be two non-negative integers"
                    + " [begin, end], got " + clip(Json.write(offs)));
        }
        if (b > e) {
            throw new SafeTensorsException(source, where + ": data_offsets [" + b + ", " + e + "] begin after they end");
        }
        if (e > dataLength) {
            throw new SafeTensorsException(source, where + ": data_offsets [" + b + ", " + e + "] run past the end of"
                    + " the data section (" + dataLength + " bytes); the file is truncated or corrupt");
        }
        if (e - b != bytes) {
            throw new SafeTensorsException(source, where + ": data_offsets [" + b + ", " + e + "] span " + (e - b)
                    + " bytes but " + dtype + " shape " + shapeString(shape) + " needs " + bytes + " (" + numel
                    + " elements of " + dtype.size() + " bytes)");
        }
        return new TensorFile.Entry(name, dtype, shape, numel, b, e);
    }

    private static int[] shape(String source, String where, Object v) {
        if (!(v instanceof List<?> l)) {
            throw new SafeTensorsException(source, where + ": shape must be a list of non-negative integers, got "
                    + Json.typeName(v));
        }
        int[] shape = new int[l.size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = l.get(i);
            if (!(d instanceof Long x) || x < 0) {
                throw new SafeTensorsException(source, where + ": shape must be a list of non-negative integers, got "
                        + clip(Json.write(l)));
            }
            if (x > Integer.MAX_VALUE) {
                throw new SafeTensorsException(source, where + ": dimension " + x + " in shape " + clip(Json.write(l))
                        + " exceeds " + Integer.MAX_VALUE + ", the largest Cubist supports");
            }
            shape[i] = (int) (long) x;
        }
        return shape;
    }

    /** The format requires the tensors, sorted by offset, to tile the data section exactly. */
    private static void checkCoverage(String source, Map<String, TensorFile.Entry> entries, long dataLength) {
        List<TensorFile.Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(TensorFile.Entry::begin).thenComparingLong(TensorFile.Entry::end));
        String rule = " (safetensors requires the tensors to cover the data section exactly, without holes or overlaps)";
        long pos = 0;
        TensorFile.Entry prev = null;
        for (TensorFile.Entry e : sorted) {
            if (e.begin() < pos) {
                throw new SafeTensorsException(source, "tensors " + quote(prev.name()) + " " + span(prev) + " and "
                        + quote(e.name()) + " " + span(e) + " overlap" + rule);
            }
            if (e.begin() > pos) {
                throw new SafeTensorsException(source, "bytes [" + pos + ", " + e.begin() + ") of the data section"
                        + " belong to no tensor" + rule);
            }
            pos = e.end();
            prev = e;
        }
        if (pos != dataLength) {
            throw new SafeTensorsException(source, "the data section is " + dataLength + " bytes but the tensors cover"
                    + " only the first " + pos + "; " + (dataLength - pos) + " trailing bytes belong to no tensor" + rule);
        }
    }

    private static String span(TensorFile.Entry e) {
        return "[" + e.begin() + ", " + e.end() + ")";
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code tensors} as F32 in iteration order, with optional {@code metadata}, atomically. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        writer(tensors, metadata).write(path);
    }

    /** The bytes {@link #write} would write. */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        return writer(tensors, metadata).toBytes();
    }

    /** A writer for mixed F32/F64 files, e.g. golden inputs with expected outputs kept in double precision. */
    public static Writer writer() {
        return new Writer();
    }

    private static Writer writer(Map<String, Tensor> tensors, Map<String, String> metadata) {
        Writer w = new Writer();
        if (metadata != null) {
            metadata.forEach(w::metadata);
        }
        tensors.forEach(w::f32);
        return w;
    }

    /**
     * Collects tensors and metadata, then writes them. The arrays are referenced, not copied, until written.
     * Not thread-safe.
     */
    public static final class Writer {
        private record Pending(String name, DType dtype, int[] shape, float[] floats, double[] doubles) {
            long bytes() {
                return (long) (floats != null ? floats.length : doubles.length) * dtype.size();
            }
        }

        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final Map<String, Pending> tensors = new LinkedHashMap<>();

        private Writer() {
        }

        public Writer metadata(String key, String value) {
            if (key == null || value == null) {
                throw new IllegalArgumentException("metadata keys and values must not be null, got " + key + " = "
                        + value);
            }
            metadata.put(key, value);
            return this;
        }

        /** Adds a float32 tensor. */
        public Writer f32(String name, Tensor t) {
            return add(new Pending(checkName(name), DType.F32, t.shape(), t.data(), null));
        }

        /** Adds a float64 tensor of the given shape from row-major {@code data}. */
        public Writer f64(String name, double[] data, int... shape) {
            long n = Tensor.numel(shape);
            if (n != data.length) {
                throw new IllegalArgumentException("tensor " + quote(name) + ": shape " + Arrays.toString(shape)
                        + " holds " + n + " elements but the data has " + data.length);
            }
            return add(new Pending(checkName(name), DType.F64, shape.clone(), null, data));
        }

        private Writer add(Pending p) {
            if (tensors.putIfAbsent(p.name(), p) != null) {
                throw new IllegalArgumentException("tensor " + quote(p.name()) + " was already added");
            }
            return this;
        }

        private static String checkName(String name) {
            if (name == null || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + name);
            }
            return name;
        }

        /** Writes to a temporary file beside {@code path}, then moves it over {@code path}. */
        public void write(Path path) {
            byte[] header = header();
            Path target = path.toAbsolutePath();
            Path tmp = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            boolean moved = false;
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    writeTo(ch, header);
                    ch.force(true);
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                moved = true;
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot write " + path + ": " + ex, ex);
            } finally {
                if (!moved) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // The write already failed; that error is the one worth reporting.
                    }
                }
            }
        }

        /** The file's bytes; for small files (tests, in-memory transfer). */
        public byte[] toBytes() {
            byte[] header = header();
            long total = 8L + header.length + tensors.values().stream().mapToLong(Pending::bytes).sum();
            if (total > TensorFile.MAX_ELEMENTS) {
                throw new IllegalArgumentException("a " + total + "-byte safetensors file does not fit in a byte[];"
                        + " write it to a file instead");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
            try {
                writeTo(Channels.newChannel(out), header);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex); // cannot happen for an in-memory stream
            }
            return out.toByteArray();
        }

        /** The JSON header, space-padded so that the data section starts at a multiple of 8. */
        private byte[] header() {
            Map<String, Object> h = new LinkedHashMap<>();
            if (!metadata.isEmpty()) {
                h.put(METADATA_KEY, metadata);
            }
            long offset = 0;
            for (Pending p : tensors.values()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("dtype", p.dtype().name());
                e.put("shape", p.shape());
                e.put("data_offsets", new long[] {offset, offset + p.bytes()});
                h.put(p.name(), e);
                offset += p.bytes();
            }
            ByteBuffer json;
            try {
                json = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(Json.write(h)));
            } catch (CharacterCodingException ex) {
                throw new IllegalArgumentException("a tensor name or metadata string is not valid Unicode"
                        + " (unpaired surrogate)", ex);
            }
            int len = json.remaining();
            int padded = (len + 7) / 8 * 8;
            if (padded > MAX_HEADER_BYTES) {
                throw new IllegalArgumentException("the header would be " + padded + " bytes, over the "
                        + MAX_HEADER_BYTES + "-byte limit readers enforce");
            }
            byte[] out = new byte[padded];
            json.get(out, 0, len);
            Arrays.fill(out, len, padded, (byte) ' ');
            return out;
        }

        private void writeTo(WritableByteChannel ch, byte[] header) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length);
            buf.flip();
            drain(ch, buf);
            drain(ch, ByteBuffer.wrap(header));
            for (Pending p : tensors.values()) {
                buf.clear();
                int n = p.floats() != null ? p.floats().length : p.doubles().length;
                for (int i = 0; i < n; i++) {
                    if (buf.remaining() < 8) {
                        buf.flip();
                        drain(ch, buf);
                        buf.clear();
                    }
                    if (p.floats() != null) {
                        buf.putFloat(p.floats()[i]);
                    } else {
                        buf.putDouble(p.doubles()[i]);
                    }
                }
                buf.flip();
                drain(ch, buf);
            }
        }

        private static void drain(WritableByteChannel ch, ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    // ---------------------------------------------------------------- messages

    /** A name for an error message: quoted, and cut short if a hostile file made it huge. */
    static String quote(String name) {
        return "'" + clip(name) + "'";
    }

    private static String clip(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }

    private static String shapeString(int[] shape) {
        return clip(Arrays.toString(shape));
    }
}
