package io.cubist.pipeline.video;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The stream a {@link VideoReader} decodes from: once {@link #abort()} is called (by the decode watchdog, from another
 * thread) every read fails and the source is closed, so a read blocked on a stalled source is woken and FFmpeg's read
 * callback returns an error instead of waiting.
 */
final class AbortableInputStream extends FilterInputStream {

    private final String name;
    private volatile boolean aborted;

    AbortableInputStream(InputStream in, String name) {
        super(in);
        this.name = name;
    }

    /** The video's name: FFmpeg's open errors quote the input by this. */
    @Override
    public String toString() {
        return name;
    }

    void abort() {
        aborted = true;
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // the source is being abandoned; its close error changes nothing
        }
    }

    private void check() throws IOException {
        if (aborted) {
            throw new IOException("decode abandoned");
        }
    }

    @Override
    public int read() throws IOException {
        check();
        return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        check();
        return super.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
        check();
        return super.skip(n);
    }

    @Override
    public synchronized void reset() throws IOException {
        check();
        super.reset();
    }
}
