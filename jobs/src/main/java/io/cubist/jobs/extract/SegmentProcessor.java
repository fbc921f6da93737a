package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.ClipFeature;
import io.cubist.pipeline.video.SeekableInput;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of the job and of the transformer: probes videos and runs segments ({@link ExtractRows} turns
 * them into rows). Everything heavy (decoders, the loaded
 * model, Arrow allocators) is created here, on the executor, and the model is cached per JVM ({@link ExecutorModels}).
 * Every file is read through the job's Hadoop configuration ({@link HadoopConf}, broadcast once), streamed from its
 * FileSystem, never copied.
 */
final class SegmentProcessor {

    /** Executor-side log (Spark's SLF4J): lands in the executor's log, at the levels conf/log4j2.properties sets. */
    private static final Logger LOG = LoggerFactory.getLogger(SegmentProcessor.class);

    /** The accumulators a task reports through (counts, times, errors, the engine that ran), and the broadcasts. */
    record Stats(LongAccumulator clips, LongAccumulator segments, DoubleAccumulator decodeSec,
                 DoubleAccumulator computeSec, CollectionAccumulator<ErrorRecord> errors,
                 CollectionAccumulator<String> engines, CollectionAccumulator<String> warnings,
                 CollectionAccumulator<ErrorRecord> noClips, CollectionAccumulator<String> withClips,
                 CollectionAccumulator<VideoBytes> bytesRead, LongAccumulator bytesToDevice,
                 LongAccumulator bytesFromDevice, LongAccumulator launches, Broadcast<HashSet<String>> skip,
                 Broadcast<HadoopConf> hadoop)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Bytes one segment (or probe) read of a video. */
    record VideoBytes(String video, long bytes) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private SegmentProcessor() {
    }

    static Probe probe(SegmentWork o, String video, Broadcast<HadoopConf> hadoop) {
        try {
            return VideoWork.probe(video, HadoopInput.source(video, hadoop.value().get()), o);
        } catch (RuntimeException e) {
            return Probe.failed(ErrorRecord.of(video, "probe", e, 0), 0);
        }
    }

    /**
     * What one segment gave: its finite features (clip order), the outcome (times, bytes, engine, warnings, error),
     * and, for a video that gave no clip and no error, the {@code no_clips} record that accounts for it.
     */
    record SegmentResult(List<ClipFeature> features, VideoWork.Outcome outcome, ErrorRecord noClips) {
    }

    /**
     * Runs one segment on this executor, read through {@code conf}; {@code perClip} (may be null) counts each clip as
     * it is done, so heartbeats carry the progress of running tasks. Clips of videos in {@code skip} (prepared clip
     * files only) are left out. Logs the segment through SLF4J.
     */
    static SegmentResult run(SegmentWork o, Segment s, Configuration conf, Set<String> skip,
                             LongAccumulator perClip) {
        List<ClipFeature> features = new ArrayList<>();
        SeekableInput.Source source = HadoopInput.source(s.video(), conf);
        java.util.function.Consumer<ClipFeature> sink = f -> {
            if (!skip.contains(f.video())) {
                features.add(f);
                if (perClip != null) {
                    perClip.add(1);
                }
            }
        };
        VideoWork.Outcome out = o.clips() != null ? ClipFileWork.run(o, s, source, sink)
                : VideoWork.extract(o, s, source, sink);
        LOG.info("{} segment {}/{} [{}, {}) s: {} clips, decode {} s, model {} s, {} bytes read, {}", s.video(),
                s.index() + 1, s.count(), s.startSec(), s.endSec(), features.size(), String.format(Locale.ROOT,
                "%.2f", out.decodeSec()), String.format(Locale.ROOT, "%.2f", out.computeSec()), out.bytesRead(),
                out.engine());
        for (String w : out.warnings()) {
            LOG.warn("{}: {}", s.video(), w);
        }
        ErrorRecord noClips = null;
        if (out.error() != null) {
            LOG.warn("{} segment {}: {} failed ({}): {}", s.video(), s.index() + 1, out.error().stage(),
                    out.error().error(), out.error().message());
        } else if (o.clips() == null && features.isEmpty()) {
            // a video too short for one clip: recorded, so the video is accounted for and a re-run skips it
            noClips = new ErrorRecord(s.video(), "sample", "no_clips", String.format(Locale.ROOT,
                    "no whole clip: a clip spans %.3g s (%d frames, step %d, at %.4g fps) and the video is"
                    + " shorter; --tail pad-last keeps short videos", ((o.clipLength() - 1) * o.frameStep() + 1)
                    / o.frameRate(), o.clipLength(), o.frameStep(), o.frameRate()), s.index());
        }
        return new SegmentResult(features, out, noClips);
    }

    /**
     * The extract job's bookkeeping of one segment: its times, engine, bytes, warnings and error through the
     * accumulators (the transformer, with no accumulators, has none).
     */
    static void record(Stats stats, Segment s, SegmentResult r) {
        VideoWork.Outcome out = r.outcome();
        stats.decodeSec().add(out.decodeSec());
        stats.computeSec().add(out.computeSec());
        stats.engines().add(out.engine());
        stats.bytesToDevice().add(out.device().bytesToDevice());
        stats.bytesFromDevice().add(out.device().bytesFromDevice());
        stats.launches().add(out.device().launches());
        stats.bytesRead().add(new VideoBytes(s.video(), out.bytesRead()));
        for (String w : out.warnings()) {
            stats.warnings().add(s.video() + ": " + w);
        }
        if (out.error() != null) {
            stats.errors().add(out.error());
        } else if (r.noClips() != null) {
            // unless another segment of the video has clips, which the driver checks
            stats.noClips().add(r.noClips());
        }
        if (!r.features().isEmpty() && s.count() > 1) {
            stats.withClips().add(s.video());
        }
        stats.segments().add(1);
    }

    /** The FFmpeg version the decoder was built from. */
    static String ffmpegVersion() {
        return VideoWork.ffmpegVersion();
    }
}
