package io.cubist.kernels.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.backend.opencl.OpenClBackend;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Group partitioning: the split follows speed, a chain of grouped layers split over two devices equals one device
 * within 1e-5, data moves only at ungrouped layers, and the bytes moved are exactly the misplaced channels.
 */
class DevicePlanTest {
    private static final int N = 2;
    private static final int VOL = 3 * 6 * 5;

    /** conv a: 8->8 groups 2, conv b: 8->8 groups 2 (same split), conv c: 8->12 groups 1, conv d: 12->8 groups 4. */
    private static List<ConvSpec> chain() {
        return List.of(ConvSpec.builder(3, 8, 8, 3, 3, 3).padding(1).groups(2).build(),
                ConvSpec.builder(3, 8, 8, 1, 3, 3).padding(0, 1, 1).groups(2).build(),
                ConvSpec.builder(3, 8, 12, 3, 1, 1).padding(1, 0, 0).build(),
                ConvSpec.builder(3, 12, 8, 3, 3, 3).padding(1).groups(4).build());
    }

    private static Tensor runChain(DevicePlan plan, Tensor x) {
        Sharded s = Sharded.whole(x, plan.slots().size());
        int i = 0;
        for (ConvSpec spec : chain()) {
            Tensor w = Tensor.random(100 + i, spec.weightShape());
            Tensor b = Tensor.random(200 + i, spec.outChannels());
            s = plan.prepare(spec, w, b).forward(s, i % 2 == 0);
            i++;
        }
        return plan.gather(s);
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double err = expected.maxAbsDiff(actual);
        assertTrue(err <= 1e-5 * Math.max(1, expected.maxAbs()), what + ": max difference " + err);
    }

    @Test
    void splitIsProportionalToSpeedAndStable() {
        Backend r = new ReferenceBackend();
        DevicePlan even = DevicePlan.of(List.of(new DevicePlan.Slot("a", r, 1), new DevicePlan.Slot("b", r, 1)));
        assertArrayEquals(new int[] {1, 1}, even.split(2));
        assertArrayEquals(new int[] {4, 4}, even.split(8));
        assertArrayEquals(new int[] {2, 1}, even.split(3));
        DevicePlan skew = DevicePlan.of(List.of(new DevicePlan.Slot("fast", r, 3),
                new DevicePlan.Slot("slow", r, 1)));
        assertArrayEquals(new int[] {6, 2}, skew.split(8));
        assertArrayEquals(new int[] {2, 0}, skew.split(2));
        assertArrayEquals(new int[] {48, 16}, skew.channelSplit(8, 64));
        assertThrows(IllegalArgumentException.class, () -> new DevicePlan.Slot("x", r, 0));
    }

    @Test
    void twoCpuEnginesEqualOneAndMoveOnlyMisplacedChannels() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1)) {
            Tensor x = Tensor.random(7, N, 8, 3, 6, 5);
            DevicePlan single = DevicePlan.of(List.of(new DevicePlan.Slot("cpu", one, 1)));
            Tensor want = runChain(single, x);
            assertEquals(0, single.bytesMoved());
            DevicePlan two = DevicePlan.of(List.of(new DevicePlan.Slot("cpu#0", a, 1),
                    new DevicePlan.Slot("cpu#1", b, 1)));
            Tensor got = runChain(two, x);
            assertClose(want, got, "two cpu engines");
            // a: scatter 4 of 8 channels; b: none (same split); c: gather b's 4 channels; d: scatter 6 of 12
            // channels (groups 4 split 2+2); final gather of 4 of 8 channels
            long expected = 4L * N * VOL * (4 + 4 + 6 + 4);
            assertEquals(expected, two.bytesMoved(), "bytes moved between the engines");
        }
    }

    @Test
    void openClAndCpuEngineEqualOneDevice() {
        String why = Devices.openClUnavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, () -> "no OpenCL here: " + why);
        try (CpuBackend cpu = new CpuBackend(1); CpuBackend one = new CpuBackend(1)) {
            OpenClBackend ocl = (OpenClBackend) io.cubist.kernels.backend.Backends.open(
                    io.cubist.kernels.backend.EngineRequest.of(OpenClBackend.NAME));
            Tensor x = Tensor.random(8, N, 8, 3, 6, 5);
            Tensor want = runChain(DevicePlan.of(List.of(new DevicePlan.Slot("cpu", one, 1))), x);
            DevicePlan mixed = DevicePlan.of(List.of(new DevicePlan.Slot("cpu", cpu, 1),
                    new DevicePlan.Slot(ocl.device().id(), ocl, 1)));
            long launches = ocl.launches();
            assertClose(want, runChain(mixed, x), "cpu engine + " + ocl.device().id());
            assertTrue(ocl.launches() > launches, "the OpenCL device ran nothing");
        }
    }

    @Test
    void measuredSpeedsArePositiveAndNamed() {
        try (CpuBackend a = new CpuBackend(1)) {
            List<String> names = new ArrayList<>(List.of("cpu", "reference"));
            DevicePlan p = DevicePlan.measured(names, List.of(a, new ReferenceBackend()), 1);
            assertEquals(names, p.slots().stream().map(DevicePlan.Slot::name).toList());
            assertTrue(p.slots().stream().allMatch(s -> s.speed() > 0), p.describe(2));
            assertTrue(p.describe(2).contains("cpu (cpu, speed"), p.describe(2));
        }
    }
}
