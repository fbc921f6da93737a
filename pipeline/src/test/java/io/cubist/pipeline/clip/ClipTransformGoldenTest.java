package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.Json;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.DecodedFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ClipTransform against torchvision 0.14's video preset on the same uint8 frames (tools/gen_clip_golden.py). */
class ClipTransformGoldenTest {

    private static final double TOLERANCE = 1e-5;

    record Case(String name, List<DecodedFrame> frames, int[] resize, int[] crop, double[] mean, double[] std,
                Tensor expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Path dir() throws Exception {
        return Path.of(ClipTransformGoldenTest.class.getResource("/golden-clips/clip_transform.json").toURI())
                .getParent();
    }

    @SuppressWarnings("unchecked")
    static Stream<Case> cases() throws Exception {
        Map<String, Object> index = Json.parseObject(Files.readString(dir().resolve("clip_transform.json")));
        TensorFile file = SafeTensors.read(dir().resolve("clip_transform.safetensors"));
        List<Case> out = new ArrayList<>();
        for (Object o : (List<Object>) index.get("cases")) {
            Map<String, Object> c = (Map<String, Object>) o;
            String name = (String) c.get("name");
            Tensor px = file.get(name + ".frames");
            int t = px.dim(0);
            int h = px.dim(1);
            int w = px.dim(2);
            List<DecodedFrame> frames = new ArrayList<>();
            for (int f = 0; f < t; f++) {
                byte[] rgb = new byte[h * w * 3];
                for (int i = 0; i < rgb.length; i++) {
                    rgb[i] = (byte) (int) px.data()[f * rgb.length + i];
                }
                frames.add(new DecodedFrame(f / 15.0, 1 / 15.0, w, h, rgb));
            }
            out.add(new Case(name, frames, ints(c.get("resize")), ints(c.get("crop")), doubles(c.get("mean")),
                    doubles(c.get("std")), file.get(name + ".expected")));
        }
        return out.stream();
    }

    private static int[] ints(Object o) {
        return ((List<?>) o).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
    }

    private static double[] doubles(Object o) {
        return ((List<?>) o).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchvision(Case c) {
        ClipTransform tf = new ClipTransform(c.resize()[0], c.resize()[1], c.crop()[0], c.crop()[1], c.mean(),
                c.std());
        float[] got = tf.apply(c.frames());
        float[] want = c.expected().data();
        assertEquals(want.length, got.length, "values in [3, T, h, w]");
        double max = 0;
        int worst = -1;
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs(got[i] - want[i]);
            if (e > max) {
                max = e;
                worst = i;
            }
        }
        System.out.printf("ClipTransform golden %s: max |error| %.3g over %d values%n", c.name(), max, got.length);
        assertTrue(max <= TOLERANCE, c.name() + ": max error " + max + " at flat index " + worst + " (got "
                + (worst < 0 ? "" : got[worst] + ", torchvision " + want[worst]) + ")");

        // uint8 storage then normalization gives the same values
        byte[] u8 = new byte[tf.clipSize(c.frames().size())];
        tf.toUint8(c.frames(), u8, 0);
        float[] later = new float[u8.length];
        tf.normalize(u8, 0, later, 0, c.frames().size());
        assertArrayEquals(got, later);
    }

    @Test
    void presetOfR2plus1dIsTheFirstGoldenCase() throws Exception {
        Case c = cases().filter(x -> x.name().equals("r2plus1d_18_preset")).findFirst().orElseThrow();
        ModelPreset p = ModelPreset.read(Path.of("../conf/models/r2plus1d_18.json"));
        float[] got = ClipTransform.of(p).apply(c.frames());
        float[] want = c.expected().data();
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
        }
        assertTrue(max <= TOLERANCE, "conf/models/r2plus1d_18.json: max error " + max);
    }
}
