package io.cubist.kernels.conv;

import io.cubist.kernels.tensor.Dims3;

/**
 * Receptive field of a stack of layers, per axis (d, h, w): {@code size} is how many input elements one output
 * element depends on, {@code jump} the input distance between neighbouring outputs. Composition (Araujo et al.,
 * "Computing receptive fields of convolutional neural networks"):
 * {@code size' = size + (k_eff - 1) * jump}, {@code jump' = jump * stride}.
 */
public record ReceptiveField(Dims3 size, Dims3 jump) {

    public static final ReceptiveField IDENTITY = new ReceptiveField(Dims3.of(1), Dims3.of(1));

    /** Appends a layer with effective window {@code window} and stride {@code stride}. */
    public ReceptiveField then(Dims3 window, Dims3 stride) {
        return then(new ReceptiveField(window, stride));
    }

    /** Appends a step whose window and jump are measured in its own input's units (a layer or a whole block). */
    public ReceptiveField then(ReceptiveField next) {
        int[] s = new int[3];
        int[] j = new int[3];
        for (int a = 0; a < 3; a++) {
            s[a] = size.get(a) + (next.size.get(a) - 1) * jump.get(a);
            j[a] = jump.get(a) * next.jump.get(a);
        }
        return new ReceptiveField(new Dims3(s[0], s[1], s[2]), new Dims3(j[0], j[1], j[2]));
    }

    /**
     * Of two parallel branches whose outputs are summed: the output depends on the union of their windows, so each
     * axis takes the larger size (the branches share their input grid, so the jumps agree; the larger is kept).
     */
    public static ReceptiveField max(ReceptiveField a, ReceptiveField b) {
        return new ReceptiveField(
                new Dims3(Math.max(a.size.d(), b.size.d()), Math.max(a.size.h(), b.size.h()),
                        Math.max(a.size.w(), b.size.w())),
                new Dims3(Math.max(a.jump.d(), b.jump.d()), Math.max(a.jump.h(), b.jump.h()),
                        Math.max(a.jump.w(), b.jump.w())));
    }
}
