package io.cubist.pipeline.video;

import java.util.ArrayList;
import java.util.List;

/** Frames at given presentation times (1x1 pixels whose red value is the frame's position), for sampler tests. */
public final class ListFrameSource implements FrameSource {

    private final List<DecodedFrame> frames = new ArrayList<>();
    private int pos;
    private long decoded;
    private int seeks;

    /** Frame i at {@code pts[i]}; the last frame lasts {@code lastDuration}. */
    public ListFrameSource(double[] pts, double lastDuration) {
        for (int i = 0; i < pts.length; i++) {
            double d = i + 1 < pts.length ? pts[i + 1] - pts[i] : lastDuration;
            frames.add(new DecodedFrame(pts[i], d, 1, 1, new byte[] {(byte) i, 0, 0}));
        }
    }

    /** n frames at a constant rate from time {@code start}. */
    public static ListFrameSource constant(int n, double fps, double start) {
        double[] pts = new double[n];
        for (int i = 0; i < n; i++) {
            pts[i] = start + i / fps;
        }
        return new ListFrameSource(pts, 1 / fps);
    }

    /** The position of a frame this source returned. */
    public static int number(DecodedFrame f) {
        return f.rgb()[0] & 0xff;
    }

    @Override
    public DecodedFrame next() {
        if (pos >= frames.size()) {
            return null;
        }
        decoded++;
        return frames.get(pos++);
    }

    @Override
    public void seekShowing(double sec) {
        seeks++;
        int i = 0;
        while (i + 1 < frames.size() && frames.get(i + 1).ptsSec() <= sec) {
            i++;
        }
        pos = i;
    }

    @Override
    public long framesDecoded() {
        return decoded;
    }

    public int seeks() {
        return seeks;
    }
}
