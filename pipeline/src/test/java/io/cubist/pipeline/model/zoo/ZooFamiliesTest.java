package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.bench.Workload;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.RandomWeights;
import io.cubist.pipeline.model.StateEntry;
import io.cubist.pipeline.model.Summary;
import io.cubist.pipeline.model.SummaryRow;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * s3d, c3d, ir_csn_50 and alexnet3d at full size, no weights: parameter totals, {@code state_dict} sizes and MACs equal what
 * PyTorch gives for the same models (tools/video_models.py; s3d is torchvision's own), counted with forward hooks
 * at each model's default clip (conv and linear MACs, every kernel tap): s3d 17,978,771,456 at 16×224×224,
 * c3d 38,548,959,232 at 16×112×112, ir_csn_50 42,308,519,936 at 32×224×224, alexnet3d 5,453,944,320 at
 * 16×112×112, the X3D sizes at the clip each is built for, i3d at 64×224×224.
 */
class ZooFamiliesTest {
    static final Path CONF = Path.of(System.getProperty("user.dir")).getParent().resolve("conf/models");

    @ParameterizedTest
    @CsvSource({
        // name, parameters, MACs, GMACs, len(list(parameters())), len(state_dict()), features, classes, T, H
        "s3d,       8320048,  17978771456, 17.98, 233, 464, 1024, 400, 16, 224",
        "c3d,       79991015, 38548959232, 38.55, 22,  22,  4096, 487, 16, 112",
        "ir_csn_50, 13131152, 42308519936, 42.31, 161, 320, 2048, 400, 32, 224",
        "alexnet3d, 29618000, 5453944320,  5.45,  16,  16,  4096, 400, 16, 112",
        // PyTorchVideo's X3D (3.79 M / 6.15 M parameters as published; the X3D paper's 0.60 / 1.96 / 4.73 / 18.37
        // GFLOPs are these multiply-accumulates at the clip each size is built for)
        "x3d_xs,    3794274,  605256512,   0.61,  314, 563, 2048, 400, 4,  160",
        "x3d_s,     3794274,  1962892112,  1.96,  314, 563, 2048, 400, 13, 160",
        "x3d_m,     3794274,  4732468736,  4.73,  314, 563, 2048, 400, 16, 224",
        "x3d_l,     6153384,  18367710176, 18.37, 631, 1141, 2048, 400, 16, 312",
        // i3d: PyTorch's hooks count 111,153,143,808, its 1x1x1 classifier at each of the 7 times avg_pool leaves;
        // Cubist runs it once on their mean (the same logits), 6 x 1024 x 400 = 2,457,600 fewer
        "i3d,       12697264, 111150686208, 111.15, 173, 344, 1024, 400, 64, 224",
        // PyTorchVideo's slowfast_r50: 34.57 M parameters as published; its 65.71 GFLOPs are these MACs at the
        // 256 crop of its test transform (x (256/224)^2)
        "slowfast_r50, 34566488, 50308583424, 50.31, 332, 662, 2304, 400, 32, 224",
    })
    void totalsEqualPyTorch(String name, long params, long macs, String gmacs, int paramTensors, int stateKeys,
                            int features, int classes, int frames, int size) {
        Architecture a = ModelZoo.describe(name);
        int[] in = a.defaultInput();
        assertArrayEquals(new int[] {1, 3, frames, size, size}, in);
        Network net = a.build();
        Summary s = net.summary(in);
        assertEquals(params, s.parameters(), name + " parameters");
        assertEquals(params, s.rows().stream().mapToLong(SummaryRow::parameters).sum(), name + " row parameters");
        assertEquals(macs, s.macs(), name + " MACs");
        assertEquals(macs, s.rows().stream().mapToLong(SummaryRow::macs).sum(), name + " row MACs");
        assertEquals(gmacs, String.format(Locale.ROOT, "%.2f", s.gmacs()));
        assertEquals(paramTensors, net.stateDict().stream().filter(e -> e.role().parameter()).count(),
                name + " parameter tensors");
        assertEquals(stateKeys, net.stateDict().size(), name + " state_dict entries");
        assertArrayEquals(new int[] {1, features}, net.featureShape(in));
        assertEquals(features, a.featureDim());
        assertEquals(classes, a.numClasses());
        assertArrayEquals(new int[] {1, classes}, s.rows().get(s.rows().size() - 1).outputShape());
        assertTrue(a.published());
        // ModelZoo.create reads the classes from this key's first dimension
        assertTrue(a.classifierWeightKey().startsWith(net.headName() + "."), a.classifierWeightKey());
        assertEquals(classes, net.expectedShapes().get(a.classifierWeightKey())[0]);
        assertTrue(s.format().contains(String.format(Locale.ROOT, "total parameters  %,d", params)));
    }

    @Test
    void s3dKeysAreTorchvisions() {
        List<StateEntry> sd = ModelZoo.network("s3d").stateDict();
        List<String> keys = sd.stream().map(StateEntry::key).toList();
        assertEquals(List.of("features.0.0.0.weight", "features.0.0.1.weight", "features.0.0.1.bias",
                "features.0.0.1.running_mean", "features.0.0.1.running_var", "features.0.0.1.num_batches_tracked",
                "features.0.1.0.weight"), keys.subList(0, 7));
        assertTrue(keys.contains("features.5.branch0.0.weight"));
        assertTrue(keys.contains("features.5.branch1.1.0.0.weight"));
        assertTrue(keys.contains("features.5.branch3.1.1.running_var"));
        assertTrue(keys.contains("features.15.branch2.1.1.1.num_batches_tracked"));
        assertEquals(List.of("classifier.1.weight", "classifier.1.bias"), keys.subList(keys.size() - 2, keys.size()));
        assertArrayEquals(new int[] {400, 1024, 1, 1, 1}, sd.get(sd.size() - 2).shape());
        // the temporal half of features.0: 7×1×1, 64 -> 64
        assertArrayEquals(new int[] {64, 64, 7, 1, 1}, sd.get(6).shape());
    }

    @Test
    void c3dKeysAreThePorts() {
        List<StateEntry> sd = ModelZoo.network("c3d").stateDict();
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3a.weight",
                "conv3a.bias", "conv3b.weight", "conv3b.bias", "conv4a.weight", "conv4a.bias", "conv4b.weight",
                "conv4b.bias", "conv5a.weight", "conv5a.bias", "conv5b.weight", "conv5b.bias", "fc6.weight", "fc6.bias",
                "fc7.weight", "fc7.bias", "fc8.weight", "fc8.bias"), sd.stream().map(StateEntry::key).toList());
        assertArrayEquals(new int[] {4096, 8192}, sd.get(16).shape());
        assertArrayEquals(new int[] {487, 4096}, sd.get(20).shape());
    }

    @Test
    void csnKeysAreVideoResNetsWithDepthwiseConvolutions() {
        List<StateEntry> sd = ModelZoo.network("ir_csn_50").stateDict();
        List<String> keys = sd.stream().map(StateEntry::key).toList();
        assertEquals("stem.0.weight", keys.get(0));
        assertArrayEquals(new int[] {64, 3, 3, 7, 7}, sd.get(0).shape());
        int dw = keys.indexOf("layer2.0.conv2.0.weight");
        assertArrayEquals(new int[] {128, 1, 3, 3, 3}, sd.get(dw).shape()); // groups = channels
        int ds = keys.indexOf("layer2.0.downsample.0.weight");
        assertArrayEquals(new int[] {512, 256, 1, 1, 1}, sd.get(ds).shape());
        assertTrue(keys.contains("layer1.0.downsample.1.running_var")); // 64 -> 256 channels at stride 1
        assertTrue(!keys.contains("layer1.1.downsample.0.weight"));
        assertTrue(keys.contains("layer3.5.conv3.1.num_batches_tracked"));
        assertEquals(List.of("fc.weight", "fc.bias"), keys.subList(keys.size() - 2, keys.size()));
        // stride (2, 2, 2) from layer2 on: 32x224x224 -> stem 32x56x56 -> layer4 4x7x7
        Summary s = ModelZoo.network("ir_csn_50").summary(new int[] {1, 3, 32, 224, 224});
        SummaryRow last = s.rows().stream().filter(r -> r.name().equals("layer4.2.relu")).findFirst().orElseThrow();
        assertArrayEquals(new int[] {1, 2048, 4, 7, 7}, last.outputShape());
    }

    @Test
    void s3dClassesComeFromTheCheckpoint() {
        Network ten = S3D.torchvision().withClasses(10).build();
        Model m = ModelZoo.create("s3d", RandomWeights.torchvisionInit(ten.stateDict(), 7));
        assertTrue(m.hasClassifier());
        assertArrayEquals(new int[] {2, 10}, m.network().head().outputShape(new int[] {2, 1024}));
        assertEquals(ten.parameterCount(), m.network().parameterCount());
    }

    @Test
    void benchRunsEachModelOnItsDefaultClip() {
        Workload w = new ZooWorkloads().create("s3d", 1, List.of(new ReferenceBackend()), 0); // prepared, not run
        assertArrayEquals(new int[] {1, 3, 16, 224, 224}, w.inputShape());
        assertArrayEquals(new int[] {1, 1024}, w.outputShape());
        assertEquals(2 * 17_978_771_456L, w.flops().orElseThrow());
    }

    @Test
    void widthsApplyToStagedModelsOnly() {
        assertEquals("s3d has no four stage widths to change (--widths applies to the ResNet-shaped models:"
                        + " r3d_18, mc3_18, r2plus1d_18, ir_csn_50)",
                assertThrows(IllegalArgumentException.class, () -> ModelZoo.network("s3d", new int[] {4, 4, 8, 8}))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.network("c3d", new int[] {4, 4, 8, 8}));
        assertArrayEquals(new int[] {1, 32}, ModelZoo.network("ir_csn_50", new int[] {4, 4, 8, 8})
                .featureShape(new int[] {1, 3, 8, 32, 32}));
    }

    @Test
    void clipsTheModelCannotTakeAreExplained() {
        // s3d's 2×7×7 average pool needs a 224 crop and at least 9 frames (torchvision: 14)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.network("s3d").featureShape(new int[] {1, 3, 16, 112, 112}));
        assertTrue(e.getMessage().contains("too small for kernel (2, 7, 7)"), e.getMessage());
        // c3d's fc6 takes 8192 = 512 × 1×4×4 inputs: 16×112×112 clips
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.network("c3d").featureShape(new int[] {1, 3, 16, 128, 128}));
        assertTrue(e.getMessage().contains("8192"), e.getMessage());
        assertEquals(new Dims3(1, 4, 4), C3D.FC6_GRID);
    }

    @ParameterizedTest
    @CsvSource({
        // name, resize h, w, crop, mean[0], std[0], clip length, frame rate
        "s3d,       256, 256, 224, 0.43216,  0.22803,    128, 15",
        "c3d,       128, 171, 112, 0.407843, 0.00392157, 16,  25",
        "ir_csn_50, 256, 341, 224, 0.485,    0.229,      32,  15",
        "x3d_xs,    160, 213, 160, 0.45,     0.225,      4,   2.5",
        "x3d_s,     160, 213, 160, 0.45,     0.225,      13,  5",
        "x3d_m,     224, 299, 224, 0.45,     0.225,      16,  6",
        "x3d_l,     312, 416, 312, 0.45,     0.225,      16,  6",
        "i3d,       256, 341, 224, 0.5,      0.5,        64,  25",
        "slowfast_r50, 256, 341, 224, 0.45,  0.225,      32,  15",
    })
    void presets(String name, int rh, int rw, int crop, double mean0, double std0, int clip, double fps) {
        ModelPreset p = ModelPreset.read(CONF.resolve(name + ".json"));
        assertEquals(name, p.model());
        assertEquals(rh, p.resizeHeight());
        assertEquals(rw, p.resizeWidth());
        assertEquals(crop, p.cropHeight());
        assertEquals(crop, p.cropWidth());
        assertEquals("bilinear", p.interpolation());
        assertEquals(mean0, p.mean()[0], 1e-6);
        assertEquals(std0, p.std()[0], 1e-8);
        assertEquals(clip, p.clipLength());
        assertEquals(fps, p.frameRate());
        assertEquals(ModelZoo.describe(name).featureDim(), p.featureDim());
        assertEquals(ModelZoo.describe(name).numClasses(), p.numClasses());
    }

    /** PackPathway's slow frames: {@code torch.linspace(0, T - 1, T // alpha).long()} as torch 1.13 gives them. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "32; 4; 0,4,8,13,17,22,26,31", "8; 4; 0,7", "16; 4; 0,5,10,15", "64; 8; 0,9,18,27,36,45,54,63",
        "30; 4; 0,4,9,14,19,24,29", "13; 4; 0,6,12", "7; 2; 0,3,6"})
    void slowFramesAreTorchLinspace(int t, int alpha, String frames) {
        int[] want = java.util.Arrays.stream(frames.split(",")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(want, io.cubist.pipeline.model.PathwayNet.slowFrames(t, alpha));
    }

    /** A SlowFast clip whose length alpha does not divide is refused saying so, before any layer runs. */
    @Test
    void slowFastNeedsAMultipleOfAlphaFrames() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.network("slowfast_r50").featureShape(new int[] {1, 3, 30, 224, 224}));
        assertTrue(e.getMessage().contains("needs a multiple of 4 frames"), e.getMessage());
    }
}
