package io.cubist.jobs.extract;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import io.cubist.pipeline.video.VideoFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Turns {@code --input} and {@code --manifest} arguments into the list of videos, each named by its fully qualified
 * URI (what the output's {@code video} column holds). Files are taken as given (a file that is not a video becomes an
 * {@code _errors} row later); directories are searched recursively for files with a video extension; globs are
 * expanded by the FileSystem. An input that matches nothing is an error naming it.
 */
public final class InputLister {

    private InputLister() {
    }

    /** Every video of {@code inputs} and {@code manifests}, de-duplicated, in a stable order. */
    public static List<String> list(SparkSession spark, List<String> inputs, List<String> manifests)
            throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Set<String> videos = new LinkedHashSet<>();
        for (String in : inputs) {
            videos.addAll(expand(conf, in));
        }
        for (String m : manifests) {
            videos.addAll(fromManifest(spark, conf, m));
        }
        return new ArrayList<>(videos);
    }

    /** The {@code .arrow} files of a prepared clip dataset (a directory, a file, or a glob). */
    public static List<String> clipFiles(Configuration conf, String clips) throws IOException {
        List<String> files = new ArrayList<>();
        for (String f : expand(conf, "--clips", clips, name -> name.endsWith(".arrow"))) {
            if (f.endsWith(".arrow")) {
                files.add(f);
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--clips " + clips + ": no .arrow clip files (write them with cubist"
                    + " prepare)");
        }
        return files;
    }

    static List<String> expand(Configuration conf, String input) throws IOException {
        return expand(conf, "--input", input, VideoFiles::isVideoName);
    }

    /**
     * The files a path or glob names: files as given, and from directories (recursively, hidden ones left out) the
     * files whose name {@code taken} accepts, in name order. Nothing matched is an error naming {@code flag}.
     */
    private static List<String> expand(Configuration conf, String flag, String input,
                                       java.util.function.Predicate<String> taken) throws IOException {
        Path p = new Path(input);
        FileSystem fs = p.getFileSystem(conf);
        FileStatus[] matches;
        try {
            matches = fs.globStatus(p);
        } catch (java.nio.file.AccessDeniedException e) { // what S3A, ABFS and HDFS make of a refused credential
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new IllegalArgumentException(flag + " " + input + ": access denied (" + why + "); check the"
                    + " credentials the job is given (for S3: --conf spark.hadoop.fs.s3a.access.key=... and"
                    + " spark.hadoop.fs.s3a.secret.key=...)", e);
        }
        if (matches == null || matches.length == 0) {
            throw new IllegalArgumentException(flag + " " + input + ": no such file or directory"
                    + (hasGlob(input) ? " (the pattern matched nothing)" : ""));
        }
        List<String> out = new ArrayList<>();
        for (FileStatus st : matches) {
            if (st.isDirectory()) {
                List<String> found = new ArrayList<>();
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
                while (it.hasNext()) {
                    LocatedFileStatus f = it.next();
                    if (f.isFile() && taken.test(f.getPath().getName()) && !hiddenBelow(st.getPath(), f.getPath())) {
                        found.add(uri(f.getPath()));
                    }
                }
                found.sort(null);
                out.addAll(found);
            } else {
                out.add(uri(st.getPath()));
            }
        }
        return out;
    }

    private static List<String> fromManifest(SparkSession spark, Configuration conf, String manifest)
            throws IOException {
        Path p = new Path(manifest);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new IllegalArgumentException("--manifest " + manifest + ": no such file");
        }
        String name = p.getName().toLowerCase(Locale.ROOT);
        Dataset<Row> df;
        if (name.endsWith(".csv") || name.endsWith(".csv.gz") || name.endsWith(".tsv")) {
            df = spark.read().option("header", "true").option("sep", name.endsWith(".tsv") ? "\t" : ",")
                    .csv(manifest);
        } else if (name.endsWith(".parquet") || fs.getFileStatus(p).isDirectory()) {
            df = spark.read().parquet(manifest);
        } else {
            throw new IllegalArgumentException("--manifest " + manifest + ": expected a .csv, .tsv or .parquet file"
                    + " (or a Parquet directory) with a 'video' column");
        }
        if (!List.of(df.columns()).contains("video")) {
            throw new IllegalArgumentException("--manifest " + manifest + ": no 'video' column; columns are "
                    + List.of(df.columns()));
        }
        List<String> out = new ArrayList<>();
        for (Row r : df.select("video").collectAsList()) {
            String v = r.isNullAt(0) ? "" : r.getString(0).trim();
            if (v.isEmpty()) {
                continue;
            }
            Path vp = new Path(v);
            out.add(uri(vp.getFileSystem(conf).makeQualified(vp)));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--manifest " + manifest + ": the 'video' column is empty");
        }
        return out;
    }

    /** A video's name in the output: its URI, local files in the standard {@code file:///abs/path} form. */
    static String uri(Path p) {
        java.net.URI u = p.toUri();
        if ("file".equals(u.getScheme())) {
            return java.nio.file.Path.of(u.getPath()).toUri().toString();
        }
        return u.toString();
    }

    /** True when a directory between {@code root} and {@code file} is hidden ({@code .x} or {@code _x}). */
    private static boolean hiddenBelow(Path root, Path file) {
        for (Path d = file.getParent(); d != null && !d.equals(root) && d.depth() > root.depth(); d = d.getParent()) {
            if (d.getName().startsWith(".") || d.getName().startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }
}
