package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.backend.opencl.OpenClBackend;
import io.cubist.kernels.device.DevicePlan;
import io.cubist.kernels.device.Devices;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.GoldenModels;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * alexnet3d's groups=2 layers split across two devices, as AlexNet split them across two GPUs: the same features
 * and logits as one device within 1e-5 (and PyTorch's), and exactly the expected activations cross devices.
 */
class PartitionedAlexNetTest {
    private static final GoldenModels.Case CASE = GoldenModels.get("alexnet3d_w8-16-24-16-16");

    /**
     * Bytes that cross devices for one clip of 3×8×96×96 with widths 8, 16, 24, 16, 16 split 1+1 group: features.3
     * takes half of pool1's 8×8×11×11 map, features.6 (groups 1) gathers half of pool2's 16×4×5×5, features.8
     * takes half of features.6's 24×4×5×5, features.10 finds its input in place, and the classifier gathers half of
     * avgpool's 16×1×2×2.
     */
    private static final long BYTES_PER_CLIP = 4L * (4 * 8 * 11 * 11 + 8 * 4 * 5 * 5 + 12 * 4 * 5 * 5 + 8 * 4);

    private static Model model() {
        return FamilyGoldenTest.describe(CASE).build().load(CASE.readWeights());
    }

    private static void partitioned(Backend first, Backend second, String what) {
        Tensor clips = CASE.readClips();
        Model m = model();
        PreparedModel.Output single;
        try (CpuBackend one = new CpuBackend(1)) {
            single = m.prepare(one).forward(clips);
        }
        DevicePlan plan = DevicePlan.of(List.of(new DevicePlan.Slot("first", first, 1),
                new DevicePlan.Slot("second", second, 1)));
        PreparedModel.Output split = m.prepare(plan).forward(clips);
        DevicesTest.close(single, split, what);
        ModelGoldenTest.check(CASE + " split over " + what, CASE.readExpected(), "logits", split.logits());
        assertEquals(BYTES_PER_CLIP, plan.bytesMoved() / clips.dim(0), what + ": bytes moved per clip");
    }

    @Test
    void twoCpuEnginesEqualOne() {
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1)) {
            partitioned(a, b, "two cpu engines");
        }
    }

    @Test
    void theCpuEngineAndAnOpenClDeviceEqualOne() {
        String why = Devices.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL here: " + why);
        OpenClBackend ocl = (OpenClBackend) io.cubist.kernels.backend.Backends.open(
                io.cubist.kernels.backend.EngineRequest.of(OpenClBackend.NAME));
        try (CpuBackend cpu = new CpuBackend(1)) {
            long before = ocl.launches();
            partitioned(cpu, ocl, "cpu + " + ocl.device().id());
            assertTrue(ocl.launches() > before, "the OpenCL device ran nothing");
        }
    }
}
