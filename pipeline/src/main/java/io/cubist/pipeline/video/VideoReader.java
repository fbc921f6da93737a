package io.cubist.pipeline.video;

import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * Streaming decode of one video's first video stream into RGB24 frames in presentation order, over JavaCV's
 * {@code FFmpegFrameGrabber} (which the rest of Cubist never sees).
 *
 * <p>Memory is bounded by two frames (the one returned and one decoded ahead, which gives every frame its
 * duration), never by the video's length. Seeks are exact: FFmpeg seeks to a keyframe before the target and the
 * reader decodes forward from there, checking the timestamps it gets rather than trusting the container's index
 * (JavaCV's own frame-number and timestamp seeks are off by a frame or jump to frame 0 on some containers).
 *
 * <p>A file that decodes to fewer frames than it declares, or ends well before its declared duration, is finished
 * normally but noted in {@link #warnings()} and {@link #incomplete()}. With {@link Options#timeout()} the whole decode
 * (open, probe, every frame and seek) is bounded by wall time: past it, the current or next call throws
 * {@code VideoException("decode", "timed out after Ns")}; a blocking read of a stream source is failed from the
 * watchdog thread and FFmpeg's interrupt callback stops its I/O loops. {@link #abort()} does the same on demand, from
 * any thread. Everything else is used from one thread; {@link #close()} releases the native decoder.
 */
public final class VideoReader implements FrameSource, AutoCloseable {

    static {
        avutil.av_log_set_level(Integer.getInteger("cubist.ffmpeg.loglevel", avutil.AV_LOG_FATAL));
    }

    /**
     * @param timeout wall-time bound on the whole decode, or null for none
     */
    public record Options(Duration timeout) {
        public static final Options DEFAULT = new Options(null);

        public Options {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new IllegalArgumentException("decode timeout must be > 0, got " + timeout);
            }
        }

        public static Options withTimeout(Duration timeout) {
            return new Options(timeout);
        }
    }

    private final String name;
    private final FFmpegFrameGrabber grabber;
    private final AbortableInputStream stream;
    private final DecodeWatchdog watchdog;
    private final VideoInfo info;
    private final List<String> warnings = new ArrayList<>();
    private long interruptKey;
    private volatile boolean aborted;

    private DecodedFrame pending;
    private DecodedFrame pushedBack;
    private double lastDelta = Double.NaN;
    private double lastRawPts = Double.NEGATIVE_INFINITY;
    private long decoded;
    private long outOfOrder;
    private boolean seeked;
    private boolean eof;
    private boolean incomplete;
    private boolean closed;

    private VideoReader(String name, FFmpegFrameGrabber grabber, AbortableInputStream stream, Options options)
            throws VideoException {
        this.name = name;
        this.grabber = grabber;
        this.stream = stream;
        this.watchdog = options.timeout() == null ? null : new DecodeWatchdog(options.timeout(), this::abort);
        try {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            try {
                // startUnsafe: start() holds one JVM-wide lock through avformat_open_input, so a single stalled file
                // (a hung network read, a pipe with no writer) would block every other decoder of the executor;
                // FFmpeg's open and codec setup are thread-safe. With avformat_find_stream_info: rates and durations.
                grabber.startUnsafe();
            } catch (FFmpegFrameGrabber.Exception | RuntimeException e) {
                checkTimeout("open");
                throw new VideoException("open", name + ": FFmpeg cannot open it (" + oneLine(e) + ")", e);
            }
            checkTimeout("open");
            AVFormatContext oc = grabber.getFormatContext();
            if (oc != null && !oc.isNull()) {
                interruptKey = oc.address();
                LIVE.put(interruptKey, this);
                AVIOInterruptCB cb = oc.interrupt_callback();
                cb.opaque(oc);
                cb.callback(INTERRUPT);
            }
            this.info = probe(oc);
        } catch (VideoException | RuntimeException e) {
            releaseQuietly();
            throw e;
        }
    }

    /** {@link #open(String, Options)} with no timeout. */
    public static VideoReader open(String uriOrPath) throws VideoException {
        return open(uriOrPath, Options.DEFAULT);
    }

    /**
     * Opens a local path or {@code file:} URI (other URIs FFmpeg understands, such as {@code http:}, go to FFmpeg as
     * they are). A missing file is {@code VideoException("open")}; a file with no video stream is
     * {@code VideoException("probe", "no video stream")}.
     */
    public static VideoReader open(String uriOrPath, Options options) throws VideoException {
        String target = uriOrPath;
        if (uriOrPath.startsWith("file:")) {
            try {
                target = Path.of(URI.create(uriOrPath)).toString();
            } catch (IllegalArgumentException e) {
                throw new VideoException("open", uriOrPath + ": not a valid file URI (" + e.getMessage() + ")", e);
            }
        }
        if (!target.contains("://")) {
            Path p = Path.of(target);
            if (Files.isDirectory(p)) {
                throw new VideoException("open", uriOrPath + ": a directory, not a video file");
            }
            if (!Files.exists(p)) { // a named pipe or device is opened as FFmpeg would
                throw new VideoException("open", uriOrPath + ": no such file");
            }
            if (!Files.isReadable(p)) {
                throw new VideoException("open", uriOrPath + ": not readable");
            }
        }
        return new VideoReader(uriOrPath, new FFmpegFrameGrabber(target), null, options);
    }

    public static VideoReader open(Path path, Options options) throws VideoException {
        return open(path.toString(), options);
    }

    /**
     * Decodes from a random-access source (a Hadoop {@code FSDataInputStream} behind {@link SeekableInput}), named
     * {@code name} in messages. FFmpeg's seeks reposition the source; nothing is buffered. The reader closes it.
     */
    public static VideoReader open(SeekableInput in, String name, Options options) throws VideoException {
        // JavaCV installs its seek callback only for a non-zero buffer size; ours ignores the size
        return openStream(new SeekableInputStream(in), name, options, Integer.MAX_VALUE);
    }

    /**
     * Decodes from a plain stream, named {@code name} in messages; the reader closes it. JavaCV can only go back in a
     * plain stream through a buffer of what it read, bounded here at {@value #STREAM_BUFFER} bytes: streaming
     * containers (Matroska/WebM, AVI, MPEG-TS, fragmented MP4) and files smaller than that decode fully, but an MP4
     * whose index sits at the end of a larger file fails to open, and seeking back re-reads. Prefer
     * {@link #open(SeekableInput, String, Options)}.
     */
    public static VideoReader open(InputStream in, String name, Options options) throws VideoException {
        return openStream(in, name, options, STREAM_BUFFER);
    }

    /** The bytes of a plain stream kept so that FFmpeg can seek back in them. */
    public static final int STREAM_BUFFER = 64 << 20;

    private static VideoReader openStream(InputStream in, String name, Options options, int buffer)
            throws VideoException {
        AbortableInputStream s = new AbortableInputStream(in, name);
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(s, buffer);
        g.setCloseInputStream(true);
        return new VideoReader(name, g, s, options);
    }

    /**
     * A cheap look at a video's container: opens, probes and closes without decoding a frame.
     */
    public static VideoInfo probe(String uriOrPath) throws VideoException {
        try (VideoReader r = open(uriOrPath)) {
            return r.info();
        }
    }

    /** {@link #probe(String)} of a random-access source, which it closes. */
    public static VideoInfo probe(SeekableInput in, String name) throws VideoException {
        try (VideoReader r = open(in, name, Options.DEFAULT)) {
            return r.info();
        }
    }

    public String name() {
        return name;
    }

    public VideoInfo info() {
        return info;
    }

    /**
     * The next frame in presentation order, or null at the end of the stream. Frames whose timestamp does not
     * increase (broken muxing) are skipped and counted in {@link #warnings()}.
     */
    @Override
    public DecodedFrame next() throws VideoException {
        ensureOpen();
        if (eof) {
            return null;
        }
        if (pending == null) {
            pending = raw();
            if (pending == null) {
                finish();
                return null;
            }
        }
        DecodedFrame following = raw();
        DecodedFrame out;
        if (following != null) {
            lastDelta = following.ptsSec() - pending.ptsSec();
            out = pending.withDuration(lastDelta);
            pending = following;
        } else {
            double d = lastDelta > 0 ? lastDelta : info.frameRate() > 0 ? 1 / info.frameRate() : Double.NaN;
            // the container's duration, when it ends the stream sooner, bounds the last frame (a variable-rate
            // stream's last gap says little about its last frame)
            double left = info.startSec() + info.durationSec() - pending.ptsSec();
            if (left > 0 && !(d <= left)) {
                d = left;
            }
            out = pending.withDuration(d);
            pending = null;
            finish();
        }
        return out;
    }

    /**
     * This reader on the video's start-relative timeline ({@link FrameSource#rebased} by the stream's start time):
     * what clips are cut from, so clip 0 starts at the first frame and {@code start_sec} counts from the video's
     * start.
     */
    public FrameSource fromStart() {
        double origin = info.startSec();
        return FrameSource.rebased(this, Double.isFinite(origin) ? origin : 0);
    }

    /** Positions the reader so that {@link #next()} returns the first frame whose pts is {@code >= sec}. */
    public void seek(double sec) throws VideoException {
        position(sec, false);
    }

    /**
     * Positions the reader so that {@link #next()} returns the frame on screen at {@code sec}: the last frame whose
     * pts is {@code <= sec} (the first frame when {@code sec} precedes it), then the ones after it.
     */
    @Override
    public void seekShowing(double sec) throws VideoException {
        position(sec, true);
    }

    /**
     * Things noticed while decoding that did not stop it: fewer frames than declared, an early end, frames with
     * non-increasing timestamps.
     */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** True when the stream ended before the frames or duration its container declares (see {@link #warnings()}). */
    public boolean incomplete() {
        return incomplete;
    }

    /** Frames decoded so far (including ones decoded while seeking). */
    @Override
    public long framesDecoded() {
        return decoded;
    }

    /**
     * Abandons the decode: from now on every call throws {@code VideoException("decode")}; a read blocked on a stream
     * source fails. Safe to call from any thread; the owner still calls {@link #close()}.
     */
    public void abort() {
        aborted = true;
        if (stream != null) {
            stream.abort();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseQuietly();
    }

    private void releaseQuietly() {
        if (watchdog != null) {
            watchdog.close();
        }
        try {
            grabber.releaseUnsafe(); // not release(): no JVM-wide lock (see the constructor)
        } catch (Exception | Error ignored) {
            // a grabber that failed to start has little to release; nothing else can be done here
        }
        if (interruptKey != 0) {
            LIVE.remove(interruptKey, this);
        }
    }

    private void ensureOpen() throws VideoException {
        if (closed) {
            throw new IllegalStateException(name + ": reader is closed");
        }
        checkTimeout("decode");
    }

    private void checkTimeout(String stage) throws VideoException {
        if (watchdog != null && watchdog.expired()) {
            throw new VideoException("decode", VideoException.TIMEOUT, name + ": timed out after "
                    + seconds(watchdog.timeout()) + " (while " + (stage.equals("open") ? "opening" : stage.equals("seek")
                    ? "seeking" : "decoding") + ")", null);
        }
        if (aborted) {
            throw new VideoException("decode", name + ": decode abandoned");
        }
    }

    private static String seconds(Duration d) {
        return secondsText(d) + "s";
    }

    /** A duration in seconds as messages write it: whole seconds plain ({@code 120}), else to the millisecond. */
    public static String secondsText(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? String.valueOf((long) s) : String.format(Locale.ROOT, "%.3f", s);
    }

    /** The next decoded frame with an increasing pts, duration not yet known; null at the end. */
    private DecodedFrame raw() throws VideoException {
        if (pushedBack != null) {
            DecodedFrame f = pushedBack;
            pushedBack = null;
            return f;
        }
        while (true) {
            checkTimeout("decode");
            Frame f;
            try {
                f = grabber.grabImage();
            } catch (FFmpegFrameGrabber.Exception | RuntimeException e) {
                checkTimeout("decode");
                throw new VideoException("decode", name + ": decode failed after " + decoded + " frames ("
                        + oneLine(e) + ")", e);
            }
            checkTimeout("decode");
            if (f == null) {
                return null;
            }
            if (f.image == null || f.image[0] == null) {
                continue;
            }
            decoded++;
            double pts = f.timestamp / 1e6;
            if (!(pts > lastRawPts)) {
                outOfOrder++;
                continue;
            }
            lastRawPts = pts;
            return new DecodedFrame(pts, Double.NaN, f.imageWidth, f.imageHeight, rgb(f));
        }
    }

    private static byte[] rgb(Frame f) {
        int w = f.imageWidth;
        int h = f.imageHeight;
        int row = w * 3;
        byte[] out = new byte[row * h];
        ByteBuffer b = ((ByteBuffer) f.image[0]).duplicate();
        int stride = f.imageStride;
        if (stride == row) {
            b.position(0);
            b.get(out, 0, out.length);
        } else {
            for (int y = 0; y < h; y++) {
                b.position(y * stride);
                b.get(out, y * row, row);
            }
        }
        return out;
    }

    private void finish() {
        eof = true;
        if (outOfOrder > 0) {
            warnings.add(outOfOrder + " frame" + (outOfOrder == 1 ? "" : "s")
                    + " skipped: presentation time did not increase");
            outOfOrder = 0;
        }
        if (decoded == 0) {
            incomplete = true;
            warnings.add("no frame could be decoded");
            return;
        }
        boolean countShort = !seeked && info.declaredFrames() > 0 && decoded < info.declaredFrames();
        double fps = info.frameRate() > 0 ? info.frameRate() : 25;
        // the end the container promises: its duration, or its frame count at its rate when that is longer (a cut
        // AVI keeps the header's count while FFmpeg re-estimates the duration from what is left)
        double span = info.durationSec();
        if (info.declaredFrames() > 0 && info.frameRate() > 0) {
            double byCount = info.declaredFrames() / info.frameRate();
            span = Double.isFinite(span) ? Math.max(span, byCount) : byCount;
        }
        double declaredEnd = info.startSec() + span;
        double end = lastRawPts + (lastDelta > 0 ? lastDelta : 1 / fps);
        boolean timeShort = Double.isFinite(declaredEnd) && Double.isFinite(end)
                && end < declaredEnd - Math.max(2 / fps, 0.1);
        String counts = countShort ? "decoded " + decoded + " of " + info.declaredFrames() + " declared frames" : "";
        if (timeShort) {
            incomplete = true;
            warnings.add(String.format(Locale.ROOT, "frames end at %.3f s but the container declares %.3f s%s"
                    + " (truncated or corrupt file?)", end, declaredEnd, countShort ? "; " + counts : ""));
        } else if (countShort) {
            // AVI indexes count empty (repeat) frames: fewer pictures that still span the declared duration
            warnings.add(counts + "; they span the declared duration (empty or dropped frames in the index)");
        }
    }

    private void position(double target, boolean showing) throws VideoException {
        ensureOpen();
        if (!Double.isFinite(target)) {
            throw new IllegalArgumentException(name + ": seek target must be finite, got " + target);
        }
        seeked = true;
        double fps = info.frameRate() > 0 ? info.frameRate() : 25;
        double margin = Math.max(0.5, 4 / fps);
        for (int attempt = 0; ; attempt++) {
            double from = target - margin;
            boolean fromStart = from <= info.startSec() || attempt >= 6;
            resetTo(fromStart ? Double.NaN : from);
            DecodedFrame first = raw();
            if (first == null) {
                if (fromStart) {
                    eof = true;
                    return;
                }
                margin *= 4;
                continue;
            }
            if (first.ptsSec() > target && !fromStart) {
                margin *= 4; // the keyframe FFmpeg found is past the target: seek further back
                continue;
            }
            DecodedFrame prev = null;
            DecodedFrame cur = first;
            while (cur != null && (showing ? cur.ptsSec() <= target : cur.ptsSec() < target)) {
                if (prev != null) {
                    lastDelta = cur.ptsSec() - prev.ptsSec();
                }
                prev = cur;
                cur = raw();
            }
            if (showing && prev != null) {
                pending = prev;
                pushedBack = cur;
                if (cur == null) {
                    // prev is the last frame; next() computes its duration from lastDelta
                    pushedBack = null;
                }
            } else {
                if (prev != null && cur != null) {
                    lastDelta = cur.ptsSec() - prev.ptsSec();
                }
                pending = cur;
                if (cur == null) {
                    eof = true;
                }
            }
            return;
        }
    }

    /** Repositions the grabber at {@code sec} (NaN: the very beginning) and forgets the lookahead. */
    private void resetTo(double sec) throws VideoException {
        pending = null;
        pushedBack = null;
        eof = false;
        lastDelta = Double.NaN;
        lastRawPts = Double.NEGATIVE_INFINITY;
        try {
            if (Double.isNaN(sec)) {
                // JavaCV adds the stream's start time to the target it is given
                grabber.setVideoTimestamp(0);
            } else {
                grabber.setVideoTimestamp(Math.max(0, Math.round((sec - info.startSec()) * 1e6)));
            }
        } catch (FFmpegFrameGrabber.Exception | RuntimeException e) {
            checkTimeout("seek");
            throw new VideoException("seek", name + ": seek to " + sec + " s failed (" + oneLine(e) + ")", e);
        }
        checkTimeout("seek");
    }

    private VideoInfo probe(AVFormatContext oc) throws VideoException {
        if (!grabber.hasVideo() || oc == null || oc.isNull()) {
            throw new VideoException("probe", name + ": no video stream");
        }
        AVStream vs = null;
        for (int i = 0; i < oc.nb_streams(); i++) {
            AVStream s = oc.streams(i);
            if (s.codecpar().codec_type() == avutil.AVMEDIA_TYPE_VIDEO
                    && (s.disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) == 0) {
                vs = s;
                break;
            }
        }
        if (vs == null) {
            throw new VideoException("probe", name + ": no video stream (only a still picture attached to audio)");
        }
        int w = grabber.getImageWidth();
        int h = grabber.getImageHeight();
        if (w < 1 || h < 1) {
            throw new VideoException("probe", name + ": video stream has no picture size (" + w + "x" + h + ")");
        }
        double fps = rate(vs.avg_frame_rate());
        if (!(fps > 0)) {
            fps = rate(vs.r_frame_rate());
        }
        if (!(fps > 0) || fps > 1000) {
            fps = Double.NaN;
        }
        AVRational tb = vs.time_base();
        double duration = Double.NaN;
        if (vs.duration() != avutil.AV_NOPTS_VALUE && vs.duration() > 0 && tb.den() > 0) {
            duration = vs.duration() * (double) tb.num() / tb.den();
        } else if (oc.duration() != avutil.AV_NOPTS_VALUE && oc.duration() > 0) {
            duration = oc.duration() / (double) avutil.AV_TIME_BASE;
        }
        double start = 0;
        if (vs.start_time() != avutil.AV_NOPTS_VALUE && tb.den() > 0) {
            start = vs.start_time() * (double) tb.num() / tb.den();
        } else if (oc.start_time() != avutil.AV_NOPTS_VALUE) {
            start = oc.start_time() / (double) avutil.AV_TIME_BASE;
        }
        long frames = vs.nb_frames() > 0 ? vs.nb_frames() : -1;
        String codec = avcodec.avcodec_get_name(vs.codecpar().codec_id()).getString();
        String format = grabber.getFormat();
        int rotation = 0;
        double r = grabber.getDisplayRotation();
        if (Double.isFinite(r)) {
            rotation = (int) (((Math.round(-r) % 360) + 360) % 360);
        }
        return new VideoInfo(w, h, fps, duration, start, frames, codec, format, rotation);
    }

    private static double rate(AVRational r) {
        return r == null || r.den() == 0 ? Double.NaN : r.num() / (double) r.den();
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ').trim();
    }

    /** Open readers by the address of their format context, which FFmpeg passes back to {@link #INTERRUPT}. */
    private static final Map<Long, VideoReader> LIVE = new ConcurrentHashMap<>();

    /**
     * FFmpeg's interrupt callback, one for all readers (JavaCPP allots few native thunks per callback class): a
     * non-zero return stops the I/O loop of an aborted or timed-out reader.
     */
    private static final AVIOInterruptCB.Callback_Pointer INTERRUPT = new AVIOInterruptCB.Callback_Pointer() {
        @Override
        public int call(Pointer opaque) {
            VideoReader r = opaque == null ? null : LIVE.get(opaque.address());
            return r != null && r.aborted ? 1 : 0;
        }
    };
}
