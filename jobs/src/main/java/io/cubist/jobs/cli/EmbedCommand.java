package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.io.DType;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ClassLabels;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.weights.StateDictLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code cubist embed}: runs a model on ready clips and writes their features (and logits). */
final class EmbedCommand implements Command {

    private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F16, DType.BF16, DType.F64);

    @Override
    public String name() {
        return "embed";
    }

    @Override
    public String summary() {
        return "run a model on clips from a safetensors file; write features (and logits)";
    }

    @Override
    public Set<String> valued() {
        LinkedHashSet<String> v = new LinkedHashSet<>(List.of("model", "weights", "clips", "out", "batch-size",
                "widths", "layer", "pool", "views", "top-k", "labels"));
        v.addAll(EngineFlags.NAMES);
        return v;
    }

    @Override
    public String usage() {
        return """
                usage: cubist embed --model NAME [--weights W.safetensors|W.pth] --clips CLIPS.safetensors
                                    --out OUT.safetensors [--backend NAME] [--threads N] [--devices LIST]
                                    [--engine-option K=V] [--batch-size N]
                                    [--layer NAME[,NAME...]] [--pool avg|none] [--views 1|3|10] [--top-k K]

                CLIPS holds one float tensor [N, 3, T, H, W], already normalized (the only tensor in the file, or
                the one named 'clips'). OUT gets 'features' [N, D], the classifier's input after global pooling,
                and 'logits' [N, K] when the weights include the classifier (fc.*; classifier.* for s3d,
                fc8.* for c3d, blocks.5.proj.* for x3d, logits.* for i3d), and 'layer/NAME' per --layer.
                With --views V > 1 every output gets a view axis after the clip's: [N, V, ...].

                --model       %s
                --weights     a checkpoint keyed as torchvision's state_dict: safetensors, or a PyTorch
                              .pth/.pt zip (torch.save(model.state_dict())), read without running pickle code;
                              see tools/export_torchvision.py. Without it the model runs on seeded random
                              weights and its features mean nothing.
                --batch-size  clips per forward pass (default 1)
                --widths      the four stage widths of a reduced variant (default 64,128,256,512)
                --layer       also write these modules' outputs, by state_dict prefix (layer3, blocks.4,
                              Mixed_4f); cubist summary --model NAME --layers lists them
                --pool        avg: each layer's output averaged over time and space, [N, C] (default);
                              none: the map as the layer gives it, [N, C, T', H', W']
                --views       test-time views: 1 (the clips as they are, default); 3 or 10: the clips are
                              the resized frames (H, W at least the preset's crop) and each view is a crop of
                              them as extract takes it (3: start, center, end; 10: five crops and mirrors)
                --top-k       print the K most likely classes of each clip with their probabilities (softmax
                              of the logits; Kinetics-400's names for a 400-class classifier): the check that
                              converted weights loaded right
                --labels      class names for --top-k, one per line (default: Kinetics-400's for 400
                              classes, else the class indices)

                engine (see cubist backends, cubist devices):
                %s

                Printed: clips/s, and what crossed to and from a device per clip (bytes, kernel launches) when the
                engine computes on one; with several devices, how the work is split.""".formatted(
                String.join(", ", ModelZoo.names()), EngineFlags.usage());
    }

    @Override
    public int run(Flags flags) throws Exception {
        String modelName = flags.required("model");
        ModelZoo.describe(modelName); // an unknown name fails before any file is read
        Path clipsPath = flags.inputFile("clips");
        Path weightsPath = flags.has("weights") ? flags.inputFile("weights") : null;
        Path out = Path.of(flags.required("out"));
        int batch = flags.positiveInt("batch-size", 1);
        int[] widths = flags.positiveInts("widths", 4, null);
        EngineRequest request = EngineFlags.request(flags);
        if (flags.has("threads") && request.backend() != null && !request.backend().equals(CpuBackend.NAME)
                && request.devices().stream().noneMatch(d -> d.equals(CpuBackend.NAME) || d.equals("all"))) {
            throw new UsageException("embed: --threads applies to the cpu backend, not '" + request.backend() + "'");
        }
        List<Backend> engines = EngineFlags.open(request);
        List<String> layers = flags.has("layer") ? List.of(flags.get("layer", "").split(",")) : List.of();
        LayerPool pool;
        try {
            pool = LayerPool.parse(flags.get("pool", "avg"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("embed: --" + e.getMessage());
        }
        int views = flags.positiveInt("views", 1);
        try {
            ClipTransform.checkViews(views);
        } catch (IllegalArgumentException e) {
            throw new UsageException("embed: --" + e.getMessage());
        }
        int topK = flags.has("top-k") ? flags.positiveInt("top-k", 5) : 0;
        Path labelsPath = flags.has("labels") ? flags.inputFile("labels") : null;
        ModelZoo.network(modelName, widths).checkLayers(layers); // before any work
        Tensor clips = readClips(clipsPath);
        List<ClipTransform> crops = views == 1 ? null : viewCrops(modelName, clips, views);

        Model model;
        if (weightsPath != null) {
            model = ModelZoo.create(modelName, widths, StateDictLoader.load(weightsPath));
        } else {
            System.err.println("cubist embed: WARNING: no --weights given: " + modelName + " runs on random weights"
                    + " (seed " + ModelZoo.RANDOM_SEED + "). Its features mean nothing; pass --weights for real"
                    + " ones (tools/export_torchvision.py writes torchvision's).");
            model = ModelZoo.create(modelName, widths, null);
        }

        if (topK > 0 && !model.hasClassifier()) {
            throw new UsageException("embed: --top-k needs the classifier's weights; " + model.source()
                    + " has none (features only)");
        }
        ClassLabels labels = null;
        if (topK > 0) {
            int classes = model.network().expectedShapes().get(ModelZoo.describe(modelName).classifierWeightKey())[0];
            labels = labelsPath != null ? ClassLabels.read(labelsPath, classes) : ClassLabels.forClasses(classes);
        }

        long t0 = System.nanoTime();
        PreparedModel prepared;
        try {
            prepared = model.prepare(engines, layers, pool);
        } catch (IllegalArgumentException e) {
            throw new UsageException("embed: " + e.getMessage());
        }
        long t1 = System.nanoTime();
        Traffic before = EngineFlags.traffic(engines);
        Map<String, Tensor> result = crops == null ? run(prepared, clips, batch) : runViews(prepared, clips, batch,
                crops);
        long t2 = System.nanoTime();
        Traffic moved = EngineFlags.traffic(engines).minus(before);
        if (labels != null) {
            printTopK(result.get("logits"), labels, topK, views);
        }
        String engineText = String.join(" + ", engines.stream().map(Backend::describe).toList());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", modelName);
        meta.put("weights", model.source());
        meta.put("backend", engines.get(0).name());
        meta.put("engines", engineText);
        meta.put("clips", clipsPath.toString());
        SafeTensors.write(out, result, meta);
        int n = clips.dim(0);
        double secs = (t2 - t1) / 1e9;
        System.err.printf(Locale.ROOT, "cubist embed: %d clip%s through %s on %s in %.2f s (%.2f clips/s;"
                + " prepared in %.2f s): %s%s -> %s%n", n, n == 1 ? "" : "s", modelName, engineText, secs,
                n / Math.max(secs, 1e-9), (t1 - t0) / 1e9, "features " + Arrays.toString(result.get("features")
                        .shape()), result.containsKey("logits") ? ", logits "
                        + Arrays.toString(result.get("logits").shape()) : "", out);
        if (engines.size() > 1) {
            for (String line : prepared.describePlan()) {
                System.err.println("cubist embed: plan: " + line);
            }
        }
        if (moved.launches() > 0) {
            int clipsRun = Math.max(1, n * views);
            System.err.printf(Locale.ROOT, "cubist embed: per clip: %d bytes to the device, %d bytes from it, %d"
                    + " kernel launches (weights: %d bytes, once)%n", moved.bytesToDevice() / clipsRun,
                    moved.bytesFromDevice() / clipsRun, moved.launches() / clipsRun,
                    EngineFlags.traffic(engines).weightBytes());
        }
        return 0;
    }

    /** The clips tensor: the only one in the file, or the one named {@code clips}; a float [N, 3, T, H, W]. */
    static Tensor readClips(Path path) {
        TensorFile f = SafeTensors.read(path);
        List<String> names = f.names();
        String key;
        if (names.size() == 1) {
            key = names.get(0);
        } else if (names.contains("clips")) {
            key = "clips";
        } else {
            throw new IllegalArgumentException(path + ": expected one tensor or one named 'clips', found "
                    + (names.isEmpty() ? "none" : names));
        }
        int[] shape = f.shape(key);
        if (shape.length != 5 || shape[1] != 3 || Arrays.stream(shape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException(path + ": '" + key + "' must be clips [N, 3, T, H, W], got "
                    + Arrays.toString(shape));
        }
        if (!FLOATS.contains(f.dtype(key))) {
            throw new IllegalArgumentException(path + ": '" + key + "' is " + f.dtype(key) + "; clips must be"
                    + " normalized floats (F32), not raw pixels");
        }
        return f.get(key);
    }

    /**
     * Runs the clips {@code batch} at a time and stacks the outputs along the first axis: {@code features},
     * {@code logits} (with a classifier) and {@code layer/NAME} per requested layer.
     */
    static Map<String, Tensor> run(PreparedModel model, Tensor clips, int batch) {
        int n = clips.dim(0);
        int per = clips.numel() / n;
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (int start = 0; start < n; start += batch) {
            int b = Math.min(batch, n - start);
            int[] shape = clips.shape();
            shape[0] = b;
            float[] part = Arrays.copyOfRange(clips.data(), start * per, (start + b) * per);
            PreparedModel.Output o = model.forward(new Tensor(part, shape));
            Map<String, Tensor> named = new LinkedHashMap<>();
            named.put("features", o.features());
            if (o.logits() != null) {
                named.put("logits", o.logits());
            }
            o.layers().forEach((k, v) -> named.put("layer/" + k, v));
            for (Map.Entry<String, Tensor> e : named.entrySet()) {
                Tensor t = e.getValue();
                int each = t.numel() / b;
                if (!out.containsKey(e.getKey())) {
                    out.put(e.getKey(), new float[n * each]);
                    int[] s = t.shape();
                    s[0] = n;
                    shapes.put(e.getKey(), s);
                }
                System.arraycopy(t.data(), 0, out.get(e.getKey()), start * each, b * each);
            }
        }
        Map<String, Tensor> r = new LinkedHashMap<>();
        out.forEach((k, v) -> r.put(k, new Tensor(v, shapes.get(k))));
        return r;
    }

    /** The views' crops of the clips, each run as {@link #run}; every output gets a view axis: {@code [N, V, ...]}. */
    static Map<String, Tensor> runViews(PreparedModel model, Tensor clips, int batch, List<ClipTransform> crops) {
        List<Map<String, Tensor>> per = crops.stream().map(c -> run(model, c.crop(clips), batch)).toList();
        int n = clips.dim(0);
        int v = crops.size();
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (String key : per.get(0).keySet()) {
            int[] s = per.get(0).get(key).shape();
            int each = per.get(0).get(key).numel() / n;
            float[] all = new float[n * v * each];
            for (int j = 0; j < v; j++) {
                float[] d = per.get(j).get(key).data();
                for (int i = 0; i < n; i++) {
                    System.arraycopy(d, i * each, all, (i * v + j) * each, each);
                }
            }
            int[] shape = new int[s.length + 1];
            shape[0] = n;
            shape[1] = v;
            System.arraycopy(s, 1, shape, 2, s.length - 1);
            r.put(key, new Tensor(all, shape));
        }
        return r;
    }

    /** The crops of {@code views} test-time views at the model's preset crop, for clips of the resized size. */
    static List<ClipTransform> viewCrops(String model, Tensor clips, int views) {
        ModelPreset p = ModelPreset.forModel(model);
        int h = clips.dim(3);
        int w = clips.dim(4);
        if (h < p.cropHeight() || w < p.cropWidth()) {
            throw new UsageException("embed: --views " + views + " crops " + p.cropHeight() + "x" + p.cropWidth()
                    + " views (" + model + "'s preset) out of the clips, which are " + h + "x" + w + "; give the"
                    + " resized frames, not the crops");
        }
        return new ClipTransform(h, w, p.cropHeight(), p.cropWidth(), p.mean(), p.std()).views(views);
    }

    /** One line per clip (and view): its {@code k} most likely classes with their probabilities. */
    static void printTopK(Tensor logits, ClassLabels labels, int k, int views) {
        int rows = logits.numel() / labels.size();
        List<List<ClassLabels.Prediction>> top = labels.topK(new Tensor(logits.data(), rows, labels.size()), k);
        for (int r = 0; r < rows; r++) {
            StringBuilder b = new StringBuilder(views == 1 ? "clip " + r : "clip " + r / views + " view "
                    + r % views);
            b.append(':');
            for (ClassLabels.Prediction p : top.get(r)) {
                b.append(String.format(Locale.ROOT, "  %s %.4f", p.label(), p.probability()));
            }
            System.out.println(b);
        }
    }
}
