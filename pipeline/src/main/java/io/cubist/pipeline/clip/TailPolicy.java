package io.cubist.pipeline.clip;

/** What the sampler does with the frames after the last whole clip. */
public enum TailPolicy {
    /** Leave them out (torchvision's {@code VideoClips} does the same). The default. */
    DROP,
    /** Clips that start before the end are completed by repeating the last frame. */
    PAD_LAST,
    /** One more clip, shifted back so that it ends at the last frame (it overlaps the clip before it). */
    BACK_PAD;

    /** The spelling of the command line: {@code drop}, {@code pad-last} or {@code back-pad}. */
    public String flag() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Parses {@code drop}, {@code pad-last} or {@code back-pad} (case-insensitive, '-' or '_'). */
    public static TailPolicy parse(String s) {
        String n = s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (TailPolicy p : values()) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("tail policy must be drop, pad-last or back-pad, got '" + s + "'");
    }
}
