package io.cubist.kernels.device;

import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * An activation {@code [N, C, ...]} split along its channels across the slots of a {@link DevicePlan}: slot
 * {@code i} holds channels {@code [start(i), start(i) + channels(i))} as its own tensor, or nothing when
 * {@code channels(i) == 0}. A tensor that is not split lives whole on slot 0 ({@link #whole}).
 */
public final class Sharded {
    private final int[] channels;
    private final Tensor[] parts;

    /** Slot {@code i} holds {@code parts[i]} ({@code channels[i]} channels, or null and 0). */
    public static Sharded of(int[] channels, Tensor[] parts) {
        return new Sharded(channels, parts);
    }

    private Sharded(int[] channels, Tensor[] parts) {
        if (channels.length != parts.length) {
            throw new IllegalArgumentException("one channel count per part, got " + channels.length + " and "
                    + parts.length);
        }
        for (int i = 0; i < parts.length; i++) {
            if ((channels[i] == 0) != (parts[i] == null) || parts[i] != null && parts[i].dim(1) != channels[i]) {
                throw new IllegalArgumentException("part " + i + " must have " + channels[i] + " channels, got "
                        + (parts[i] == null ? "none" : Arrays.toString(parts[i].shape())));
            }
        }
        this.channels = channels.clone();
        this.parts = parts.clone();
    }

    /** {@code t} unsplit, on slot 0 of a plan with {@code slots} slots. */
    public static Sharded whole(Tensor t, int slots) {
        int[] c = new int[slots];
        Tensor[] p = new Tensor[slots];
        c[0] = t.dim(1);
        p[0] = t;
        return new Sharded(c, p);
    }

    public int slots() {
        return parts.length;
    }

    /** Channels slot {@code i} holds. */
    public int channels(int i) {
        return channels[i];
    }

    /** The first channel slot {@code i} holds. */
    public int start(int i) {
        int s = 0;
        for (int j = 0; j < i; j++) {
            s += channels[j];
        }
        return s;
    }

    /** Slot {@code i}'s part, or null when it holds no channels. */
    public Tensor part(int i) {
        return parts[i];
    }

    /** Whether every channel is on slot 0. */
    public boolean isWhole() {
        for (int i = 1; i < channels.length; i++) {
            if (channels[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether the channel split is {@code counts}, so a layer needing that split can use the parts as they lie. */
    public boolean splitIs(int[] counts) {
        return Arrays.equals(channels, counts);
    }

    int[] channelCounts() {
        return channels.clone();
    }
}
