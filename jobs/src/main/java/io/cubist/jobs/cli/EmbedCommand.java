package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.io.DType;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
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
        return new LinkedHashSet<>(List.of("model", "weights", "clips", "out", "backend", "threads", "batch-size",
                "widths"));
    }

    @Override
    public String usage() {
        return """
                usage: cubist embed --model NAME [--weights W.safetensors|W.pth] --clips CLIPS.safetensors
                                    --out OUT.safetensors [--backend NAME] [--threads N] [--batch-size N]

                CLIPS holds one float tensor [N, 3, T, H, W], already normalized (the only tensor in the file, or
                the one named 'clips'). OUT gets 'features' [N, D], the classifier's input after global pooling,
                and 'logits' [N, K] when the weights include the classifier (fc.*; classifier.* for s3d,
                fc8.* for c3d).

                --model       %s
                --weights     a checkpoint keyed as torchvision's state_dict: safetensors, or a PyTorch
                              .pth/.pt zip (torch.save(model.state_dict())), read without running pickle code;
                              see tools/export_torchvision.py. Without it the model runs on seeded random
                              weights and its features mean nothing.
                --backend     %s (default: the best available; see cubist backends)
                --threads     threads of the cpu backend (default: every processor)
                --batch-size  clips per forward pass (default 1)
                --widths      the four stage widths of a reduced variant (default 64,128,256,512)""".formatted(
                String.join(", ", ModelZoo.names()), String.join("|", Backends.names()));
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
        Backend selected = Backends.select(flags.get("backend", null));
        int threads = flags.has("threads") ? flags.positiveInt("threads", 1) : 0;
        if (threads > 0 && !selected.name().equals(CpuBackend.NAME)) {
            throw new UsageException("embed: --threads applies to the cpu backend, not '" + selected.name() + "'");
        }
        Tensor clips = readClips(clipsPath);

        Model model;
        if (weightsPath != null) {
            model = ModelZoo.create(modelName, widths, StateDictLoader.load(weightsPath));
        } else {
            System.err.println("cubist embed: WARNING: no --weights given: " + modelName + " runs on random weights"
                    + " (seed " + ModelZoo.RANDOM_SEED + "). Its features mean nothing; pass --weights for real"
                    + " ones (tools/export_torchvision.py writes torchvision's).");
            model = ModelZoo.create(modelName, widths, null);
        }

        CpuBackend own = threads > 0 ? new CpuBackend(threads) : null;
        try {
            Backend backend = own != null ? own : selected;
            long t0 = System.nanoTime();
            PreparedModel prepared = model.prepare(backend);
            long t1 = System.nanoTime();
            Map<String, Tensor> result = run(prepared, clips, batch);
            long t2 = System.nanoTime();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", modelName);
            meta.put("weights", model.source());
            meta.put("backend", backend.name());
            meta.put("clips", clipsPath.toString());
            SafeTensors.write(out, result, meta);
            int n = clips.dim(0);
            double secs = (t2 - t1) / 1e9;
            System.err.printf(Locale.ROOT, "cubist embed: %d clip%s through %s on %s%s in %.2f s (%.2f clips/s;"
                    + " prepared in %.2f s): %s%s -> %s%n", n, n == 1 ? "" : "s", modelName, backend.name(),
                    own != null ? " (" + own.threads() + " threads)" : "", secs, n / Math.max(secs, 1e-9),
                    (t1 - t0) / 1e9, "features " + Arrays.toString(result.get("features").shape()),
                    result.containsKey("logits") ? ", logits " + Arrays.toString(result.get("logits").shape()) : "",
                    out);
            return 0;
        } finally {
            if (own != null) {
                own.close();
            }
        }
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

    /** Runs the clips {@code batch} at a time and stacks the outputs. */
    static Map<String, Tensor> run(PreparedModel model, Tensor clips, int batch) {
        int n = clips.dim(0);
        int per = clips.numel() / n;
        float[] features = null;
        float[] logits = null;
        int d = 0;
        int k = 0;
        for (int start = 0; start < n; start += batch) {
            int b = Math.min(batch, n - start);
            int[] shape = clips.shape();
            shape[0] = b;
            float[] part = Arrays.copyOfRange(clips.data(), start * per, (start + b) * per);
            PreparedModel.Output o = model.forward(new Tensor(part, shape));
            if (features == null) {
                d = o.features().dim(1);
                features = new float[n * d];
                if (o.logits() != null) {
                    k = o.logits().dim(1);
                    logits = new float[n * k];
                }
            }
            System.arraycopy(o.features().data(), 0, features, start * d, b * d);
            if (logits != null) {
                System.arraycopy(o.logits().data(), 0, logits, start * k, b * k);
            }
        }
        Map<String, Tensor> r = new LinkedHashMap<>();
        r.put("features", new Tensor(features, n, d));
        if (logits != null) {
            r.put("logits", new Tensor(logits, n, k));
        }
        return r;
    }
}
