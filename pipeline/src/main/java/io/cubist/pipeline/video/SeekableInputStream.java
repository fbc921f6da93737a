package io.cubist.pipeline.video;

import java.io.IOException;
import java.io.InputStream;

/**
 * A {@link SeekableInput} as the stream JavaCV's grabber reads. JavaCV seeks in a stream with {@code reset()} (back
 * to the mark it set at the start) and {@code skip(n)}; here both are repositionings, so a seek costs nothing and
 * nothing is buffered, where a plain stream would be wrapped in a buffer that keeps everything read since the mark.
 */
final class SeekableInputStream extends InputStream {

    private final SeekableInput in;
    private long mark;

    SeekableInputStream(SeekableInput in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        int n = read(b, 0, 1);
        return n <= 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        return in.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
        if (n <= 0) {
            return 0;
        }
        long pos = in.position();
        long length = in.length();
        if (length < 0) {
            return super.skip(n); // unknown length: read through
        }
        long to = Math.min(length, pos + Math.min(n, Long.MAX_VALUE - pos));
        in.seek(to);
        return to - pos;
    }

    @Override
    public boolean markSupported() {
        return true;
    }

    @Override
    public synchronized void mark(int readlimit) {
        try {
            mark = in.position();
        } catch (IOException e) {
            mark = 0;
        }
    }

    @Override
    public synchronized void reset() throws IOException {
        in.seek(mark);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
