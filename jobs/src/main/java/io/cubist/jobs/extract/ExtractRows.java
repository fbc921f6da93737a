package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.ClipFeature;
import io.cubist.pipeline.model.zoo.ModelPreset;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Clip features as a DataFrame transformation: a DataFrame with a column of video paths or URIs in, the same rows
 * with one row per clip out ({@code clip}, {@code start_sec}, {@code end_sec}, {@code model}, {@code feature} added
 * to the input's columns). Lazy like any Spark transformation: nothing is read until an action. Each video is probed
 * on an executor and split into segments of {@link SegmentWork#segmentSeconds()}, the segments are spread over the
 * partitions (a shuffle), and each runs through {@link #rows(SegmentWork, Iterator, Broadcast, boolean, Invalid,
 * SegmentProcessor.Stats)}, with the model cached per executor JVM. The extract job is the same stage over segments
 * it plans itself (probed first, balanced longest-first over the partitions, counted for its progress and manifest)
 * plus its writer.
 */
public final class ExtractRows {

    /** What happens to a video that cannot be processed (Spark ML's {@code handleInvalid}). */
    public enum Invalid {
        /** Left out of the result (the default): the job goes on. */
        SKIP,
        /** One row with null clip columns and the reason in the error column: the job goes on. */
        KEEP,
        /** The task fails, and so the job. */
        ERROR;

        public static Invalid parse(String s) {
            for (Invalid i : values()) {
                if (i.name().equalsIgnoreCase(s)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("handleInvalid must be skip, keep or error, got '" + s + "'");
        }
    }

    /** The error column's type: {@code stage, error, message} as in {@code _errors}. */
    public static final StructType ERROR_TYPE = new StructType().add("stage", DataTypes.StringType, false)
            .add("error", DataTypes.StringType, false).add("message", DataTypes.StringType, true);

    /** A video (its input row) and one of its segments, or the reason it has none. */
    record Unit(Row input, Segment segment, ErrorRecord error) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private ExtractRows() {
    }

    /**
     * The result's schema: the input's columns, then the clip columns ({@code view} after {@code clip} with more than
     * one view), then the error column with {@code KEEP}.
     */
    public static StructType schema(StructType input, boolean vectors, Invalid invalid, String errorCol,
                                    SegmentWork w) {
        int views = w.views();
        List<String> taken = List.of(input.fieldNames());
        List<String> added = new ArrayList<>(List.of("clip", "start_sec", "end_sec", "model", "feature"));
        added.addAll(w.outputs().columns());
        if (views > 1) {
            added.add(1, "view");
        }
        if (invalid == Invalid.KEEP) {
            added.add(errorCol);
        }
        for (String c : added) {
            if (taken.contains(c)) {
                throw new IllegalArgumentException("the input already has a column '" + c + "'; the result adds "
                        + added + ": rename or drop it first");
            }
        }
        boolean keep = invalid == Invalid.KEEP;
        DataType feature = vectors ? SQLDataTypes.VectorType() : DataTypes.createArrayType(DataTypes.FloatType, false);
        StructType s = input.add("clip", DataTypes.IntegerType, keep);
        if (views > 1) {
            s = s.add("view", DataTypes.IntegerType, keep);
        }
        s = s.add("start_sec", DataTypes.DoubleType, keep)
                .add("end_sec", DataTypes.DoubleType, keep).add("model", DataTypes.StringType, false)
                .add("feature", feature, keep);
        s = w.outputs().addColumns(s, w, vectors, keep);
        return keep ? s.add(errorCol, ERROR_TYPE, true) : s;
    }

    /**
     * The clip rows of the videos in {@code videos}' column {@code inputCol}, lazily.
     *
     * @param work       the model and sampling (frame rate, clip length and threads may be 0: resolved here)
     * @param vectors    features as Spark ML vectors (for KMeans, PCA, LSH ...) instead of {@code array<float>}
     * @param partitions partitions the segments are spread over (0: three per task slot)
     */
    public static Dataset<Row> of(SparkSession spark, Dataset<?> videos, String inputCol, SegmentSettings work,
                                  boolean vectors, Invalid invalid, String errorCol, int partitions) {
        StructType in = videos.schema();
        if (!List.of(in.fieldNames()).contains(inputCol)) {
            throw new IllegalArgumentException("no column '" + inputCol + "' in " + List.of(in.fieldNames())
                    + "; set the input column to the one that holds the video paths");
        }
        StructField f = in.apply(inputCol);
        if (!f.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("column '" + inputCol + "' must hold strings (video paths or URIs),"
                    + " not " + f.dataType().simpleString());
        }
        StructType out = schema(in, vectors, invalid, errorCol, work);
        SegmentSettings w = work.resolved(ModelPreset.forModel(work.model()), ExtractJob.executorCores(
                spark.sparkContext()));
        if (w.weights() != null) {
            spark.sparkContext().addFile(w.weights()); // every executor reads the shipped copy
        }
        Broadcast<HadoopConf> hadoop = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                spark.sparkContext()).broadcast(new HadoopConf(spark.sparkContext().hadoopConfiguration()));
        int col = in.fieldIndex(inputCol);
        int n = partitions > 0 ? partitions : Math.max(1, spark.sparkContext().defaultParallelism() * 3);
        JavaRDD<Unit> units = videos.toDF().javaRDD().flatMap(row -> segments(w, row, col, hadoop).iterator());
        JavaRDD<Row> rows = units.repartition(n).mapPartitions(it -> rows(w, it, hadoop, vectors, invalid, null));
        return spark.createDataFrame(rows, out);
    }

    private static List<Unit> segments(SegmentWork w, Row row, int col, Broadcast<HadoopConf> hadoop) {
        String video = row.isNullAt(col) ? "" : row.getString(col).trim();
        if (video.isEmpty()) {
            return List.of(new Unit(row, null, new ErrorRecord(video, "input", "no_path", "the input column is"
                    + " empty in this row", 0)));
        }
        Probe p = SegmentProcessor.probe(w, video, hadoop);
        if (p.error() != null) {
            return List.of(new Unit(row, null, p.error()));
        }
        List<Unit> units = new ArrayList<>();
        for (Segment s : Segment.split(video, p.durationSec(), w.segmentSeconds())) {
            units.add(new Unit(row, s, null));
        }
        return units;
    }

    /**
     * The rows of a partition's units, one segment at a time (a segment's rows are bounded by its length): the one
     * executor stage of the transformer and of the extract job, which passes its accumulators ({@code stats}: times,
     * bytes, errors, progress) and keeps failures out of the rows.
     */
    static Iterator<Row> rows(SegmentWork w, Iterator<Unit> units, Broadcast<HadoopConf> hadoop,
                                        boolean vectors, Invalid invalid, SegmentProcessor.Stats stats) {
        return new Iterator<>() {
            private Iterator<Row> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && units.hasNext()) {
                    current = rows(w, units.next(), hadoop, vectors, invalid, stats).iterator();
                }
                return current.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    private static List<Row> rows(SegmentWork w, Unit u, Broadcast<HadoopConf> hadoop, boolean vectors,
                                  Invalid invalid, SegmentProcessor.Stats stats) {
        ErrorRecord error = u.error();
        List<Row> rows = new ArrayList<>();
        if (error == null) {
            Set<String> skip = stats == null || stats.skip() == null ? Set.of() : stats.skip().value();
            SegmentProcessor.SegmentResult r = SegmentProcessor.run(w, u.segment(), hadoop.value().get(), skip,
                    stats == null ? null : stats.clips());
            if (stats != null) {
                SegmentProcessor.record(stats, u.segment(), r);
            }
            String label = w.modelLabel();
            for (ClipFeature f : r.features()) {
                // prepared clip files name each clip's own video; a video's segment is that video
                Row input = w.clips() != null ? RowFactory.create(f.video()) : u.input();
                rows.add(row(input, f.clip(), w.views() > 1 ? f.view() : null, f.startSec(), f.endSec(), label,
                        vectors ? Vectors.dense(FeatureOutputs.toDoubles(f.feature())) : f.feature(),
                        w.outputs().values(f.layers(), f.logits(), vectors), invalid == Invalid.KEEP, null));
            }
            error = r.outcome().error() != null ? r.outcome().error()
                    // a video too short for one clip is one segment: nothing else can give it clips (the job
                    // checks across segments itself)
                    : stats == null && r.noClips() != null && u.segment().count() == 1 ? r.noClips() : null;
        }
        if (error != null && stats == null) {
            if (invalid == Invalid.ERROR) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s failed at %s (%s): %s (handleInvalid"
                        + " is error; skip or keep go on)", error.video(), error.stage(), error.error(),
                        error.message()));
            }
            if (invalid == Invalid.KEEP) {
                rows.add(row(u.input(), null, w.views() > 1 ? -1 : null, null, null, w.modelLabel(), null,
                        w.outputs().nulls(), true, RowFactory.create(error.stage(), error.error(), error.message())));
            }
        }
        return rows.isEmpty() ? Collections.emptyList() : rows;
    }

    /** The input's values, the clip's (its view only when {@code view} is not null), and the error with KEEP. */
    private static Row row(Row input, Integer clip, Integer view, Double start, Double end, String model,
                           Object feature, List<Object> outputs, boolean withError, Row error) {
        List<Object> v = new ArrayList<>(input.size() + 7);
        for (int i = 0; i < input.size(); i++) {
            v.add(input.get(i));
        }
        v.add(clip);
        if (view != null) {
            v.add(view < 0 ? null : view);
        }
        v.add(start);
        v.add(end);
        v.add(model);
        v.add(feature);
        v.addAll(outputs);
        if (withError) {
            v.add(error);
        }
        return RowFactory.create(v.toArray());
    }
}
