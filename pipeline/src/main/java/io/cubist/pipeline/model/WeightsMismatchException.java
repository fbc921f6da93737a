package io.cubist.pipeline.model;

import io.cubist.pipeline.weights.KeyReport;
import io.cubist.pipeline.weights.StateDict;
import java.util.Arrays;

/**
 * A checkpoint that does not fit a network ({@link Network#load}). The message is a one-line count followed by one
 * line per problem (the first {@value #MAX_LINES}), each naming the key and both shapes, and a hint for common causes:
 * <pre>
 * the weights in w.safetensors do not fit r3d_18: 1 missing, 1 unexpected, 1 with the wrong shape
 *   missing     layer1.0.conv1.0.weight  expected [64, 64, 3, 3, 3]
 *   shape       layer2.0.conv1.0.weight  expected [128, 64, 3, 3, 3], got [128, 64, 1, 3, 3]
 *   unexpected  head.weight  [400, 512] (the network has no such key)
 * </pre>
 */
public final class WeightsMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Problems listed in the message; the rest are counted. */
    public static final int MAX_LINES = 60;

    private final transient KeyReport report;

    public WeightsMismatchException(String network, KeyReport report, StateDict weights) {
        super(message(network, report, weights));
        this.report = report;
    }

    /** Every missing, unexpected and misshapen key. */
    public KeyReport report() {
        return report;
    }

    private static String message(String network, KeyReport r, StateDict weights) {
        StringBuilder b = new StringBuilder();
        b.append("the weights in ").append(r.source()).append(" do not fit ").append(network).append(": ")
                .append(r.missing().size()).append(" missing, ").append(r.unexpected().size()).append(" unexpected, ")
                .append(r.mismatched().size()).append(" with the wrong shape");
        int[] n = {0};
        r.missing().forEach((k, shape) -> line(b, n, "missing     " + k + "  expected " + Arrays.toString(shape)));
        for (KeyReport.ShapeMismatch m : r.mismatched()) {
            line(b, n, "shape       " + m.key() + "  expected " + Arrays.toString(m.expected()) + ", got "
                    + Arrays.toString(m.actual()));
        }
        for (String k : r.unexpected()) {
            line(b, n, "unexpected  " + k + "  " + Arrays.toString(weights.shape(k)) + " (the network has no such key)");
        }
        if (n[0] > MAX_LINES) {
            b.append("\n  ... and ").append(n[0] - MAX_LINES).append(" more");
        }
        String hint = hint(r);
        if (hint != null) {
            b.append("\nhint: ").append(hint);
        }
        return b.toString();
    }

    private static void line(StringBuilder b, int[] n, String text) {
        if (n[0]++ < MAX_LINES) {
            b.append("\n  ").append(text);
        }
    }

    private static String hint(KeyReport r) {
        if (!r.unexpected().isEmpty() && r.unexpected().stream().allMatch(k -> k.startsWith("module."))) {
            return "every unexpected key starts with 'module.' (a checkpoint saved from DataParallel); save"
                    + " model.module.state_dict() instead, or strip the prefix (StateDict.stripPrefix)";
        }
        if (!r.mismatched().isEmpty()) {
            return "shapes differ: the checkpoint is probably of another model or width (see cubist summary)";
        }
        return null;
    }
}
