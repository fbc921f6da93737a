package io.cubist.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Device choice and the Spark GPU-address mapping on made-up device lists (no OpenCL needed). */
class DevicesTest {
    private static Device dev(int i, String name, DeviceType t) {
        return new Device(i, Device.OPENCL, name, "vendor", "platform", t, 8, 1L << 32, 1L << 16, 1024);
    }

    private static final List<Device> MIXED = List.of(dev(0, "pthread-skylake", DeviceType.CPU),
            dev(1, "NVIDIA H100", DeviceType.GPU), dev(2, "NVIDIA A10", DeviceType.GPU),
            dev(3, "Alveo U250", DeviceType.ACCELERATOR));

    @Test
    void defaultPrefersGpuThenAcceleratorThenFirst() {
        assertEquals(1, Devices.choose(MIXED, null).index());
        assertEquals(3, Devices.choose(List.of(MIXED.get(0), MIXED.get(3)), "").index());
        assertEquals(0, Devices.choose(List.of(MIXED.get(0)), " ").index());
    }

    @Test
    void choosesByTypeIndexOrName() {
        assertEquals(0, Devices.choose(MIXED, "cpu").index());
        assertEquals(1, Devices.choose(MIXED, "GPU").index());
        assertEquals(3, Devices.choose(MIXED, "accelerator").index());
        assertEquals(2, Devices.choose(MIXED, "2").index());
        assertEquals(2, Devices.choose(MIXED, "a10").index());
    }

    @Test
    void aSelectorMatchingNothingListsTheDevices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.choose(MIXED, "7"));
        assertTrue(e.getMessage().contains("4 OpenCL devices") && e.getMessage().contains("1: NVIDIA H100 (gpu)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Devices.choose(MIXED, "radeon"));
        assertTrue(e.getMessage().contains("matches no OpenCL device"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Devices.choose(List.of(MIXED.get(0)), "gpu"));
        assertTrue(e.getMessage().contains("no OpenCL device of type gpu"), e.getMessage());
    }

    @Test
    void sparkGpuAddressesAreOrdinalsAmongTheGpus() {
        assertEquals(List.of(MIXED.get(2)), Devices.forGpuAddresses(List.of("1"), MIXED));
        assertEquals(List.of(MIXED.get(1), MIXED.get(2)), Devices.forGpuAddresses(List.of("0", "1", "0"), MIXED));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Devices.forGpuAddresses(List.of("2"), MIXED));
        assertTrue(e.getMessage().contains("GPU address 2 has no OpenCL GPU: this executor sees 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Devices.forGpuAddresses(List.of("GPU-5d3f"), MIXED));
        assertTrue(e.getMessage().contains("not an ordinal"), e.getMessage());
    }

    @Test
    void everyListingEndsWithTheCpuEngine() {
        List<Device> all = Devices.all();
        Device last = all.get(all.size() - 1);
        assertEquals("cpu", last.id());
        assertEquals(Devices.openCl().size() + 1, all.size());
        if (Devices.openClUnavailableReason() == null) {
            assertEquals("opencl:0", all.get(0).id());
            assertTrue(all.get(0).computeUnits() >= 1 && all.get(0).maxWorkGroupSize() >= 1, all.get(0).describe());
        }
    }
}
