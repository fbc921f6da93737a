package io.cubist.pipeline.video;

/**
 * Decoded frames in presentation order, with a seek: what the clip sampler reads. {@link VideoReader} is the real
 * one; tests use lists of frames.
 */
public interface FrameSource {

    /** The next frame (with its duration), or null at the end. */
    DecodedFrame next() throws VideoException;

    /** Positions the source so that {@link #next()} returns the frame on screen at {@code sec}, then the rest. */
    void seekShowing(double sec) throws VideoException;

    /** Frames decoded so far: 0 means the source is still at its beginning. */
    long framesDecoded();

    /**
     * This source on a timeline that starts at {@code origin}: frame times are {@code pts - origin} and seeks add it
     * back. Clips are cut on the video's own start-relative timeline this way (MPEG-TS/PS streams often start at
     * 1.4 s or 0.5 s; a clip at the first frame is clip 0 at 0 s whatever the container's clock says).
     */
    static FrameSource rebased(FrameSource source, double origin) {
        if (origin == 0 || !Double.isFinite(origin)) {
            return source;
        }
        return new FrameSource() {
            @Override
            public DecodedFrame next() throws VideoException {
                DecodedFrame f = source.next();
                return f == null ? null
                        : new DecodedFrame(f.ptsSec() - origin, f.durationSec(), f.width(), f.height(), f.rgb());
            }

            @Override
            public void seekShowing(double sec) throws VideoException {
                source.seekShowing(sec + origin);
            }

            @Override
            public long framesDecoded() {
                return source.framesDecoded();
            }
        };
    }
}
