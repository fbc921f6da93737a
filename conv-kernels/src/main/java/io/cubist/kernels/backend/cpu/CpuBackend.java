package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.backend.reference.ReferenceOps;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.List;

/**
 * The {@code cpu} backend: JDK Vector API kernels on a fixed thread budget ({@link CpuThreads}). Convolutions run
 * as an implicit GEMM with a register-blocked FMA micro-kernel ({@link GemmKernel}); ops without a fast path yet
 * run the reference loops.
 */
public final class CpuBackend implements Backend, AutoCloseable {
    public static final String NAME = "cpu";
    /**
     * Engine option: which Winograd engines run: {@code true} (the default: F(4x4,3x3) where it pays, F(2x2,3x3)
     * elsewhere) or {@code f4}, {@code f2} (F(2x2) only), {@code false} (direct only).
     */
    public static final String WINOGRAD = "winograd";
    /** Engine option: {@code true} (the default) packs panels of B in GEMMs, {@code false} reads the input as is. */
    public static final String PACK = "pack";
    /** The options and their allowed values, the default first. */
    public static final java.util.Map<String, List<String>> OPTIONS = java.util.Map.of(
            WINOGRAD, List.of("true", "f4", "f2", "false"), PACK, List.of("true", "false"));
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
    /** Whether Winograd runs at all, and whether F(4x4) may (else F(2x2) only). */
    private final boolean winograd;
    private final boolean winogradF4;

    /** {@code threads} workers, default options. */
    public CpuBackend(int threads) {
        this(threads, java.util.Map.of());
    }

    /**
     * {@code threads} workers and {@code options} ({@link #OPTIONS}; missing ones take their default), as
     * {@link io.cubist.kernels.backend.Backends#open} validated them.
     */
    public CpuBackend(int threads, java.util.Map<String, String> options) {
        String w = options.getOrDefault(WINOGRAD, "true");
        String p = options.getOrDefault(PACK, "true");
        if (!OPTIONS.get(WINOGRAD).contains(w) || !OPTIONS.get(PACK).contains(p)) {
            throw new IllegalArgumentException("cpu engine options: winograd=" + String.join("|",
                    OPTIONS.get(WINOGRAD)) + ", pack=" + String.join("|", OPTIONS.get(PACK)) + "; got " + options);
        }
        this.winograd = !w.equals("false");
        this.winogradF4 = !w.equals("f2");
        this.threads = new CpuThreads(threads, p.equals("true"));
    }

    public int threads() {
        return threads.threads();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String describe() {
        return NAME + " (" + threads.threads() + " threads)";
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
    public PreparedOp prepare(OpSpec spec) {
        if (spec instanceof OpSpec.MaxPool m) {
            return in -> CpuPool.maxPool3d(m.pool(), OpShapes.one(spec, in), threads);
        }
        if (spec instanceof OpSpec.AvgPool a) {
            return in -> CpuPool.avgPool3d(a.pool(), OpShapes.one(spec, in), threads);
        }
        if (spec instanceof OpSpec.AdaptiveAvgPool a) {
            return in -> CpuPool.adaptiveAvgPool3d(OpShapes.one(spec, in), a.size(), threads);
        }
        if (spec instanceof OpSpec.BatchNorm b) {
            return in -> CpuElementwise.batchNorm(OpShapes.one(spec, in), b.runningMean(), b.runningVar(),
                    b.weight(), b.bias(), b.eps(), threads);
        }
        if (spec instanceof OpSpec.Pointwise p) {
            return switch (p.function()) {
                case RELU -> in -> CpuElementwise.relu(OpShapes.one(spec, in));
                case SIGMOID -> in -> CpuElementwise.sigmoid(OpShapes.one(spec, in), false, threads);
                case SWISH -> in -> CpuElementwise.sigmoid(OpShapes.one(spec, in), true, threads);
            };
        }
        if (spec instanceof OpSpec.ScaleChannels s) {
            return in -> {
                OpShapes.arity(spec, in);
                return CpuElementwise.scaleChannels(in[0], in[1], s.swish(), threads);
            };
        }
        if (spec instanceof OpSpec.Linear l) {
            return in -> CpuElementwise.linear(OpShapes.one(spec, in), l.weight(), l.bias(), threads);
        }
        if (spec instanceof OpSpec.Deform d) {
            return in -> {
                OpShapes.arity(spec, in);
                return CpuDeform.deformConv3d(d.spec(), in[0], in[1], d.weight(), d.bias(), in[2], threads);
            };
        }
        return ReferenceOps.prepare(spec);
    }

    /** Stops the worker threads (a ServiceLoader instance lives as long as the JVM and needs no close). */
    @Override
    public void close() {
        threads.close();
    }
}
