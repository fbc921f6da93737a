package io.cubist.pipeline.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The sum of two chains of layers run on the same input, {@code relu?(main(x) + shortcut(x))}, children named at the
 * block's own level (main's, then shortcut's, in registration order): the residual and parallel-branch sums of the
 * literature's blocks ({@link Blocks}: a bottleneck's shortcut, P3D-B's parallel S and T, P3D-C's S plus T of S).
 * An empty {@code shortcut} is the identity.
 *
 * <p>State: the children's, under their names.
 */
public final class Residual extends ResidualBlock {

    private final String kind;

    /**
     * @param kind     the name in summaries ({@code Bottleneck}, {@code P3D-B sum})
     * @param main     the main chain, in order
     * @param shortcut the other chain, in order; empty for the identity
     * @param relu     a ReLU after the sum (a child {@code relu}, no state)
     */
    public Residual(String kind, List<Child> main, List<Child> shortcut, boolean relu) {
        super(main, shortcut, "relu", registration(main, shortcut), relu);
        this.kind = kind;
    }

    private static List<Child> registration(List<Child> main, List<Child> shortcut) {
        List<Child> all = new ArrayList<>(main);
        all.addAll(shortcut);
        return all;
    }

    @Override
    public String kind() {
        return kind;
    }
}
