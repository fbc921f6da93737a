package io.cubist.pipeline.video;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A random-access byte source a {@link VideoReader} can decode from, so FFmpeg's seeks become cheap repositionings
 * instead of re-reads: a Hadoop {@code FSDataInputStream} fits it ({@code read}, {@code seek}, {@code getPos}, the
 * file status's length).
 */
public interface SeekableInput extends Closeable {

    /** Reads up to {@code len} bytes at the current position; -1 at the end. */
    int read(byte[] b, int off, int len) throws IOException;

    /** Moves to an absolute byte position. */
    void seek(long position) throws IOException;

    long position() throws IOException;

    /** The total length in bytes, or -1 when unknown. */
    long length() throws IOException;

    /** A local file. */
    static SeekableInput of(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        return new SeekableInput() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ch.read(ByteBuffer.wrap(b, off, len));
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
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
