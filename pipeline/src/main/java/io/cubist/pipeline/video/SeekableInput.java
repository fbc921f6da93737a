package io.cubist.pipeline.video;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A random-access byte source a {@link VideoReader} decodes from, so FFmpeg's seeks become cheap repositionings
 * instead of re-reads: a local file, or a Hadoop {@code FSDataInputStream} (HDFS, S3A, ABFS, GCS ...) behind the same
 * four calls. Nothing is copied to local disk.
 */
public interface SeekableInput extends Closeable {

    /** Reads up to {@code len} bytes at the current position; -1 at the end. */
    int read(byte[] b, int off, int len) throws IOException;

    /** Moves to an absolute byte position. */
    void seek(long position) throws IOException;

    long position() throws IOException;

    /** The total length in bytes, or -1 when unknown. */
    long length() throws IOException;

    /** Bytes read from the storage so far (what its statistics count), or -1 when the source does not say. */
    default long bytesRead() {
        return -1;
    }

    /**
     * Where a video's bytes come from, opened when (and on the thread where) they are needed: what a
     * {@link io.cubist.pipeline.clip.ClipProducer} decodes. A failure to open is the storage's, recorded at stage
     * {@code input}.
     */
    interface Source {
        /** The video's name in rows and messages (its URI or path). */
        String name();

        SeekableInput open() throws IOException;

        /** A local file, named by its path; a directory, a missing or an unreadable file fails on open. */
        static Source local(Path path) {
            return of(path.toString(), () -> {
                if (java.nio.file.Files.isDirectory(path)) {
                    throw new IOException("a directory, not a video file");
                }
                if (!java.nio.file.Files.exists(path)) {
                    throw new java.io.FileNotFoundException("no such file");
                }
                return SeekableInput.of(path);
            });
        }

        static Source of(String name, Opener opener) {
            return new Source() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public SeekableInput open() throws IOException {
                    return opener.open();
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }
    }

    /** Opens a {@link SeekableInput}. */
    @FunctionalInterface
    interface Opener {
        SeekableInput open() throws IOException;
    }

    /** A local file; {@link #bytesRead()} counts the bytes its reads returned. */
    static SeekableInput of(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        return new SeekableInput() {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = ch.read(ByteBuffer.wrap(b, off, len));
                read += Math.max(n, 0);
                return n;
            }

            @Override
            public void seek(long position) throws IOException {
                ch.position(position);
            }

            @Override
            public long position() throws IOException {
                return ch.position();
            }

            @Override
            public long length() throws IOException {
                return ch.size();
            }

            @Override
            public long bytesRead() {
                return read;
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** This input as a read-only channel (Arrow's IPC file reader takes one); closing it closes this input. */
    default SeekableByteChannel asChannel() {
        SeekableInput in = this;
        return new SeekableByteChannel() {
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                int len = dst.remaining();
                if (len == 0) {
                    return 0;
                }
                if (dst.hasArray()) {
                    int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), len);
                    if (n > 0) {
                        dst.position(dst.position() + n);
                    }
                    return n;
                }
                byte[] b = new byte[Math.min(len, 1 << 16)];
                int n = in.read(b, 0, b.length);
                if (n > 0) {
                    dst.put(b, 0, n);
                }
                return n;
            }

            @Override
            public int write(ByteBuffer src) {
                throw new NonWritableChannelException();
            }

            @Override
            public long position() throws IOException {
                return in.position();
            }

            @Override
            public SeekableByteChannel position(long p) throws IOException {
                in.seek(p);
                return this;
            }

            @Override
            public long size() throws IOException {
                return in.length();
            }

            @Override
            public SeekableByteChannel truncate(long size) {
                throw new NonWritableChannelException();
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() throws IOException {
                open = false;
                in.close();
            }
        };
    }
}
