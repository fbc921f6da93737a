package io.cubist.pipeline.model;

import java.util.List;

/**
 * A checkpoint that does not fit a network. The message is a one-line count followed by one line per problem
 * (the first {@value #MAX_LINES}), each naming the key and both shapes, plus a hint for common causes.
 */
public final class WeightsMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Problems listed in the message; the rest are counted. */
    public static final int MAX_LINES = 60;

    private final transient List<WeightProblem> problems;

    public WeightsMismatchException(String network, String source, List<WeightProblem> problems) {
        super(message(network, source, problems));
        this.problems = List.copyOf(problems);
    }

    public List<WeightProblem> problems() {
        return problems;
    }

    private static String message(String network, String source, List<WeightProblem> problems) {
        long missing = problems.stream().filter(p -> p.kind() == WeightProblem.Kind.MISSING).count();
        long unexpected = problems.stream().filter(p -> p.kind() == WeightProblem.Kind.UNEXPECTED).count();
        long shape = problems.stream().filter(p -> p.kind() == WeightProblem.Kind.SHAPE).count();
        StringBuilder b = new StringBuilder();
        b.append("the weights in ").append(source).append(" do not fit ").append(network).append(": ")
                .append(missing).append(" missing, ").append(unexpected).append(" unexpected, ").append(shape)
                .append(" with the wrong shape");
        int n = 0;
        for (WeightProblem p : problems) {
            if (n++ == MAX_LINES) {
                b.append("\n  ... and ").append(problems.size() - MAX_LINES).append(" more");
                break;
            }
            b.append("\n  ").append(p.describe());
        }
        String hint = hint(problems);
        if (hint != null) {
            b.append("\nhint: ").append(hint);
        }
        return b.toString();
    }

    private static String hint(List<WeightProblem> problems) {
        List<WeightProblem> unexpected = problems.stream()
                .filter(p -> p.kind() == WeightProblem.Kind.UNEXPECTED).toList();
        if (!unexpected.isEmpty() && unexpected.stream().allMatch(p -> p.key().startsWith("module."))) {
            return "every unexpected key starts with 'module.' (a checkpoint saved from DataParallel); save"
                    + " model.module.state_dict() instead";
        }
        if (problems.stream().anyMatch(p -> p.kind() == WeightProblem.Kind.SHAPE)) {
            return "shapes differ: the checkpoint is probably of another model or width (see cubist summary)";
        }
        return null;
    }
}
