package io.cubist.kernels.backend.cpu;

/**
 * A per-thread reusable float buffer. Kernels need large temporary buffers (the padded input, Winograd's
 * transforms); allocating them per call costs more than a depthwise or pointwise layer computes, because the JVM
 * zeroes every new array and large ones bypass the thread-local allocation buffers. One per thread keeps a shared
 * prepared layer safe to call from concurrent tasks. Contents are not cleared between uses.
 */
final class Scratch {
    private final ThreadLocal<float[]> buffer = new ThreadLocal<>();

    /** A buffer of at least {@code n} floats with unspecified contents. */
    float[] get(int n) {
        float[] b = buffer.get();
        if (b == null || b.length < n) {
            b = new float[n];
            buffer.set(b);
        }
        return b;
    }
}
