package io.cubist.kernels.device;

import java.util.Locale;

/** What kind of processor a {@link Device} is, as OpenCL's {@code CL_DEVICE_TYPE} names it. */
public enum DeviceType {
    GPU,
    CPU,
    ACCELERATOR,
    OTHER;

    /** {@code gpu}, {@code cpu}, {@code accelerator}, {@code other}: the spelling selectors use. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
