package io.cubist.pipeline.model.zoo;

/**
 * The Inception-v1 (GoogLeNet) channel table that S3D and I3D both inflate to 3D: per block the output channels of
 * branch 0, the reduction and output of branch 1, of branch 2, and branch 3's, and how a CI variant divides them.
 */
final class InceptionV1 {

    /** Per block: b0, b1 reduce, b1, b2 reduce, b2, b3. */
    static final int[][] MIXED_3 = {{64, 96, 128, 16, 32, 32}, {128, 128, 192, 32, 96, 64}};
    static final int[][] MIXED_4 = {{192, 96, 208, 16, 48, 64}, {160, 112, 224, 24, 64, 64},
        {128, 128, 256, 24, 64, 64}, {112, 144, 288, 32, 64, 64}, {256, 160, 320, 32, 128, 128}};
    static final int[][] MIXED_5 = {{256, 160, 320, 32, 128, 128}, {384, 192, 384, 48, 128, 128}};

    private InceptionV1() {
    }

    /** A channel count divided by {@code div} (floor, at least 1): the CI variants' widths. */
    static int channels(int c, int div) {
        return Math.max(1, c / div);
    }

    /** The channels a block concatenates (b0 + b1 + b2 + b3) with every count divided by {@code div}. */
    static int outChannels(int[] block, int div) {
        return channels(block[0], div) + channels(block[2], div) + channels(block[4], div)
                + channels(block[5], div);
    }

    /** The last block's output: 1024 at full width, the feature length of both models. */
    static int featureDim(int div) {
        return outChannels(MIXED_5[MIXED_5.length - 1], div);
    }
}
