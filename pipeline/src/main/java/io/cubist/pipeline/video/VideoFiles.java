package io.cubist.pipeline.video;

import java.util.Locale;
import java.util.Set;

/**
 * Which files in a directory are taken as videos: the one list every command uses (files named explicitly are taken
 * whatever their name; one FFmpeg cannot open becomes an error row, not a silent skip).
 */
public final class VideoFiles {

    /** File extensions taken from directories, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("mp4", "m4v", "mov", "avi", "mkv", "webm", "mpg", "mpeg",
            "ts", "mts", "m2ts", "flv", "wmv", "asf", "3gp", "ogv", "ogg", "vob", "mxf", "y4m", "h264", "hevc", "gif");

    private VideoFiles() {
    }

    /** A file name with a video extension that is not hidden ({@code .x}) or Spark/Hadoop bookkeeping ({@code _x}). */
    public static boolean isVideoName(String name) {
        if (name.startsWith(".") || name.startsWith("_")) {
            return false;
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
