package io.cubist.kernels.backend;

/**
 * What an engine moved between the host and its device memory, and the kernels it launched, since it was opened:
 * zero for engines that compute in host memory. {@code bytesToDevice} and {@code bytesFromDevice} are the data of
 * tensors crossing (what a clip costs); {@code weightBytes} the prepared weights uploaded, and {@code bufferBytes}
 * what creating device buffers copied from the host (the activation arena, a staging buffer of a new size), apart.
 */
public record Traffic(long bytesToDevice, long bytesFromDevice, long launches, long weightBytes, long bufferBytes) {
    public static final Traffic NONE = new Traffic(0, 0, 0, 0, 0);

    /** This minus {@code earlier}: the traffic between two readings. */
    public Traffic minus(Traffic earlier) {
        return new Traffic(bytesToDevice - earlier.bytesToDevice, bytesFromDevice - earlier.bytesFromDevice,
                launches - earlier.launches, weightBytes - earlier.weightBytes, bufferBytes - earlier.bufferBytes);
    }

    public Traffic plus(Traffic other) {
        return new Traffic(bytesToDevice + other.bytesToDevice, bytesFromDevice + other.bytesFromDevice,
                launches + other.launches, weightBytes + other.weightBytes, bufferBytes + other.bufferBytes);
    }
}
