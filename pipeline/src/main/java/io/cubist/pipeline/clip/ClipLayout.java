package io.cubist.pipeline.clip;

import java.util.Arrays;

/**
 * The shape and storage of clips in a {@link ClipBatch} or a clip dataset: {@code [3, frames, height, width]} per
 * clip, stored as uint8 pixels (normalized when read, a quarter of the memory) or as normalized float32.
 *
 * @param mean per-channel mean (R, G, B) applied to {@code pixel / 255}
 * @param std  per-channel standard deviation
 */
public record ClipLayout(int frames, int height, int width, Storage storage, double[] mean, double[] std) {

    /** How clip values are held. */
    public enum Storage {
        UINT8(1), FLOAT32(4);

        private final int bytes;

        Storage(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        public static Storage parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "uint8", "u8" -> UINT8;
                case "float32", "f32", "float" -> FLOAT32;
                default -> throw new IllegalArgumentException("storage must be uint8 or float32, got '" + s + "'");
            };
        }
    }

    public ClipLayout {
        if (frames < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("clip shape must be >= 1 in every dimension, got [3, " + frames + ", "
                    + height + ", " + width + "]");
        }
        if (storage == null) {
            throw new IllegalArgumentException("storage must be uint8 or float32");
        }
        if (mean == null || std == null || mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B)");
        }
        mean = mean.clone();
        std = std.clone();
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be > 0, got " + Arrays.toString(std));
            }
        }
    }

    /** The layout a transform produces for clips of {@code frames} frames. */
    public static ClipLayout of(ClipTransform transform, int frames, Storage storage) {
        return new ClipLayout(frames, transform.height(), transform.width(), storage, transform.mean(),
                transform.std());
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** Values per clip: {@code 3 · frames · height · width}. */
    public int values() {
        return 3 * frames * height * width;
    }

    public long bytesPerClip() {
        return (long) values() * storage.bytes();
    }

    /** {@code [3, frames, height, width]}. */
    public int[] clipShape() {
        return new int[] {3, frames, height, width};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipLayout l && l.frames == frames && l.height == height && l.width == width
                && l.storage == storage && Arrays.equals(l.mean, mean) && Arrays.equals(l.std, std);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {frames, height, width, storage.ordinal(), Arrays.hashCode(mean),
            Arrays.hashCode(std)});
    }

    @Override
    public String toString() {
        return "ClipLayout[3x" + frames + "x" + height + "x" + width + " " + storage + ", mean "
                + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
    }
}
