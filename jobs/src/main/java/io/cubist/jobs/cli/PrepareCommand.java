package io.cubist.jobs.cli;

import io.cubist.pipeline.clip.ClipBatch;
import io.cubist.pipeline.clip.ClipDatasetInfo;
import io.cubist.pipeline.clip.ClipDatasetWriter;
import io.cubist.pipeline.clip.ClipLayout;
import io.cubist.pipeline.clip.ClipProducer;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.VideoException;
import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.VideoFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * {@code cubist prepare}: decodes videos, cuts and transforms their clips as a model's preset says, and writes them
 * as a clip dataset of Arrow IPC files (one per video) that {@code cubist extract --clips DIR} reads back. Local, no
 * Spark.
 */
final class PrepareCommand implements Command {

    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public String summary() {
        return "decode videos into clips (the model's preprocessing) and write them as Arrow IPC files";
    }

    @Override
    public Set<String> valued() {
        return new LinkedHashSet<>(List.of("input", "output", "model", "preset", "storage", "clip-length",
                "frame-step", "clip-stride", "fps", "tail", "batch-size", "decode-timeout"));
    }

    @Override
    public String usage() {
        return """
                usage: cubist prepare --input PATH [--input PATH ...] --output DIR [--model NAME | --preset FILE]
                                      [--storage uint8|float32] [--clip-length T] [--frame-step S]
                                      [--clip-stride N] [--fps F] [--tail drop|pad-last|back-pad] [--batch-size N]
                                      [--decode-timeout SECONDS]

                Writes DIR/clips-NNNNN.arrow, one Arrow IPC file per video that yields clips, with one row per clip:
                video, clip, start_sec, end_sec and pixels [3, T, H, W] (uint8 pixels, normalized when read, or
                float32 already normalized). The schema metadata records the preset, the clip shape, mean and std
                and the sampling. Videos that cannot be read are listed in DIR/_errors.csv (video, stage, message);
                they do not stop the others.

                --input        a video file or a directory of videos (by extension, recursively); repeat for more
                --output       a new or empty directory
                --model        whose preset (conf/models/NAME.json) sets the resize, crop, mean, std, clip length and
                               frame rate (default r2plus1d_18)
                --preset       a preset JSON file instead of --model
                --storage      uint8 (default; a quarter of the size) or float32
                --clip-length  frames per clip (default: the preset's; --clip-len is the same)
                --frame-step   take every S-th frame after resampling (default 1)
                --clip-stride  resampled frames between clip starts (default clip-length x frame-step)
                --fps          resampling rate (default: the preset's)
                --tail         what to do with frames after the last whole clip (default drop)
                --batch-size   clips per Arrow record batch (default 16)
                --decode-timeout  abandon a video whose decoder produces no frame for this many seconds
                               (default %d; --timeout is the same)""".formatted((long) ExtractOptions.DEFAULT_DECODE_TIMEOUT);
    }

    @Override
    public int run(Flags flags) throws Exception {
        List<String> inputs = flags.all("input");
        if (inputs.isEmpty()) {
            throw new UsageException("prepare: --input is required (see cubist prepare --help)");
        }
        Path out = Path.of(flags.required("output"));
        if (flags.has("model") && flags.has("preset")) {
            throw new UsageException("prepare: give --model or --preset, not both");
        }
        ModelPreset preset = flags.has("preset") ? ModelPreset.read(flags.inputFile("preset"))
                : ModelPreset.forModel(flags.get("model", "r2plus1d_18"));
        ClipLayout.Storage storage = parse(() -> ClipLayout.Storage.parse(flags.get("storage", "uint8")), "storage");
        int clipLen = flags.positiveInt("clip-length", preset.clipLength());
        int step = flags.positiveInt("frame-step", 1);
        int stride = flags.positiveInt("clip-stride", clipLen * step);
        double fps = parse(() -> Double.parseDouble(flags.get("fps", Double.toString(preset.frameRate()))), "fps");
        TailPolicy tail = parse(() -> TailPolicy.parse(flags.get("tail", "drop")), "tail");
        SamplerSettings sampler = parse(() -> new SamplerSettings(clipLen, step, stride, tail, fps), "fps");
        int batchSize = flags.positiveInt("batch-size", 16);
        Duration timeout = Duration.ofSeconds(flags.positiveInt("decode-timeout",
                (int) ExtractOptions.DEFAULT_DECODE_TIMEOUT));

        List<Path> videos = listVideos(inputs);
        if (videos.isEmpty()) {
            throw new IllegalArgumentException("no videos found in " + inputs + " (extensions: "
                    + VideoFiles.EXTENSIONS.stream().sorted().toList() + ")");
        }
        prepareOutput(out);

        ClipTransform transform = ClipTransform.of(preset);
        ClipDatasetInfo info = new ClipDatasetInfo(preset.model(), ClipLayout.of(transform, clipLen, storage),
                sampler);
        List<String> errors = new ArrayList<>();
        int files = 0;
        long clips = 0;
        long t0 = System.nanoTime();
        try (BufferAllocator root = new RootAllocator()) {
            for (int i = 0; i < videos.size(); i++) {
                Path video = videos.get(i);
                Path file = out.resolve(String.format(Locale.ROOT, "clips-%05d.arrow", i));
                try {
                    long n = prepareOne(video, file, transform, info, batchSize, timeout, root);
                    if (n > 0) {
                        files++;
                        clips += n;
                    }
                    System.err.printf(Locale.ROOT, "cubist prepare: %s: %d clip%s%n", video, n, n == 1 ? "" : "s");
                } catch (VideoException e) {
                    Files.deleteIfExists(file);
                    errors.add(csv(video.toString()) + "," + csv(e.stage()) + "," + csv(e.getMessage()));
                    System.err.printf(Locale.ROOT, "cubist prepare: %s: skipped (%s: %s)%n", video, e.stage(),
                            e.getMessage());
                }
            }
        }
        if (!errors.isEmpty()) {
            List<String> lines = new ArrayList<>();
            lines.add("video,stage,message");
            lines.addAll(errors);
            Files.write(out.resolve("_errors.csv"), lines, StandardCharsets.UTF_8);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "cubist prepare: %d clip%s from %d of %d video%s in %.1f s -> %s (%s, %s)%s%n",
                clips, clips == 1 ? "" : "s", videos.size() - errors.size(), videos.size(),
                videos.size() == 1 ? "" : "s", secs, out, "[3, " + clipLen + ", " + preset.cropHeight() + ", "
                        + preset.cropWidth() + "]", storage.name().toLowerCase(Locale.ROOT),
                errors.isEmpty() ? "" : "; " + errors.size() + " failed, see " + out.resolve("_errors.csv"));
        return errors.size() == videos.size() ? 1 : 0;
    }

    /** Writes one video's clips; returns how many (no file when none). */
    private static long prepareOne(Path video, Path file, ClipTransform transform, ClipDatasetInfo info,
                                   int batchSize, Duration timeout, BufferAllocator root)
            throws VideoException, IOException {
        ClipProducer.Settings settings = new ClipProducer.Settings(info.sampler(), batchSize,
                info.layout().storage(), timeout);
        long n = 0;
        try (BufferAllocator task = root.newChildAllocator("prepare:" + video.getFileName(), 0, Long.MAX_VALUE);
             ClipProducer producer = ClipProducer.start(SeekableInput.Source.local(video), transform, settings,
                     task)) {
            ClipDatasetWriter writer = null;
            try {
                for (ClipBatch next; (next = producer.next()) != null; ) {
                    try (ClipBatch batch = next) {
                        if (writer == null) {
                            writer = ClipDatasetWriter.create(file, task, info);
                        }
                        writer.write(batch);
                        n += batch.size();
                    }
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
            for (String w : producer.warnings()) {
                System.err.println("cubist prepare: " + video + ": warning: " + w);
            }
        }
        return n;
    }

    static List<Path> listVideos(List<String> inputs) throws IOException {
        List<Path> videos = new ArrayList<>();
        for (String in : inputs) {
            Path p = Path.of(in);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(PrepareCommand::looksLikeVideo).sorted().forEach(videos::add);
                }
            } else if (Files.exists(p)) {
                videos.add(p);
            } else {
                throw new UsageException("prepare: --input " + in + ": no such file or directory");
            }
        }
        return videos;
    }

    private static boolean looksLikeVideo(Path p) {
        return VideoFiles.isVideoName(p.getFileName().toString());
    }

    private static void prepareOutput(Path out) throws IOException {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw new UsageException("prepare: --output " + out + " is a file, not a directory");
            }
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new UsageException("prepare: --output " + out + " is not empty; choose a new directory");
                }
            }
        }
        Files.createDirectories(out);
    }

    private static String csv(String s) {
        String v = s == null ? "" : s.replace('\n', ' ');
        return v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    private interface Parse<T> {
        T get();
    }

    private static <T> T parse(Parse<T> p, String flag) {
        try {
            return p.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException("prepare: --" + flag + ": " + e.getMessage());
        }
    }
}
