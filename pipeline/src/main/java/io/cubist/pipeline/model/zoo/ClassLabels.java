package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The names of a classifier's classes, for {@code --top-k}: the sanity check after converting real weights (a
 * clip of someone playing guitar should come out "playing guitar"). Kinetics-400's ship with the project
 * ({@code labels/kinetics400.txt} on the class path, conf/labels/ in the source tree); a classifier with another
 * number of classes gets its class indices as names, or a file of its own.
 */
public final class ClassLabels {

    /** One of the {@code k} most likely classes of a clip. */
    public record Prediction(int index, String label, double probability) {
    }

    private final List<String> names;
    private final String source;

    private ClassLabels(List<String> names, String source) {
        this.names = List.copyOf(names);
        this.source = source;
    }

    /** Kinetics-400's names, read once. */
    private static final class Kinetics {
        static final ClassLabels NAMES = read();

        private static ClassLabels read() {
            String res = "labels/kinetics400.txt";
            try (InputStream in = ClassLabels.class.getClassLoader().getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException(res + " is not on the class path (conf/labels/ in the source"
                            + " tree)");
                }
                return of(new String(in.readAllBytes(), StandardCharsets.UTF_8), "Kinetics-400", 400);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + res + ": " + e, e);
            }
        }
    }

    /** Kinetics-400's names for a 400-class classifier; the indices ({@code "class 17"}) for any other. */
    public static ClassLabels forClasses(int classes) {
        if (classes == 400) {
            return Kinetics.NAMES;
        }
        List<String> idx = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            idx.add("class " + i);
        }
        return new ClassLabels(idx, "class indices");
    }

    /** A file of names, one per line, which must have one per class. */
    public static ClassLabels read(Path file, int classes) {
        try {
            return of(Files.readString(file), file.toString(), classes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }

    private static ClassLabels of(String text, String source, int classes) {
        List<String> names = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (names.size() != classes) {
            throw new IllegalArgumentException(source + " has " + names.size() + " class names but the classifier has "
                    + classes + " classes");
        }
        return new ClassLabels(names, source);
    }

    public String source() {
        return source;
    }

    public int size() {
        return names.size();
    }

    public String name(int index) {
        return names.get(index);
    }

    /**
     * The {@code k} most likely classes of each row of {@code logits [N, K]}, by the softmax of the row (computed in
     * double, max subtracted), most likely first; ties keep the lower index first.
     */
    public List<List<Prediction>> topK(Tensor logits, int k) {
        if (logits.rank() != 2 || logits.dim(1) != names.size()) {
            throw new IllegalArgumentException("logits " + Arrays.toString(logits.shape()) + " do not fit "
                    + names.size() + " class names (" + source + ")");
        }
        if (k < 1) {
            throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
        }
        int n = logits.dim(0);
        int classes = logits.dim(1);
        int take = Math.min(k, classes);
        float[] d = logits.data();
        List<List<Prediction>> all = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int at = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, d[at + c]);
            }
            double[] p = new double[classes];
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(d[at + c] - max);
                sum += p[c];
            }
            Integer[] order = new Integer[classes];
            for (int c = 0; c < classes; c++) {
                order[c] = c;
                p[c] /= sum;
            }
            Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            List<Prediction> row = new ArrayList<>();
            for (int i = 0; i < take; i++) {
                row.add(new Prediction(order[i], names.get(order[i]), p[order[i]]));
            }
            all.add(List.copyOf(row));
        }
        return all;
    }
}
