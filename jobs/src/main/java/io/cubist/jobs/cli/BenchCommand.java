package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.backend.cpu.CpuInfo;
import io.cubist.kernels.backend.opencl.OpenClBackend;
import io.cubist.kernels.bench.FmaPeak;
import io.cubist.kernels.bench.LayerSpec;
import io.cubist.kernels.bench.LayerWorkload;
import io.cubist.kernels.bench.ModelWorkloads;
import io.cubist.kernels.bench.Timings;
import io.cubist.kernels.bench.Workload;
import io.cubist.kernels.io.Json;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code cubist bench}: times one layer (or, with a model zoo on the class path, one model) on a backend and puts
 * its GFLOP/s next to the machine's FMA peak, measured in the same process just before. Benchmarks are a command,
 * never a timed unit test.
 */
final class BenchCommand implements Command {
    /** How long the FMA peak probe runs (after a short calibration). */
    private static final double PEAK_SECONDS = 0.3;

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time one layer (Conv3d, ConvTranspose3d, pools, ...) and compare its GFLOP/s with the FMA peak";
    }

    @Override
    public Set<String> valued() {
        LinkedHashSet<String> v = new LinkedHashSet<>(List.of("layer", "input-shape", "model", "batch", "warmup",
                "warmup-seconds", "runs", "seed"));
        v.addAll(EngineFlags.NAMES);
        return v;
    }

    @Override
    public Set<String> switches() {
        return Set.of("json", "profile");
    }

    @Override
    public String usage() {
        return """
                usage: cubist bench --layer LAYER.json --input-shape N,C,D,H,W [--backend NAME] [--threads T]
                                    [--devices LIST] [--engine-option K=V]
                       cubist bench --model NAME --batch N [--profile] [engine flags, as above]
                                    [--warmup W] [--warmup-seconds S] [--runs R] [--seed S] [--json]

                Builds one torch.nn layer with random weights (fixed seed), prepares it once on the backend, runs
                it W times untimed and R times timed on a random input, and reports the median and fastest run.
                Before the layer runs, the machine's FMA peak is measured on T threads (a Vector API FMA loop,
                about %.1f s); convolutions report GFLOP/s = 2 x MACs of the direct convolution / median time and
                the fraction of that peak they reached. Pools, BatchNorm3d and ReLU report GB/s (input + output).

                --layer        {"module": NAME, "args": {...}}: NAME and args are a torch.nn class and its
                               constructor keyword arguments, same names and defaults. Modules:
                               %s
                               %s
                --input-shape  the input's shape, batch first: N,C,D,H,W (N,C,H,W for Conv2d, N,C,L for Conv1d)
                --threads      also the threads of the peak probe (default: every processor, %d)
                --warmup       untimed runs before timing, at least (default 3; 0 allowed)
                --warmup-seconds  and keep warming up at least this long (default 2; the JIT compiles the
                               kernels only after many calls, so a few runs would time the interpreter)
                --runs         timed runs (default 10)
                --seed         seed of the random weights and input (default 0)
                --json         print exactly one JSON object on stdout instead of the table
                --profile      with --model: R more runs with every top-level part timed (a residual block, an
                               Inception block, a convolution ... by its module key): ms per run, share of the run,
                               GFLOP/s; in --json as "profile"
                engine:
                %s
                On a device (opencl) --json also has bytes_to_device_per_clip, bytes_from_device_per_clip and
                launches_per_clip over the timed runs, and weight_bytes uploaded once; with several devices
                "plan" (how the work is split) and bytes_between_devices_per_clip.
                --model, --batch  whole-model mode: %s

                example:
                  cubist bench --threads 2 --input-shape 1,128,8,28,28 \\
                      --layer '{"module": "Conv3d", "args": {"in_channels": 128, "out_channels": 256,
                               "kernel_size": 3, "padding": 1}}'""".formatted(PEAK_SECONDS,
                String.join(", ", LayerSpec.MODULES.subList(0, 6)),
                String.join(", ", LayerSpec.MODULES.subList(6, LayerSpec.MODULES.size())),
                Runtime.getRuntime().availableProcessors(),
                EngineFlags.usage(),
                ModelWorkloads.find().map(m -> "one of " + String.join(", ", m.models())
                        + " with random weights on N clips").orElse("needs the model zoo, which this build does not"
                        + " have"));
    }

    @Override
    public int run(Flags flags) {
        EngineRequest request = EngineFlags.request(flags);
        int threads = request.threadBudget();
        int warmup = nonNegativeInt(flags, "warmup", 3);
        int runs = flags.positiveInt("runs", 10);
        long seed = seed(flags);
        if (flags.has("model")) {
            if (flags.has("layer") || flags.has("input-shape")) {
                throw new UsageException("bench: give --model or --layer/--input-shape, not both");
            }
            if (ModelWorkloads.find().isEmpty()) {
                throw new UsageException("bench: model mode needs the model zoo (--model): not available in this"
                        + " build");
            }
            List<String> models = ModelWorkloads.find().orElseThrow().models();
            if (!models.contains(flags.required("model"))) {
                throw new UsageException("bench: unknown model '" + flags.required("model") + "'; models: "
                        + String.join(", ", models));
            }
        }
        if (flags.has("batch") && !flags.has("model")) {
            throw new UsageException("bench: --batch goes with --model; for a layer the batch is the first entry of"
                    + " --input-shape");
        }
        LayerSpec layer = null;
        int[] shape = null;
        if (!flags.has("model")) {
            String layerJson = flags.required("layer");
            shape = parseShape(flags.required("input-shape"));
            try {
                layer = LayerSpec.parse(layerJson);
                layer.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new UsageException("bench: " + e.getMessage());
            }
        }

        List<Backend> engines = EngineFlags.open(request);
        Backend backend = engines.get(0);
        if (layer != null && engines.size() > 1) {
            throw new UsageException("bench: a single layer runs on one device; --devices with several goes with"
                    + " --model");
        }
        FmaPeak.Result peak = FmaPeak.measure(threads, PEAK_SECONDS);
        Workload w;
        try {
            if (layer != null) {
                w = new LayerWorkload(layer, shape, backend, seed);
            } else {
                w = ModelWorkloads.find().orElseThrow().create(flags.required("model"),
                        flags.positiveInt("batch", 1), engines, seed);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException("bench: " + e.getMessage());
        }
        Timings t = Timings.measure(w, warmup, warmupSeconds(flags), runs);
        Map<String, Object> report = report(flags, w, engines, threads, t, peak);
        // what crosses per clip, counted over one more run (the timed ones include nothing else to subtract); only
        // where something crosses: an engine on a device, or several engines
        Traffic before = EngineFlags.traffic(engines);
        long betweenBefore = w.bytesBetweenDevices();
        int clipsPerRun = layer != null ? shape[0] : flags.positiveInt("batch", 1);
        if (before.launches() > 0 || engines.size() > 1) {
            w.run();
            Traffic after = EngineFlags.traffic(engines);
            Traffic run = after.minus(before);
            if (run.launches() > 0) {
                report.put("bytes_to_device_per_clip", run.bytesToDevice() / (double) clipsPerRun);
                report.put("bytes_from_device_per_clip", run.bytesFromDevice() / (double) clipsPerRun);
                report.put("launches_per_clip", run.launches() / (double) clipsPerRun);
                report.put("weight_bytes", after.weightBytes());
                report.put("buffer_bytes", after.bufferBytes());
            }
        }
        if (backend instanceof OpenClBackend ocl && engines.size() == 1) {
            // the device's own FMA peak, measured by this process beside the CPU's
            double devicePeak = ocl.peakGflops();
            report.put("device", ocl.device().id() + " (" + ocl.device().name() + ")");
            report.put("device_peak_gflops", devicePeak);
            report.put("fraction_of_device_peak", report.get("gflops") instanceof Double g ? g / devicePeak : null);
        }
        if (engines.size() > 1) {
            report.put("plan", w.plan());
            report.put("bytes_between_devices_per_clip", (w.bytesBetweenDevices() - betweenBefore)
                    / (double) clipsPerRun);
        }
        List<Workload.Part> parts = flags.has("profile") ? w.profile(runs) : List.of();
        if (flags.has("profile")) {
            report.put("profile", parts.stream().map(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("part", p.name());
                m.put("ms", p.msPerRun());
                m.put("flops", p.flops());
                return m;
            }).toList());
        }
        if (flags.has("json")) {
            System.out.println(Json.write(report));
        } else {
            System.out.println(table(w, report, t, peak));
            if (!parts.isEmpty()) {
                System.out.println(profileTable(parts));
            }
        }
        return 0;
    }

    private static Map<String, Object> report(Flags flags, Workload w, List<Backend> engines, int threads,
                                              Timings t, FmaPeak.Result peak) {
        double median = t.medianMs();
        OptionalLong flops = w.flops();
        Double gflops = flops.isPresent() ? flops.getAsLong() / (median * 1e6) : null;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("layer", w.description());
        if (flags.has("layer")) {
            r.put("layer_spec", Json.parse(flags.get("layer", null)));
        } else {
            r.put("model", flags.get("model", null));
            r.put("batch", flags.positiveInt("batch", 1));
        }
        r.put("input_shape", w.inputShape());
        r.put("output_shape", w.outputShape());
        r.put("backend", engines.get(0).name());
        r.put("engines", engines.stream().map(Backend::describe).toList());
        r.put("threads", threads);
        r.put("warmup", t.warmup());
        r.put("runs", t.runs());
        r.put("ms_median", median);
        r.put("ms_min", t.minMs());
        r.put("ms_all", t.allMs());
        // the process's CPU time per run and the share of the threads' cores it kept busy (a busy machine shows here)
        r.put("cpu_ms_per_run", Double.isNaN(t.cpuMsPerRun()) ? null : t.cpuMsPerRun());
        r.put("cpu_busy", Double.isNaN(t.cpuBusy(threads)) ? null : t.cpuBusy(threads));
        if (!flags.has("layer")) {
            // a model's throughput: clips of the batch per second of the median forward pass
            r.put("clips_per_sec", flags.positiveInt("batch", 1) / (median / 1e3));
        }
        r.put("flops", flops.isPresent() ? flops.getAsLong() : null);
        r.put("gflops", gflops);
        r.put("gb_per_s", w.bytesMoved() / (median * 1e6));
        r.put("peak_gflops", peak.gflops());
        r.put("fraction_of_peak", gflops == null ? null : gflops / peak.gflops());
        r.put("vector_bits", peak.lanes() * 32);
        // what the cpu engine found the processor to be, and the blocking it chose from that
        r.put("cpu", CpuInfo.HOST.describe());
        r.put("cpu_blocking", CpuInfo.HOST.blocking());
        r.put("java", Runtime.version().toString());
        return r;
    }

    private static String table(Workload w, Map<String, Object> r, Timings t, FmaPeak.Result peak) {
        StringBuilder b = new StringBuilder();
        line(b, "layer", w.description());
        line(b, "input", Arrays.toString(w.inputShape()));
        line(b, "output", Arrays.toString(w.outputShape()));
        line(b, "engines", String.join(" + ", w.plan().isEmpty() ? ((List<?>) r.get("engines")).stream()
                .map(Object::toString).toList() : w.plan()));
        line(b, "threads", r.get("threads").toString());
        line(b, "time", fmt("%.3f ms median, %.3f ms min (%d runs after %d warmup)", t.medianMs(), t.minMs(),
                t.runs(), t.warmup()));
        if (r.get("cpu_busy") instanceof Double busy) {
            line(b, "cpu", fmt("%.1f ms per run, the %s threads busy %.0f%% of the time", t.cpuMsPerRun(),
                    r.get("threads"), 100 * busy));
        }
        if (r.get("clips_per_sec") instanceof Double c) {
            line(b, "clips/s", fmt("%.2f", c));
        }
        if (r.get("gflops") instanceof Double g) {
            line(b, "work", fmt("%.3f GFLOP (2 x MACs of the direct convolution)", (Long) r.get("flops") / 1e9));
            line(b, "throughput", fmt("%.1f GFLOP/s", g));
        } else {
            line(b, "throughput", fmt("%.2f GB/s (input + output)", (Double) r.get("gb_per_s")));
        }
        line(b, "processor", CpuInfo.HOST.describe());
        line(b, "blocking", CpuInfo.HOST.blocking().toString());
        line(b, "peak", fmt("%.1f GFLOP/s (FMA loop on %d threads, %d-bit vectors, %.2f s)", peak.gflops(),
                peak.threads(), peak.lanes() * 32, peak.seconds()));
        if (r.get("fraction_of_peak") instanceof Double f) {
            line(b, "of peak", fmt("%.1f%%", 100 * f));
        }
        if (r.get("launches_per_clip") instanceof Double l) {
            line(b, "per clip", fmt("%.0f bytes to the device, %.0f from it, %.1f launches (weights %d bytes,"
                    + " once)", (Double) r.get("bytes_to_device_per_clip"),
                    (Double) r.get("bytes_from_device_per_clip"), l, (Long) r.get("weight_bytes")));
        }
        if (r.get("device_peak_gflops") instanceof Double dp) {
            line(b, "device peak", fmt("%.1f GFLOP/s (FMA chains on %s)", dp, r.get("device")));
            if (r.get("fraction_of_device_peak") instanceof Double f) {
                line(b, "of device", fmt("%.1f%%", 100 * f));
            }
        }
        if (r.get("bytes_between_devices_per_clip") instanceof Double x) {
            line(b, "exchanged", fmt("%.0f bytes per clip between devices", x));
        }
        return b.toString().stripTrailing();
    }

    /** One line per part: ms per run, its share of the parts' sum, GFLOP/s where it has FLOPs. */
    static String profileTable(List<Workload.Part> parts) {
        double total = parts.stream().mapToDouble(Workload.Part::msPerRun).sum();
        int width = Math.max(4, parts.stream().mapToInt(p -> p.name().length()).max().orElse(4));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n%-" + width + "s  %9s  %6s  %9s%n", "part", "ms/run", "share", "GFLOP/s"));
        for (Workload.Part p : parts) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %9.3f  %5.1f%%  %9s%n", p.name(), p.msPerRun(),
                    100 * p.msPerRun() / Math.max(total, 1e-9),
                    p.flops() > 0 ? String.format(Locale.ROOT, "%.1f", p.flops() / (p.msPerRun() * 1e6)) : ""));
        }
        b.append(String.format(Locale.ROOT, "%-" + width + "s  %9.3f  %5.1f%%%n", "sum", total, 100.0));
        return b.toString().stripTrailing();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "%-12s %s%n", key, value));
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** {@code N,C,D,H,W}: positive ints separated by commas; brackets and spaces are allowed around them. */
    static int[] parseShape(String text) {
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        String[] parts = s.split(",", -1);
        int[] shape = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                shape[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                shape[i] = 0;
            }
            if (shape[i] < 1) {
                throw new UsageException("bench: --input-shape must be positive ints separated by commas, batch"
                        + " first (N,C,D,H,W), got '" + text + "'");
            }
        }
        return shape;
    }

    private static double warmupSeconds(Flags flags) {
        String v = flags.get("warmup-seconds", "2");
        try {
            double d = Double.parseDouble(v.trim());
            if (d >= 0 && d <= 600) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("bench: --warmup-seconds must be a number from 0 to 600, got '" + v + "'");
    }

    private static int nonNegativeInt(Flags flags, String name, int dflt) {
        String v = flags.get(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("bench: --" + name + " must be an integer >= 0, got '" + v + "'");
    }

    private static long seed(Flags flags) {
        String v = flags.get("seed", null);
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new UsageException("bench: --seed must be an integer, got '" + v + "'");
        }
    }
}
