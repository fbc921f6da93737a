package io.cubist.pipeline.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Random access to the bytes of a weights file: a file read with positional reads, or an array. Reads past the end are
 * reported as a truncated file, never as an out-of-bounds access.
 */
abstract class ByteSource implements AutoCloseable {
    private final String name;

    private ByteSource(String name) {
        this.name = name;
    }

    /** The file, or a description of the buffer, as messages name it. */
    final String name() {
        return name;
    }

    abstract long size();

    /** Fills {@code dst} from its position to its limit with the bytes at {@code position}. */
    abstract void read(long position, ByteBuffer dst);

    /** {@code length} bytes at {@code position} in a new heap buffer (little-endian order is the caller's to set). */
    final ByteBuffer read(long position, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        read(position, b);
        return b.flip();
    }

    @Override
    public void close() {
    }

    final WeightFileException truncated(long position, long length) {
        return new WeightFileException(name, "the file is truncated: " + length + " bytes at offset " + position
                + " lie beyond its end (" + size() + " bytes)");
    }

    static ByteSource of(byte[] bytes, String name) {
        return new ByteSource(name) {
            @Override
            long size() {
                return bytes.length;
            }

            @Override
            void read(long position, ByteBuffer dst) {
                int n = dst.remaining();
                if (position < 0 || position > bytes.length - (long) n) {
                    throw truncated(position, n);
                }
                dst.put(bytes, (int) position, n);
            }
        };
    }

    /** Opens {@code path}; the caller closes the source. */
    static ByteSource open(Path path) {
        FileChannel ch;
        long size;
        try {
            ch = FileChannel.open(path);
            size = ch.size();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + path + ": " + ex, ex);
        }
        return new ByteSource(path.toString()) {
            @Override
            long size() {
                return size;
            }

            @Override
            void read(long position, ByteBuffer dst) {
                int n = dst.remaining();
                if (position < 0 || position > size - n) {
                    throw truncated(position, n);
                }
                try {
                    long p = position;
                    while (dst.hasRemaining()) {
                        int got = ch.read(dst, p);
                        if (got < 0) {
                            throw new WeightFileException(name(), "the file shrank while it was read (now ends before"
                                    + " offset " + p + ")");
                        }
                        p += got;
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException("cannot read " + name() + ": " + ex, ex);
                }
            }

            @Override
            public void close() {
                try {
                    ch.close();
                } catch (IOException ex) {
                    throw new UncheckedIOException("cannot close " + name() + ": " + ex, ex);
                }
            }
        };
    }
}
