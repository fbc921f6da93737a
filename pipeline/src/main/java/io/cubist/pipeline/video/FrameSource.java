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
}
