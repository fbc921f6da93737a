package io.cubist.jobs.extract;

import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.zoo.ClassLabels;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;

/**
 * What a run writes beside each clip's {@code feature}: the outputs of other layers ({@code --layer}, one column
 * {@code feature_NAME} each, dots as underscores: {@code feature_layer3}, {@code feature_blocks_4}; averaged over time
 * and space, or the whole map flattened with {@code --pool none}, its shape in the column's metadata
 * {@code cubist.shape}) and the most likely classes ({@code --top-k}: a {@code top_k} column of
 * {@code {label, probability}} structs, most likely first).
 *
 * @param layers module keys ({@link Network#layerNames()}), in column order
 * @param pool   {@code avg} or {@code none}
 * @param topK   classes per clip in {@code top_k}; 0: no such column
 */
public record FeatureOutputs(List<String> layers, String pool, int topK) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The feature column only. */
    public static final FeatureOutputs NONE = new FeatureOutputs(List.of(), "avg", 0);

    /** The {@code top_k} column's element. */
    public static final StructType PREDICTION = new StructType().add("label", DataTypes.StringType, false)
            .add("probability", DataTypes.DoubleType, false);

    /** The column metadata key holding a layer's per-clip shape. */
    public static final String SHAPE_KEY = "cubist.shape";

    public FeatureOutputs {
        layers = List.copyOf(layers);
        LayerPool.parse(pool);
        if (topK < 0) {
            throw new IllegalArgumentException("--top-k must be >= 1, got " + topK);
        }
        for (String l : layers) {
            if (l.isBlank()) {
                throw new IllegalArgumentException("--layer takes module names (layer3, blocks.4), got an empty one");
            }
        }
    }

    public LayerPool layerPool() {
        return LayerPool.parse(pool);
    }

    /** {@code feature_} and the layer's key with dots as underscores. */
    public static String column(String layer) {
        return "feature_" + layer.replace('.', '_');
    }

    /** The columns these outputs add after {@code feature}, in order. */
    public List<String> columns() {
        List<String> c = new ArrayList<>();
        layers.forEach(l -> c.add(column(l)));
        if (topK > 0) {
            c.add("top_k");
        }
        return c;
    }

    /**
     * {@code s} with these outputs' columns added: each layer's ({@code vectors}: Spark ML vectors, else
     * {@code array<float>}) with its per-clip shape for {@code w}'s clips (its clip length, the preset's crop) in the
     * metadata, then {@code top_k}. A layer the model does not have is an error naming the closest.
     */
    public StructType addColumns(StructType s, SegmentWork w, boolean vectors, boolean nullable) {
        if (layers.isEmpty() && topK == 0) {
            return s;
        }
        Network net = ModelZoo.network(w.model(), w.widths());
        ModelPreset preset = ModelPreset.forModel(w.model());
        int[] clipShape = {1, 3, w.clipLength() > 0 ? w.clipLength() : preset.clipLength(), preset.cropHeight(),
            preset.cropWidth()};
        DataType feature = vectors ? SQLDataTypes.VectorType() : DataTypes.createArrayType(DataTypes.FloatType, false);
        for (String l : layers) {
            int[] shape = net.layerShape(l, clipShape);
            int[] per = layerPool() == LayerPool.AVG ? new int[] {shape[1]}
                    : java.util.Arrays.copyOfRange(shape, 1, shape.length);
            Metadata meta = new MetadataBuilder().putString("cubist.layer", l).putLongArray(SHAPE_KEY,
                    java.util.Arrays.stream(per).asLongStream().toArray()).build();
            s = s.add(column(l), feature, nullable, meta);
        }
        if (topK > 0) {
            s = s.add("top_k", DataTypes.createArrayType(PREDICTION, false), nullable);
        }
        return s;
    }

    /** The values of these columns for one clip's layer outputs and logits (top-k of the softmax). */
    public List<Object> values(Map<String, float[]> layerValues, float[] logits, boolean vectors) {
        List<Object> v = new ArrayList<>();
        for (String l : layers) {
            float[] x = layerValues.get(l);
            v.add(vectors ? org.apache.spark.ml.linalg.Vectors.dense(toDoubles(x)) : x);
        }
        if (topK > 0) {
            ClassLabels labels = ClassLabels.forClasses(logits.length);
            List<Object> top = new ArrayList<>();
            for (ClassLabels.Prediction p : labels.topK(new io.cubist.kernels.tensor.Tensor(logits, 1,
                    logits.length), topK).get(0)) {
                top.add(RowFactory.create(p.label(), p.probability()));
            }
            v.add(top.toArray());
        }
        return v;
    }

    /** Nulls for these columns (an error row with {@code handleInvalid=keep}). */
    public List<Object> nulls() {
        List<Object> v = new ArrayList<>();
        columns().forEach(c -> v.add(null));
        return v;
    }

    /** As the run manifest and the dataset identity record them. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", layers);
        m.put("pool", pool);
        m.put("top_k", (long) topK);
        return m;
    }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
