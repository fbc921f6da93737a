package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.backend.Traffic;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.GoldenModels;
import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.RandomWeights;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models on real OpenCL devices (pocl in CI, two of them: the build sets {@code POCL_DEVICES="pthread pthread"}):
 * a forward pass keeps every activation on the device, so only the clip goes up and only the features and logits
 * come down; and with two devices the model is split (grouped layers as AlexNet split them, other models by batch)
 * with the same features as one device.
 */
class DevicesTest {

    private static List<Backend> openCl(int n) {
        String why = Devices.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL here: " + why);
        assumeTrue(Devices.openCl().size() >= n, () -> "fewer than " + n + " OpenCL devices here (pocl exposes two"
                + " with POCL_DEVICES=\"pthread pthread\")");
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < n; i++) {
            ids.append(i == 0 ? "" : ",").append("opencl:").append(i);
        }
        return Backends.openAll(EngineRequest.of("opencl").withDevices(EngineRequest.parseDevices(ids.toString())));
    }

    private static Model random(String name, int[] widths) {
        Network net = ModelZoo.network(name, widths);
        return net.load(RandomWeights.torchvisionInit(net.stateDict(), 7));
    }

    private static Model golden(String name) {
        GoldenModels.Case c = GoldenModels.get(name);
        return FamilyGoldenTest.describe(c).build().load(c.readWeights());
    }

    /** Features and logits within 1e-5 of {@code want}'s (relative to their largest), the difference printed. */
    static void close(PreparedModel.Output want, PreparedModel.Output got, String what) {
        for (String k : List.of("features", "logits")) {
            Tensor a = k.equals("features") ? want.features() : want.logits();
            Tensor b = k.equals("features") ? got.features() : got.logits();
            double err = a.maxAbsDiff(b);
            System.out.printf("%s %s: max difference %.3g (max %.3g)%n", what, k, err, a.maxAbs());
            assertTrue(err <= 1e-5 * Math.max(1, a.maxAbs()), what + " " + k + ": max difference " + err);
        }
    }

    private static PreparedModel.Output oneCpu(Model m, Tensor clips) {
        try (CpuBackend one = new CpuBackend(1)) {
            return m.prepare(one).forward(clips);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"r3d_18", "alexnet3d"})
    void onlyTheClipGoesUpAndOnlyTheOutputsComeDown(String name) {
        Backend ocl = openCl(1).get(0);
        Model m = name.equals("r3d_18") ? random(name, null) : golden("alexnet3d_w8-16-24-16-16");
        Tensor clips = name.equals("r3d_18") ? Tensor.random(3, 2, 3, 4, 32, 32)
                : GoldenModels.get("alexnet3d_w8-16-24-16-16").readClips();
        PreparedModel p = m.prepare(ocl);
        p.forward(clips); // the first pass sizes the arena and the staging buffers
        Traffic before = ocl.traffic();
        Traffic modelBefore = p.traffic();
        PreparedModel.Output out = p.forward(clips);
        Traffic t = ocl.traffic().minus(before);
        int n = clips.dim(0);
        System.out.printf("%s on %s: per clip %d bytes up, %d down, %d launches (clip %d bytes, outputs %d)%n",
                name, ocl.describe(), t.bytesToDevice() / n, t.bytesFromDevice() / n, t.launches() / n,
                4L * clips.numel() / n, 4L * (out.features().numel() + out.logits().numel()) / n);
        assertEquals(4L * clips.numel(), t.bytesToDevice(), "bytes up: the clip batch, nothing else");
        assertEquals(4L * (out.features().numel() + out.logits().numel()), t.bytesFromDevice(),
                "bytes down: the features and logits, nothing else");
        assertEquals(0, t.weightBytes(), "weights went up once, at the first pass");
        assertEquals(0, t.bufferBytes(), "no buffer was made again");
        assertTrue(t.launches() > 10, "launches " + t.launches());
        Traffic mine = p.traffic().minus(modelBefore);
        assertEquals(t.bytesToDevice(), mine.bytesToDevice(), "the model counts what its pass moved");
        assertEquals(t.launches(), mine.launches());
        close(oneCpu(m, clips), out, name + " on " + ocl.describe());
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet3d_w8-16-24-16-16", "ir_csn_50_w4-4-8-8"})
    void groupedLayersSplitOverTwoDevicesEqualOne(String name) {
        List<Backend> two = openCl(2);
        Model m = golden(name);
        assertTrue(m.grouped());
        Tensor clips = GoldenModels.get(name).readClips();
        PreparedModel split = m.prepare(two, List.of(), LayerPool.AVG);
        assertNotNull(split.plan());
        assertFalse(split.dataParallel());
        split.forward(clips);
        split.plan().resetBytesMoved();
        Traffic second = two.get(1).traffic();
        PreparedModel.Output out = split.forward(clips);
        Traffic t = two.get(1).traffic().minus(second);
        long exchanged = split.plan().bytesMoved();
        System.out.println(name + " plan: " + split.describePlan() + "; " + exchanged / clips.dim(0)
                + " bytes exchanged per clip");
        // the second device's every transfer is an exchange of the plan: its groups' inputs and outputs
        assertEquals(exchanged, t.bytesToDevice() + t.bytesFromDevice(), "bytes exchanged = the plan's count");
        if (split.plan().split(2)[1] > 0) {
            assertTrue(exchanged > 0, "the second device took groups but nothing crossed");
        }
        close(oneCpu(m, clips), out, name + " split over " + two.get(0).describe() + " + " + two.get(1).describe());
    }

    @Test
    void anOpenClDeviceAndTheCpuEngineSplitACsnAsOneDevice() {
        Backend ocl = openCl(1).get(0);
        Backend cpu = Backends.open(EngineRequest.of("cpu").withThreads(1));
        Model m = golden("ir_csn_50_w4-4-8-8");
        Tensor clips = GoldenModels.get("ir_csn_50_w4-4-8-8").readClips();
        PreparedModel split = m.prepare(List.of(ocl, cpu), List.of(), LayerPool.AVG);
        close(oneCpu(m, clips), split.forward(clips), "ir_csn_50 split over " + ocl.describe() + " + cpu");
    }

    @Test
    void aModelWithoutGroupsSplitsTheBatchAcrossTwoDevices() {
        List<Backend> two = openCl(2);
        Model m = random("r3d_18", new int[] {8, 8, 16, 16});
        assertFalse(m.grouped());
        Tensor clips = Tensor.random(5, 3, 3, 4, 32, 32);
        PreparedModel split = m.prepare(two, List.of("layer2"), LayerPool.AVG);
        assertTrue(split.dataParallel());
        Traffic before = two.get(0).traffic().plus(two.get(1).traffic());
        PreparedModel.Output out = split.forward(clips);
        Traffic t = two.get(0).traffic().plus(two.get(1).traffic()).minus(before);
        System.out.println("r3d_18 data-parallel: " + split.describePlan());
        assertEquals(3, out.features().dim(0));
        assertEquals(3, out.layers().get("layer2").dim(0));
        // every clip went up once, to one device (the first call also made staging buffers, counted apart)
        assertEquals(4L * clips.numel(), t.bytesToDevice());
        PreparedModel.Output want;
        try (CpuBackend one = new CpuBackend(1)) {
            want = m.prepare(one, List.of("layer2"), LayerPool.AVG).forward(clips);
        }
        close(want, out, "r3d_18 batch split over two devices");
        double err = want.layers().get("layer2").maxAbsDiff(out.layers().get("layer2"));
        assertTrue(err <= 1e-5 * Math.max(1, want.layers().get("layer2").maxAbs()), "layer2: " + err);
    }
}
