package io.cubist.jobs.cli;

import io.cubist.jobs.report.FeatureReader;
import io.cubist.jobs.report.ReportInput;
import io.cubist.jobs.report.ReportPage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/** {@code cubist report}: one self-contained HTML page of plots from an extract output directory. */
final class ReportCommand implements Command {

    @Override
    public String name() {
        return "report";
    }

    @Override
    public String summary() {
        return "an HTML page of plots from cubist extract's output: timelines, similarity matrix, PCA, errors";
    }

    @Override
    public Set<String> valued() {
        return new LinkedHashSet<>(List.of("features", "out", "title", "model", "max-clips", "max-errors",
                "master"));
    }

    @Override
    public String usage() {
        FeatureReader.Options d = FeatureReader.Options.defaults();
        return """
                usage: cubist report --features DIR --out REPORT.html [--title T] [--model NAME]
                                     [--max-clips N] [--max-errors N] [--master local[2]]

                Reads the output of cubist extract (the Parquet clip rows, DIR/_errors and DIR/_manifest.json; any
                Hadoop file system path) and writes one HTML file that needs no network: each video's clips on a
                timeline coloured by cosine similarity to the previous clip, the clip-clip similarity matrix, a PCA
                scatter of the clips coloured by video, a table per video, the run's counts and throughput, and the
                _errors rows.

                --features    the extract output directory
                --out         the HTML file to write
                --title       the page title (default: "Cubist features: DIR")
                --model       which model's clips to plot when the dataset holds several (default: the one
                              with most clips)
                --max-clips   most clips plotted (default %d); beyond it whole videos are chosen by a hash of
                              their path, and the page says so. The matrix shows at most %d of them.
                --max-errors  most _errors rows listed (default %d; all are counted)
                --master      Spark master for reading (default local[2])""".formatted(d.maxClips(),
                ReportPage.MAX_MATRIX_CLIPS, d.maxErrors());
    }

    @Override
    public int run(Flags flags) throws Exception {
        String dir = flags.required("features");
        Path out = Path.of(flags.required("out"));
        FeatureReader.Options d = FeatureReader.Options.defaults();
        FeatureReader.Options opt = new FeatureReader.Options(flags.positiveInt("max-clips", d.maxClips()),
                nonNegative(flags, "max-errors", d.maxErrors()), flags.get("model", null));
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageException("report: --out " + out + ": no such directory " + parent);
        }
        // A session that already exists (a notebook, a test) is used and left running; one made here is stopped.
        boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
        SparkSession spark = SparkSession.builder().appName("cubist report")
                .master(flags.get("master", "local[2]"))
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        if (!existed) {
            spark.sparkContext().setLogLevel("WARN"); // the command prints one line; Spark's INFO log would bury it
        }
        try {
            ReportInput in = FeatureReader.read(spark, dir, opt);
            String html = ReportPage.render(in, flags.get("title", null));
            Files.writeString(out, html, StandardCharsets.UTF_8);
            System.out.println("report: " + out + " (" + in.clips().size() + " of " + in.totalClips()  + " clips from "
                    + in.clips().stream().map(c -> c.video()).distinct().count() + " of " + in.clipsPerVideo().size()
                    + " videos plotted, " + in.totalErrors() + " error rows)");
            return 0;
        } finally {
            if (!existed) {
                spark.stop();
            }
        }
    }

    private static int nonNegative(Flags flags, String name, int dflt) {
        String v = flags.get(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException("report: --" + name + " must be an integer >= 0, got '" + v + "'");
    }
}
