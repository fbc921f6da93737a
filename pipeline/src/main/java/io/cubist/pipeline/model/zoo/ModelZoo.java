package io.cubist.pipeline.model.zoo;

import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.RandomWeights;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The models Cubist knows by name, each with its PyTorch model's layers and {@code state_dict} keys, so a checkpoint
 * loads with no renaming (torchvision 0.14's for the torchvision models):
 *
 * <table>
 *   <caption>models</caption>
 *   <tr><th>name</th><th>torchvision</th><th>features</th><th>parameters</th><th>GMACs at 16×112×112</th></tr>
 *   <tr><td>r3d_18</td><td>{@code r3d_18}</td><td>512</td><td>33,371,472</td><td>40.70</td></tr>
 *   <tr><td>mc3_18</td><td>{@code mc3_18}</td><td>512</td><td>11,695,440</td><td>43.34</td></tr>
 *   <tr><td>r2plus1d_18</td><td>{@code r2plus1d_18}</td><td>512</td><td>31,505,325</td><td>40.52</td></tr>
 *   <tr><td>s3d</td><td>{@code s3d} ({@link S3D})</td><td>1024</td><td>8,320,048</td><td>17.98 at 16×224×224</td></tr>
 *   <tr><td>c3d</td><td>Sports-1M C3D ({@link C3D})</td><td>4096</td><td>79,991,015</td><td>38.55</td></tr>
 *   <tr><td>ir_csn_50</td><td>ir-CSN, ResNet-50 depth ({@link ChannelSeparatedNet})</td><td>2048</td>
 *       <td>13,131,152</td><td>42.31 at 32×224×224</td></tr>
 *   <tr><td>alexnet3d</td><td>AlexNet in 3D with its groups=2 layers ({@link AlexNet3D})</td><td>4096</td>
 *       <td>see {@code cubist summary}</td><td></td></tr>
 * </table>
 */
public final class ModelZoo {

    /** The seed of the stand-in weights a model gets when none are given. */
    public static final long RANDOM_SEED = 20_140_701L;

    private static final Map<String, Supplier<? extends Architecture>> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("r3d_18", VideoResNet::r3d18);
        MODELS.put("mc3_18", VideoResNet::mc318);
        MODELS.put("r2plus1d_18", VideoResNet::r2plus1d18);
        MODELS.put("s3d", S3D::torchvision);
        MODELS.put("c3d", C3D::sports1m);
        MODELS.put("ir_csn_50", ChannelSeparatedNet::irCsn50);
        MODELS.put("alexnet3d", AlexNet3D::alexnet3d);
        MODELS.put("x3d_xs", X3D::xs);
        MODELS.put("x3d_s", X3D::s);
        MODELS.put("x3d_m", X3D::m);
        MODELS.put("x3d_l", X3D::l);
        MODELS.put("i3d", I3D::kinetics);
        MODELS.put("slowfast_r50", SlowFast::r50);
    }

    private ModelZoo() {
    }

    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** The description of a model; an unknown name is an error listing the known ones. */
    public static Architecture describe(String name) {
        Supplier<? extends Architecture> s = MODELS.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: "
                    + String.join(", ", names()));
        }
        return s.get();
    }

    /** The published architecture (for {@code summary}). */
    public static Network network(String name) {
        return network(name, null);
    }

    /** The architecture with other stage widths (null: the published ones). */
    public static Network network(String name, int[] widths) {
        Architecture d = describe(name);
        return (widths == null ? d : d.withWidths(widths)).build();
    }

    /** {@link #create(String, int[], StateDict)} with the published widths. */
    public static Model create(String name, StateDict weights) {
        return create(name, null, weights);
    }

    /**
     * A model with weights keyed as its PyTorch model's {@code state_dict}. The number of classes follows the
     * checkpoint's classifier weight ({@link Architecture#classifierWeightKey()}: {@code fc.weight}, 400 for
     * Kinetics-400); without any key of the classifier the model gives features only. With
     * {@code weights == null} the model gets seeded stand-in weights ({@link RandomWeights}, seed
     * {@value #RANDOM_SEED}): its features mean nothing. A checkpoint whose every key starts with {@code module.}
     * (saved from {@code DataParallel}) is read without that prefix.
     *
     * @param widths the four stage widths of a reduced variant, or null for torchvision's
     * @throws io.cubist.pipeline.model.WeightsMismatchException listing every missing, unexpected or misshapen key
     */
    public static Model create(String name, int[] widths, StateDict weights) {
        Architecture d = describe(name);
        if (widths != null) {
            d = d.withWidths(widths);
        }
        if (weights == null) {
            Network net = d.build();
            return net.load(RandomWeights.torchvisionInit(net.stateDict(), RANDOM_SEED));
        }
        if (!weights.isEmpty() && weights.keys().stream().allMatch(k -> k.startsWith("module."))) {
            weights = weights.stripPrefix("module.");
        }
        if (weights.contains(d.classifierWeightKey())) {
            int[] fc = weights.shape(d.classifierWeightKey());
            if (fc.length >= 2 && fc[0] >= 1) {
                d = d.withClasses(fc[0]);
            }
        }
        return d.build().load(weights);
    }
}
