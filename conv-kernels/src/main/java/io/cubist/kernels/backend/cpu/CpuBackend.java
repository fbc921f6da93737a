package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.List;

/**
 * The {@code cpu} backend: JDK Vector API kernels on a fixed thread budget ({@link CpuThreads}). Convolutions run
 * as an implicit GEMM with a register-blocked FMA micro-kernel ({@link GemmKernel}); ops without a fast path yet
 * run the reference loops.
 */
public final class CpuBackend implements Backend, AutoCloseable {
    public static final String NAME = "cpu";
    /** Which Winograd engines run: {@code true} (the default) or {@code f4}, {@code f2}, {@code false}. */
    public static final String WINOGRAD_PROPERTY = "cubist.cpu.winograd";
    /**
     * A shorter reduction (input channels per group x temporal taps) leaves too little work per transformed element
     * to pay for Winograd's transforms. Measured (same JVM, alternating, 2 threads, with the fused F(4x4) engine):
     * Winograd 1.1-1.3x faster than direct at reductions of 9 (C3D conv1: 3 channels x 3 taps), 16 and 32; depthwise
     * layers (reduction 1-3) keep their own path.
     */
    private static final int WINOGRAD_MIN_REDUCTION = 9;
    /** Input channels per group from which (3,1,1) convolutions run as Winograd over depth. */
    private static final int TEMPORAL_WINOGRAD_MIN_CHANNELS = 32;

    private final CpuThreads threads;
    private final ReferenceBackend reference = new ReferenceBackend();
    /** Whether Winograd runs at all, and whether F(4x4) may (else F(2x2) only). */
    private final boolean winograd;
    private final boolean winogradF4;

    /** The ServiceLoader constructor: threads from {@value CpuThreads#PROPERTY}, else every processor. */
    public CpuBackend() {
        this(CpuThreads.defaultThreads());
    }

    public CpuBackend(int threads) {
        String w = System.getProperty(WINOGRAD_PROPERTY, "true");
        if (!List.of("true", "f4", "f2", "false").contains(w)) {
            throw new IllegalArgumentException("-D" + WINOGRAD_PROPERTY + " must be true or f4 (F(4x4,3x3) where it"
                    + " pays, F(2x2,3x3) elsewhere; the default), f2 (F(2x2,3x3) only) or false (no Winograd), got '"
                    + w + "'");
        }
        this.winograd = !w.equals("false");
        this.winogradF4 = !w.equals("f2");
        this.threads = new CpuThreads(threads);
    }

    public int threads() {
        return threads.threads();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        if (spec.transposed()) {
            return new CpuConvTranspose(spec, weight, bias, threads);
        }
        if (winograd && CpuWinogradTemporal.supports(spec)
                && spec.inChannels() / spec.groups() >= TEMPORAL_WINOGRAD_MIN_CHANNELS) {
            return new CpuWinogradTemporal(spec, weight, bias, threads);
        }
        if (winograd && CpuWinograd.supports(spec)
                && spec.inChannels() / spec.groups() * spec.kernel().d() >= WINOGRAD_MIN_REDUCTION) {
            return new CpuWinograd(spec, weight, bias, threads, winogradF4);
        }
        return new CpuConv(spec, weight, bias, threads);
    }

    @Override
    public Tensor maxPool3d(PoolSpec spec, Tensor input) {
        return CpuPool.maxPool3d(spec, input, threads);
    }

    @Override
    public Tensor avgPool3d(PoolSpec spec, Tensor input) {
        return CpuPool.avgPool3d(spec, input, threads);
    }

    @Override
    public Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        return CpuPool.adaptiveAvgPool3d(input, outputSize, threads);
    }

    @Override
    public Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            double eps) {
        return CpuElementwise.batchNorm(input, runningMean, runningVar, weight, bias, eps, threads);
    }

    @Override
    public Tensor relu(Tensor input) {
        return CpuElementwise.relu(input);
    }

    @Override
    public Tensor sigmoid(Tensor input) {
        return CpuElementwise.sigmoid(input, false, threads);
    }

    @Override
    public Tensor swish(Tensor input) {
        return CpuElementwise.sigmoid(input, true, threads);
    }

    @Override
    public Tensor scaleChannels(Tensor x, Tensor scale, boolean swish) {
        return CpuElementwise.scaleChannels(x, scale, swish, threads);
    }

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        return CpuElementwise.linear(input, weight, bias, threads);
    }

    @Override
    public Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        return reference.pixelShuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        return reference.pixelUnshuffle(input, factor, spatialDims);
    }

    @Override
    public Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask) {
        return CpuDeform.deformConv3d(spec, input, offset, weight, bias, mask, threads);
    }

    /** Stops the worker threads (a ServiceLoader instance lives as long as the JVM and needs no close). */
    @Override
    public void close() {
        threads.close();
    }
}
