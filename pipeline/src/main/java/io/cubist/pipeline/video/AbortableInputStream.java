package io.cubist.pipeline.video;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.bytedeco.javacv.Seekable;

/**
 * The stream a {@link VideoReader} decodes from: once {@link #abort()} is called (by the decode watchdog, from another
 * thread) every read fails, so FFmpeg's read callback returns an error instead of waiting on a stalled source. Seeks
 * go to the wrapped stream when it is {@link Seekable} (FFmpeg then seeks directly; otherwise it can only re-read).
 */
class AbortableInputStream extends FilterInputStream {

    private volatile boolean aborted;

    AbortableInputStream(InputStream in) {
        super(in);
    }

    static AbortableInputStream wrap(InputStream in) {
        return in instanceof Seekable ? new SeekableAbortable(in) : new AbortableInputStream(in);
    }

    void abort() {
        aborted = true;
    }

    private void check() throws IOException {
        if (aborted) {
            throw new IOException("decode abandoned: timed out");
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

    /** Forwards FFmpeg's seeks ({@code whence} as in {@code fseek}) to a seekable source. */
    static final class SeekableAbortable extends AbortableInputStream implements Seekable {

        SeekableAbortable(InputStream in) {
            super(in);
        }

        @Override
        public void seek(long offset, int whence) {
            ((Seekable) in).seek(offset, whence);
        }
    }
}
