package io.cubist.pipeline.video;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Videos written by the tests with JavaCV's recorder. Frame {@code n} carries its number twice: exactly, in every
 * pixel of {@link #pattern} (for lossless codecs), and as 8 large black or white blocks (bit i of n in block i) that
 * survive lossy codecs ({@link #readNumber}).
 */
public final class SyntheticVideos {

    /** A codec and container to write. */
    public record Codec(String container, String codec, int pixelFormat, boolean lossless) {
        public static final Codec PNG_MKV = new Codec("matroska", "png", avutil.AV_PIX_FMT_RGB24, true);
        public static final Codec FFV1_MKV = new Codec("matroska", "ffv1", avutil.AV_PIX_FMT_YUV444P, false);
        public static final Codec MPEG4_AVI = new Codec("avi", "mpeg4", avutil.AV_PIX_FMT_YUV420P, false);
        public static final Codec VP9_WEBM = new Codec("webm", "libvpx-vp9", avutil.AV_PIX_FMT_YUV420P, false);
        public static final Codec H264_MP4 = new Codec("mp4", "libopenh264", avutil.AV_PIX_FMT_YUV420P, false);
        public static final Codec MJPEG_MOV = new Codec("mov", "mjpeg", avutil.AV_PIX_FMT_YUVJ420P, false);
    }

    private SyntheticVideos() {
    }

    /** The exact pixel value of frame {@code n} at (x, y), channel c (outside the number blocks). */
    public static int pattern(int n, int x, int y, int c) {
        return (n * 37 + x * 3 + y * 5 + c * 71) & 0xff;
    }

    /** RGB24 pixels of frame {@code n}: the pattern, with the number blocks along the top row. */
    public static byte[] frame(int n, int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] = (byte) pattern(n, x, y, c);
                }
            }
        }
        int b = w / 8;
        for (int i = 0; i < 8; i++) {
            byte v = (byte) (((n >> i) & 1) == 1 ? 255 : 0);
            for (int y = 0; y < Math.min(b, h); y++) {
                for (int x = i * b; x < (i + 1) * b; x++) {
                    for (int c = 0; c < 3; c++) {
                        rgb[(y * w + x) * 3 + c] = v;
                    }
                }
            }
        }
        return rgb;
    }

    /** The frame number read back from the blocks (the center of each block, thresholded). */
    public static int readNumber(DecodedFrame f) {
        int w = f.width();
        int b = w / 8;
        int n = 0;
        for (int i = 0; i < 8; i++) {
            int x = i * b + b / 2;
            int y = b / 2;
            int v = f.rgb()[(y * w + x) * 3 + 1] & 0xff;
            if (v > 127) {
                n |= 1 << i;
            }
        }
        return n;
    }

    /** Writes frames 0..n-1 at a constant rate. */
    public static void write(Path file, Codec codec, int w, int h, double fps, int n) throws Exception {
        double[] pts = new double[n];
        for (int i = 0; i < n; i++) {
            pts[i] = i / fps;
        }
        write(file, codec, w, h, fps, pts);
    }

    /**
     * Writes frame i at presentation time {@code pts[i]} seconds (variable frame rate when the gaps differ): the
     * codec's time base is {@code 1 / timeBaseRate}, so the times should be multiples of it.
     */
    public static void write(Path file, Codec codec, int w, int h, double timeBaseRate, double[] pts)
            throws Exception {
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), w, h, 0)) {
            r.setFormat(codec.container());
            r.setVideoCodecName(codec.codec());
            r.setPixelFormat(codec.pixelFormat());
            r.setFrameRate(timeBaseRate);
            r.setGopSize(12);
            if (!codec.lossless()) {
                r.setVideoQuality(2);
            }
            r.start();
            Frame f = new Frame(w, h, Frame.DEPTH_UBYTE, 3);
            for (int i = 0; i < pts.length; i++) {
                ByteBuffer buf = (ByteBuffer) f.image[0];
                byte[] px = frame(i, w, h);
                for (int y = 0; y < h; y++) {
                    buf.position(y * f.imageStride);
                    buf.put(px, y * w * 3, w * 3);
                }
                buf.position(0);
                r.setTimestamp(Math.round(pts[i] * 1e6));
                r.record(f, avutil.AV_PIX_FMT_RGB24);
            }
            r.stop();
        }
    }
}
