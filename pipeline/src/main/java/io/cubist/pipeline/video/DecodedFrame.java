package io.cubist.pipeline.video;

/**
 * One decoded picture: RGB24 pixels in row-major height × width × channel order, and its presentation time on the
 * stream's own timeline (seconds, as the container gives it; not shifted to start at 0).
 *
 * <p>{@code durationSec} is the time until the next decoded frame's presentation; for the last frame of a stream it is
 * the gap before it (or {@code 1 / frameRate} for a one-frame stream). The pixel array is owned by this frame: the
 * reader allocates a new one for every frame and never writes it again.
 */
public final class DecodedFrame {

    private final double ptsSec;
    private final double durationSec;
    private final int width;
    private final int height;
    private final byte[] rgb;

    public DecodedFrame(double ptsSec, double durationSec, int width, int height, byte[] rgb) {
        if (width < 1 || height < 1 || rgb == null || rgb.length != width * height * 3) {
            throw new IllegalArgumentException("frame of " + width + "x" + height + " needs " + width * height * 3
                    + " RGB bytes, got " + (rgb == null ? "none" : rgb.length));
        }
        this.ptsSec = ptsSec;
        this.durationSec = durationSec;
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    public double ptsSec() {
        return ptsSec;
    }

    public double durationSec() {
        return durationSec;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The pixels, {@code rgb[(y * width + x) * 3 + c]} with c = 0 red, 1 green, 2 blue. Not a copy. */
    public byte[] rgb() {
        return rgb;
    }

    DecodedFrame withDuration(double duration) {
        return new DecodedFrame(ptsSec, duration, width, height, rgb);
    }

    @Override
    public String toString() {
        return "DecodedFrame[pts=" + ptsSec + "s, " + width + "x" + height + "]";
    }
}
