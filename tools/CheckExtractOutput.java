import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Checks an extract output against the contract: per video, clips numbered 0..n-1 with no duplicates and increasing
 * start times; at most one _errors row per video and none for a video that has rows unless it failed part-way; the
 * last run's manifest. Prints one line per video. Usage: java -cp LAUNCHER_CP tools/CheckExtractOutput.java DIR
 */
public class CheckExtractOutput {
    public static void main(String[] args) throws Exception {
        String out = args[0];
        SparkSession spark = SparkSession.builder().master("local[1]").appName("check")
                .config("spark.ui.enabled", "false").getOrCreate();
        Map<String, List<double[]>> clips = new TreeMap<>();
        for (Row r : spark.read().parquet(out).select("video", "clip", "start_sec", "end_sec").collectAsList()) {
            clips.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
                    .add(new double[] {r.getInt(1), r.getDouble(2), r.getDouble(3)});
        }
        Map<String, Row> errors = new TreeMap<>();
        int problems = 0;
        for (Row e : spark.read().parquet(out + "/_errors").collectAsList()) {
            if (errors.put(e.getString(0), e) != null) {
                System.out.println("PROBLEM: more than one _errors row for " + e.getString(0));
                problems++;
            }
        }
        for (var en : clips.entrySet()) {
            List<double[]> c = en.getValue();
            c.sort((a, b) -> Double.compare(a[0], b[0]));
            for (int i = 0; i < c.size(); i++) {
                if (c.get(i)[0] != i || (i > 0 && !(c.get(i)[1] > c.get(i - 1)[1])) || !(c.get(i)[2] > c.get(i)[1])) {
                    System.out.println("PROBLEM: " + en.getKey() + ": clip numbering or times wrong at " + i);
                    problems++;
                    break;
                }
            }
            System.out.printf("  %-40s %3d clips, %6.2f-%6.2f s%s%n", name(en.getKey()), c.size(), c.get(0)[1],
                    c.get(c.size() - 1)[2], errors.containsKey(en.getKey()) ? "  (and an _errors row: "
                    + errors.get(en.getKey()).getString(3) + ")" : "");
        }
        for (var e : errors.entrySet()) {
            if (!clips.containsKey(e.getKey())) {
                System.out.printf("  %-40s _errors: %s / %s: %s%n", name(e.getKey()), e.getValue().getString(1),
                        e.getValue().getString(2), e.getValue().getString(3));
            }
        }
        String manifest = Files.readString(Path.of(out, "_manifest.json"));
        System.out.println("last run's manifest: " + manifest.substring(manifest.indexOf("\"counts\""),
                manifest.indexOf("\"timings\"")));
        spark.stop();
        if (problems > 0) {
            System.out.println(problems + " problem(s)");
            System.exit(1);
        }
        System.out.println("OK: " + clips.size() + " videos with rows, " + errors.size() + " _errors rows");
    }

    static String name(String uri) {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }
}
