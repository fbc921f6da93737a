package io.cubist.kernels.io;

import io.cubist.kernels.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file whose header has been read and validated (see {@link SafeTensors#read(Path)}): the tensor
 * names in file order, their dtypes and shapes, and the {@code __metadata__} map. Tensor data is decoded on demand by
 * {@link #get} (to float32) or {@link #getDoubles} (to float64).
 *
 * <p>A file-backed instance holds no open file: each {@code get} opens the file, reads that tensor's bytes in bounded
 * chunks with positional reads and closes it again, so a multi-gigabyte weights file is never loaded whole. A
 * buffer-backed instance decodes straight from the buffer it was given, which must not change afterwards.
 * Instances are immutable and may be read from several threads at once.
 */
public final class TensorFile {
    /** Tensors hold at most this many elements: the largest Java array that the JVM reliably allocates. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Bounded chunks keep the scratch buffer small whatever the tensor size; a multiple of every element size. */
    private static final int CHUNK_BYTES = 1 << 20;

    /** One tensor's header entry, validated; offsets are relative to the data section. */
    record Entry(String name, DType dtype, int[] shape, long numel, long begin, long end) {
    }

    private final String source;
    private final Bytes bytes;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    TensorFile(String source, Bytes bytes, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.source = source;
        this.bytes = bytes;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Where this came from (the path, or a description of the buffer), as errors name it. */
    public String source() {
        return source;
    }

    /** Tensor names in the order the header lists them. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The dtype the tensor is stored as in the file (before conversion). */
    public DType dtype(String name) {
        return entry(name).dtype();
    }

    public int[] shape(String name) {
        return entry(name).shape().clone();
    }

    /** The {@code __metadata__} map (empty when absent), unmodifiable, in file order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor converted to float32 (see {@link DType} for the conversions). */
    public Tensor get(String name) {
        Entry e = entry(name);
        if (e.shape().length > Tensor.MAX_RANK) {
            throw new SafeTensorsException(source, "tensor " + SafeTensors.quote(name) + " has rank "
                    + e.shape().length + "; Cubist tensors have at most " + Tensor.MAX_RANK + " dimensions");
        }
        float[] out = new float[checkedLength(e)];
        decode(e, (chunk, off, n) -> e.dtype().toFloats(chunk, out, off, n));
        return new Tensor(out, e.shape());
    }

    /**
     * The tensor's elements (row-major) as float64: exact for F64 (golden expected outputs are stored as F64) and for
     * every narrower type; I64/U64 round beyond 2^53.
     */
    public double[] getDoubles(String name) {
        Entry e = entry(name);
        double[] out = new double[checkedLength(e)];
        decode(e, (chunk, off, n) -> e.dtype().toDoubles(chunk, out, off, n));
        return out;
    }

    /** Every tensor, converted to float32, in file order. */
    public Map<String, Tensor> getAll() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String name : entries.keySet()) {
            all.put(name, get(name));
        }
        return all;
    }

    @Override
    public String toString() {
        return "TensorFile[" + source + ", " + entries.size() + " tensors]";
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            List<String> present = new ArrayList<>();
            for (String n : entries.keySet()) {
                if (present.size() == 20) {
                    present.add("... and " + (entries.size() - 20) + " more");
                    break;
                }
                present.add(SafeTensors.quote(n));
            }
            throw new SafeTensorsException(source, "no tensor " + SafeTensors.quote(name) + "; the file has "
                    + (present.isEmpty() ? "no tensors" : String.join(", ", present)));
        }
        return e;
    }

    private int checkedLength(Entry e) {
        if (e.numel() > MAX_ELEMENTS) {
            throw new SafeTensorsException(source, "tensor " + SafeTensors.quote(e.name()) + " has " + e.numel()
                    + " elements; at most " + MAX_ELEMENTS + " fit in one tensor");
        }
        return (int) e.numel();
    }

    private interface ChunkSink {
        /** {@code chunk} holds {@code n} elements (little-endian, from its position) for output index {@code off}. */
        void accept(ByteBuffer chunk, int off, int n);
    }

    private void decode(Entry e, ChunkSink sink) {
        int size = e.dtype().size();
        int perChunk = CHUNK_BYTES / size;
        try (Bytes.Reader r = bytes.open()) {
            long done = 0;
            while (done < e.numel()) {
                int n = (int) Math.min(perChunk, e.numel() - done);
                ByteBuffer chunk = r.read(dataStart + e.begin() + done * size, n * size);
                sink.accept(chunk, (int) done, n);
                done += n;
            }
        }
    }

    /** The bytes behind a file: a buffer, or a file read with positional reads. */
    abstract static class Bytes {
        abstract Reader open();

        abstract static class Reader implements AutoCloseable {
            /** {@code length} bytes at {@code offset}, little-endian, at position 0 of the returned buffer. */
            abstract ByteBuffer read(long offset, int length);

            @Override
            public void close() {
            }
        }

        static Bytes of(ByteBuffer buffer) {
            ByteBuffer b = buffer.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return new Bytes() {
                @Override
                Reader open() {
                    return new Reader() {
                        @Override
                        ByteBuffer read(long offset, int length) {
                            return b.slice((int) offset, length).order(ByteOrder.LITTLE_ENDIAN);
                        }
                    };
                }
            };
        }

        /** {@code size} is the file size the header was validated against; a change since is reported. */
        static Bytes of(Path path, long size) {
            return new Bytes() {
                @Override
                Reader open() {
                    FileChannel ch;
                    try {
                        ch = FileChannel.open(path, StandardOpenOption.READ);
                        if (ch.size() != size) {
                            long now = ch.size();
                            ch.close();
                            throw new SafeTensorsException(path.toString(), "the file is now " + now
                                    + " bytes but was " + size + " when its header was read; it changed since");
                        }
                    } catch (IOException ex) {
                        throw new UncheckedIOException("cannot read " + path + ": " + ex, ex);
                    }
                    return new Reader() {
                        private ByteBuffer scratch = ByteBuffer.allocate(0);

                        @Override
                        ByteBuffer read(long offset, int length) {
                            if (scratch.capacity() < length) {
                                scratch = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
                            }
                            scratch.clear().limit(length);
                            SafeTensors.readFully(ch, scratch, offset, path.toString());
                            return scratch.flip();
                        }

                        @Override
                        public void close() {
                            try {
                                ch.close();
                            } catch (IOException ex) {
                                throw new UncheckedIOException("cannot close " + path + ": " + ex, ex);
                            }
                        }
                    };
                }
            };
        }
    }
}
