package io.cubist.kernels.backend;

/**
 * What an engine moved between the host and its device memory, and the kernels it launched, since it was opened:
 * zero for engines that compute in host memory. {@code weightBytes} counts weights (and the device workspace's first
 * allocation) apart from the per-call traffic, which is what a clip costs.
 */
public record Traffic(long bytesToDevice, long bytesFromDevice, long launches, long weightBytes) {
    public static final Traffic NONE = new Traffic(0, 0, 0, 0);

    /** This minus {@code earlier}: the traffic between two readings. */
    public Traffic minus(Traffic earlier) {
        return new Traffic(bytesToDevice - earlier.bytesToDevice, bytesFromDevice - earlier.bytesFromDevice,
                launches - earlier.launches, weightBytes - earlier.weightBytes);
    }

    public Traffic plus(Traffic other) {
        return new Traffic(bytesToDevice + other.bytesToDevice, bytesFromDevice + other.bytesFromDevice,
                launches + other.launches, weightBytes + other.weightBytes);
    }
}
