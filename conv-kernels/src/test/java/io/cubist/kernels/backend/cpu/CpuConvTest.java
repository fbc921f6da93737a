package io.cubist.kernels.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CPU convolution against the reference on random shapes: sizes of 1, primes, tails shorter than a vector. */
class CpuConvTest {

    private static void compare(ConvSpec spec, int batch, int[] in, long seed, CpuBackend cpu) {
        Tensor w = Tensor.random(seed, spec.weightShape());
        Tensor b = spec.bias() ? Tensor.random(seed + 1, spec.outChannels()) : null;
        int[] shape = new int[spec.spatialDims() + 2];
        shape[0] = batch;
        shape[1] = spec.inChannels();
        System.arraycopy(in, 0, shape, 2, spec.spatialDims());
        Tensor x = Tensor.random(seed + 2, shape);
        Tensor expected = new ReferenceConv(spec, w, b).forward(x);
        Tensor actual = cpu.prepare(spec, w, b).forward(x);
        double err = expected.maxAbsDiff(actual);
        double tol = 2e-4 * Math.max(1, expected.maxAbs());
        assertTrue(err <= tol, spec + " on " + java.util.Arrays.toString(shape) + ": max error " + err + " > " + tol);
    }

    @Test
    void pointwiseReadsItsInputInPlace() {
        // 1x1x1 at stride 1 without padding packs B straight from the input: volumes that are no multiple of the
        // micro-tile's width make the last channel's last tile run past the input's end (a short tail)
        try (CpuBackend cpu = new CpuBackend(2)) {
            int[][] volumes = {{3, 7, 5}, {1, 1, 1}, {2, 9, 13}, {4, 14, 14}};
            for (int[] in : volumes) {
                for (int g : new int[] {1, 2}) {
                    for (int cout : new int[] {8, 30}) {
                        ConvSpec spec = ConvSpec.builder(3, 6 * g, cout * g, 1, 1, 1).groups(g).build();
                        compare(spec, 1 + (in[0] % 2), in, 41 + cout, cpu);
                    }
                }
            }
            // and with the fused residual and ReLU
            ConvSpec spec = ConvSpec.builder(3, 5, 12, 1, 1, 1).build();
            Tensor w = Tensor.random(3, spec.weightShape());
            Tensor b = Tensor.random(4, 12);
            Tensor x = Tensor.random(5, 2, 5, 3, 7, 5);
            Tensor res = Tensor.random(6, 2, 12, 3, 7, 5);
            Tensor expected = new ReferenceConv(spec, w, b).forward(x, res, true);
            Tensor actual = cpu.prepare(spec, w, b).forward(x, res, true);
            assertTrue(expected.maxAbsDiff(actual) <= 1e-4, "max error " + expected.maxAbsDiff(actual));
        }
    }

    @Test
    void randomShapesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(11);
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (int t = 0; t < 150; t++) {
                int dims = 1 + r.nextInt(3);
                int g = new int[] {1, 1, 2, 3}[r.nextInt(4)];
                int cin = g * (1 + r.nextInt(5));
                int cout = g * (1 + r.nextInt(r.nextBoolean() ? 4 : 29));
                int[] k = new int[dims];
                int[] s = new int[dims];
                int[] d = new int[dims];
                int[] p = new int[dims];
                int[] in = new int[dims];
                for (int a = 0; a < dims; a++) {
                    k[a] = 1 + r.nextInt(4);
                    s[a] = 1 + r.nextInt(3);
                    d[a] = 1 + r.nextInt(2);
                    p[a] = r.nextInt(3);
                    in[a] = Math.max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]) + r.nextInt(dims == 3 ? 7 : 19);
                }
                PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
                ConvSpec.Builder sb = ConvSpec.builder(dims, cin, cout, k).stride(s).dilation(d).groups(g)
                        .bias(r.nextBoolean()).flip(r.nextInt(4) == 0).paddingMode(mode);
                if (r.nextInt(5) == 0) {
                    sb.stride(1).paddingSame();
                } else {
                    sb.padding(p);
                }
                ConvSpec spec = sb.build();
                try {
                    spec.checkPaddingFits(new io.cubist.kernels.tensor.Dims3(dims < 3 ? 1 : in[0],
                            dims < 2 ? 1 : in[dims - 2], in[dims - 1]));
                    spec.outputSize(new io.cubist.kernels.tensor.Dims3(dims < 3 ? 1 : in[0],
                            dims < 2 ? 1 : in[dims - 2], in[dims - 1]));
                } catch (IllegalArgumentException impossible) {
                    continue;
                }
                compare(spec, 1 + r.nextInt(2), in, t, cpu);
            }
        }
    }

    @Test
    void randomTransposedShapesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(12);
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (int t = 0; t < 120; t++) {
                int dims = 1 + r.nextInt(3);
                int g = new int[] {1, 1, 2, 3}[r.nextInt(4)];
                int cin = g * (1 + r.nextInt(5));
                int cout = g * (1 + r.nextInt(r.nextBoolean() ? 4 : 29));
                int[] k = new int[dims];
                int[] s = new int[dims];
                int[] d = new int[dims];
                int[] p = new int[dims];
                int[] op = new int[dims];
                int[] in = new int[dims];
                for (int a = 0; a < dims; a++) {
                    k[a] = 1 + r.nextInt(4);
                    s[a] = 1 + r.nextInt(3);
                    d[a] = 1 + r.nextInt(2);
                    p[a] = r.nextInt(2);
                    op[a] = r.nextInt(Math.max(s[a], d[a]));
                    in[a] = 1 + r.nextInt(dims == 3 ? 5 : 11);
                }
                ConvSpec spec = ConvSpec.builder(dims, cin, cout, k).stride(s).dilation(d).groups(g).padding(p)
                        .outputPadding(op).bias(r.nextBoolean()).flip(r.nextInt(4) == 0).transposed(true).build();
                try {
                    spec.outputSize(new io.cubist.kernels.tensor.Dims3(dims < 3 ? 1 : in[0],
                            dims < 2 ? 1 : in[dims - 2], in[dims - 1]));
                } catch (IllegalArgumentException impossible) {
                    continue;
                }
                compare(spec, 1 + r.nextInt(2), in, t, cpu);
            }
        }
    }

    @Test
    void winogradMatchesTheReference() {
        SplittableRandom r = new SplittableRandom(13);
        try (CpuThreads threads = new CpuThreads(2)) {
            for (int t = 0; t < 80; t++) {
                int g = 1 + r.nextInt(2);
                int cin = g * (1 + r.nextInt(6));
                int cout = g * (1 + r.nextInt(20));
                int kd = 1 + r.nextInt(3);
                int dd = 1 + r.nextInt(2);
                PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
                // every fourth case wide enough for whole vectors of tiles and of output columns (F(4x4): 16 columns)
                int[] in = {kd * dd + r.nextInt(3), 2 + r.nextInt(9), 2 + r.nextInt(t % 4 == 0 ? 45 : 12)};
                ConvSpec.Builder sb = ConvSpec.builder(3, cin, cout, kd, 3, 3).dilation(dd, 1, 1).groups(g)
                        .bias(r.nextBoolean()).flip(r.nextInt(4) == 0).paddingMode(mode);
                if (r.nextInt(4) == 0) {
                    sb.paddingSame();
                } else {
                    sb.padding(r.nextInt(2), Math.min(r.nextInt(3), in[1] - 1), Math.min(r.nextInt(3), in[2] - 1));
                }
                ConvSpec spec = sb.build();
                // the fused epilogue too: a residual added and ReLU applied after the output transform
                // odd cases keep to F(2x2) as the option winograd=f2 makes it, even ones may take F(4x4)
                boolean f4 = t % 2 == 0;
                checkEngine(spec, t, 1 + r.nextInt(2), in, r, (w, b) -> new CpuWinograd(spec, w, b, threads, f4));
            }
        }
    }

    @Test
    void aWinogradSettingNotAllowedIsRefusedNamingTheAllowedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> io.cubist.kernels.backend
                .Backends.open(io.cubist.kernels.backend.EngineRequest.of("cpu").withOption("winograd", "yes")));
        assertTrue(e.getMessage().contains("'yes'") && e.getMessage().contains("f2")
                && e.getMessage().contains("false"), e.getMessage());
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> io.cubist.kernels.backend
                .Backends.open(io.cubist.kernels.backend.EngineRequest.of("cpu").withOption("tiles=4")));
        assertTrue(u.getMessage().contains("unknown engine option 'tiles'")
                && u.getMessage().contains("winograd=true|f4|f2|false"), u.getMessage());
    }

    @Test
    void manyOutputChannelsSplitOverTasksMatchTheReference() {
        // 600 and 1030 output channels: more row blocks than one task takes, so tasks split them (with a last,
        // partial block); pointwise and 3x3x3, with bias, residual and ReLU
        try (CpuThreads threads = new CpuThreads(2)) {
            int seed = 0;
            for (int[] k : new int[][] {{1, 1, 1}, {3, 3, 3}}) {
                for (int cout : new int[] {600, 1030}) {
                    ConvSpec spec = ConvSpec.builder(3, 7, cout, k[0], k[1], k[2]).padding(k[0] / 2, k[1] / 2, k[2] / 2)
                            .bias(true).build();
                    Tensor w = Tensor.random(++seed, spec.weightShape());
                    Tensor b = Tensor.random(++seed, cout);
                    Tensor x = Tensor.random(++seed, 2, 7, 3, 5, 11);
                    Tensor expected = new ReferenceConv(spec, w, b).forward(x);
                    Tensor res = Tensor.random(++seed, expected.shape());
                    withEpilogue(expected, res, true);
                    Tensor actual = new CpuConv(spec, w, b, threads).forward(x, res, true);
                    double err = expected.maxAbsDiff(actual);
                    assertTrue(err <= 2e-4 * Math.max(1, expected.maxAbs()), spec + ": max error " + err);
                }
            }
        }
    }

    @Test
    void winogradInBatchSlicesMatchesTheReference() {
        // a budget so small that every batch item is a slice of its own: the input read, the output and residual
        // written at each item's offset
        long budget = CpuWinograd.vBudget;
        CpuWinograd.vBudget = 1;
        try (CpuThreads threads = new CpuThreads(2)) {
            int seed = 100;
            for (int[] k : new int[][] {{3, 3, 3}, {1, 3, 3}, {3, 1, 1}}) {
                ConvSpec spec = ConvSpec.builder(3, 6, 10, k[0], k[1], k[2]).padding(k[0] / 2, k[1] / 2, k[2] / 2)
                        .bias(true).build();
                Tensor w = Tensor.random(++seed, spec.weightShape());
                Tensor b = Tensor.random(++seed, 10);
                Tensor x = Tensor.random(++seed, 3, 6, 5, 9, 18);
                Tensor expected = new ReferenceConv(spec, w, b).forward(x);
                Tensor res = Tensor.random(++seed, expected.shape());
                withEpilogue(expected, res, true);
                CpuPreparedConv engine = k[1] == 3 ? new CpuWinograd(spec, w, b, threads)
                        : new CpuWinogradTemporal(spec, w, b, threads);
                Tensor actual = engine.forward(x, res, true);
                double err = expected.maxAbsDiff(actual);
                assertTrue(err <= 2e-4 * Math.max(1, expected.maxAbs()), spec + ": max error " + err);
            }
        } finally {
            CpuWinograd.vBudget = budget;
        }
    }

    @Test
    void temporalWinogradMatchesTheReference() {
        SplittableRandom r = new SplittableRandom(23);
        try (CpuThreads threads = new CpuThreads(2)) {
            for (int t = 0; t < 60; t++) {
                int g = 1 + r.nextInt(2);
                int cin = g * (1 + r.nextInt(9));
                int cout = g * (1 + r.nextInt(20));
                PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
                // depths from 1 to 10 (F(2) below 4 output planes, F(4) from 4), planes of 1 to 70 positions: whole
                // vectors and tails
                int[] in = {1 + r.nextInt(10), 1 + r.nextInt(7), 1 + r.nextInt(10)};
                ConvSpec.Builder sb = ConvSpec.builder(3, cin, cout, 3, 1, 1).groups(g).bias(r.nextBoolean())
                        .flip(r.nextInt(4) == 0).paddingMode(mode);
                if (r.nextInt(4) == 0) {
                    sb.paddingSame();
                } else {
                    sb.padding(Math.min(r.nextInt(3), in[0] - 1), 0, 0);
                }
                ConvSpec spec = sb.build();
                if (!CpuWinogradTemporal.supports(spec)) {
                    continue;
                }
                checkEngine(spec, t, 1 + r.nextInt(2), in, r, (w, b) -> new CpuWinogradTemporal(spec, w, b, threads));
            }
        }
    }

    /**
     * The depthwise convolutions the 3-height-tap kernel does not take, run on the phase grid: strided (X3D's
     * 3×3×3 at (1,2,2)), other heights (X3D's stem 5×1×1), dilated, every padding mode, true convolution.
     */
    @Test
    void stridedAndOtherDepthwiseShapesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(21);
        try (CpuBackend cpu = new CpuBackend(2)) {
            compare(ConvSpec.builder(3, 6, 6, 3, 3, 3).stride(1, 2, 2).padding(1).groups(6).bias(false).build(), 1,
                    new int[] {4, 11, 14}, 1, cpu);
            compare(ConvSpec.builder(3, 5, 5, 5, 1, 1).padding(2, 0, 0).groups(5).bias(true).build(), 2,
                    new int[] {6, 7, 9}, 2, cpu);
            for (int t = 0; t < 60; t++) {
                int c = 1 + r.nextInt(9);
                int[] k = {1 + r.nextInt(3), 1 + r.nextInt(5), 1 + r.nextInt(4)};
                int[] s = {1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3)};
                int[] dl = {1, 1 + r.nextInt(2), 1};
                PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
                int[] in = {k[0] + r.nextInt(4), 2 * k[1] + 1 + r.nextInt(9), k[2] + r.nextInt(30)};
                ConvSpec spec;
                try {
                    spec = ConvSpec.builder(3, c, c, k).stride(s).dilation(dl).groups(c)
                            .padding(r.nextInt(2), r.nextInt(2), Math.min(r.nextInt(2), in[2] - 1)).paddingMode(mode)
                            .bias(r.nextBoolean()).flip(r.nextInt(4) == 0).build();
                    new ReferenceConv(spec, Tensor.random(0, spec.weightShape()), spec.bias() ? Tensor.random(0, c)
                            : null).forward(Tensor.random(0, 1, c, in[0], in[1], in[2]));
                } catch (IllegalArgumentException impossible) {
                    continue;
                }
                compare(spec, 1 + r.nextInt(2), in, 100 + t, cpu);
            }
        }
    }

    @Test
    void depthwiseShapesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(14);
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (int t = 0; t < 60; t++) {
                int c = 1 + r.nextInt(9);
                int kd = 1 + r.nextInt(3);
                int kw = 1 + r.nextInt(4);
                PaddingMode mode = PaddingMode.values()[r.nextInt(4)];
                int[] in = {kd + r.nextInt(4), 3 + r.nextInt(11), kw + r.nextInt(40)};
                ConvSpec spec = ConvSpec.builder(3, c, c, kd, 3, kw).groups(c).padding(r.nextInt(2),
                        r.nextInt(2), Math.min(r.nextInt(2), in[2] - 1)).paddingMode(mode).bias(r.nextBoolean())
                        .flip(r.nextInt(4) == 0).build();
                try {
                    new ReferenceConv(spec, Tensor.random(0, spec.weightShape()), spec.bias() ? Tensor.random(0, c)
                            : null).forward(Tensor.random(0, 1, c, in[0], in[1], in[2]));
                } catch (IllegalArgumentException impossible) {
                    continue;
                }
                compare(spec, 1 + r.nextInt(2), in, t, cpu);
            }
        }
    }

    /** A micro-kernel of one shape: the offset-table and the packed-panel forms. */
    private interface TileForm {
        void run(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff, int ldc,
                 boolean accumulate);
    }

    private interface PanelForm {
        void run(float[] a, int aOff, float[] x, int start, int kCount, float[] c, int cOff, int ldc,
                 boolean accumulate);
    }

    @Test
    void microKernelsEqualTheirPlainLoops() {
        SplittableRandom r = new SplittableRandom(15);
        float[] x = Tensor.random(1, 4096).data();
        float[] w = Tensor.random(2, 64 * 8).data();
        int[] offs = new int[64];
        for (int k = 0; k < offs.length; k++) {
            offs[k] = r.nextInt(2048);
        }
        // both shapes whatever this processor picks: 8 x 3 vectors (32 registers) and 6 x 2 (16)
        int[][] shapes = {{8, 3}, {6, 2}};
        TileForm[] tiles = {GemmKernel::tile8, GemmKernel::tile6};
        PanelForm[] panels = {GemmKernel::tilePanel8, GemmKernel::tilePanel6};
        for (int s = 0; s < shapes.length; s++) {
            int mr = shapes[s][0];
            int nr = shapes[s][1] * GemmKernel.L;
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] fast = Tensor.random(3, mr * nr).data();
                float[] slow = fast.clone();
                tiles[s].run(w, 5, x, offs, 3, 61, 7, fast, 0, nr, accumulate);
                GemmKernel.tileReference(mr, nr, w, 5, x, offs, 3, 61, 7, slow, 0, nr, accumulate);
                for (int i = 0; i < fast.length; i++) {
                    assertTrue(Math.abs(fast[i] - slow[i]) <= 1e-4, mr + "x" + nr + " tile element " + i);
                }
                // the packed micro-panel form: rows at start + k * nr
                int[] rows = new int[64];
                for (int k = 0; k < rows.length; k++) {
                    rows[k] = 9 + (k - 3) * nr;
                }
                float[] panel = Tensor.random(4, mr * nr).data();
                float[] panelSlow = panel.clone();
                panels[s].run(w, 5, x, 9 + 7, 58, panel, 0, nr, accumulate);
                GemmKernel.tileReference(mr, nr, w, 5, x, rows, 3, 61, 7, panelSlow, 0, nr, accumulate);
                for (int i = 0; i < panel.length; i++) {
                    assertTrue(Math.abs(panel[i] - panelSlow[i]) <= 1e-4, mr + "x" + nr + " tilePanel element " + i);
                }
            }
        }
        // the thin-problem rows of both widths: row 0 of a tile whose A rows are MR apart
        for (int nv : new int[] {3, 2}) {
            int nr = nv * GemmKernel.L;
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] fast = Tensor.random(5, nr).data();
                float[] slow = fast.clone();
                if (nv == 3) {
                    GemmKernel.row3(w, 5, x, offs, 3, 61, 7, fast, 0, accumulate);
                } else {
                    GemmKernel.row2(w, 5, x, offs, 3, 61, 7, fast, 0, accumulate);
                }
                for (int j = 0; j < nr; j++) {
                    float acc = accumulate ? slow[j] : 0f;
                    for (int k = 3; k < 61; k++) {
                        acc = Math.fma(w[5 + (k - 3) * GemmKernel.MR], x[offs[k] + 7 + j], acc);
                    }
                    assertTrue(Math.abs(fast[j] - acc) <= 1e-4, nv + "-vector row element " + j);
                }
            }
        }
        float[] fast = new float[DepthwiseKernel.ROWS * DepthwiseKernel.WIDTH];
        float[] slow = fast.clone();
        DepthwiseKernel.block(x, 11, 40, 300, 3, 3, w, 2, fast);
        DepthwiseKernel.blockReference(x, 11, 40, 300, 3, 3, w, 2, slow);
        for (int i = 0; i < fast.length; i++) {
            assertTrue(Math.abs(fast[i] - slow[i]) <= 1e-4, "depthwise element " + i);
        }
    }

    @Test
    void fusedResidualAndRelu() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (boolean transposed : new boolean[] {false, true}) {
                ConvSpec spec = ConvSpec.builder(3, 6, 14, 3).padding(1).transposed(transposed).build();
                Tensor w = Tensor.random(1, spec.weightShape());
                Tensor b = Tensor.random(2, 14);
                Tensor x = Tensor.random(3, 2, 6, 3, 5, 7);
                Tensor y = new ReferenceConv(spec, w, b).forward(x);
                Tensor res = Tensor.random(4, y.shape());
                float[] e = y.data();
                for (int i = 0; i < e.length; i++) {
                    e[i] = Math.max(0f, e[i] + res.data()[i]);
                }
                Tensor got = cpu.prepare(spec, w, b).forward(x, res, true);
                double err = y.maxAbsDiff(got);
                assertTrue(err <= 1e-4, spec + " fused: max error " + err);
            }
        }
    }

    @Test
    void modelShapedLayers() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            compare(ConvSpec.builder(3, 3, 64, 3).padding(1).build(), 1, new int[] {4, 17, 19}, 1, cpu);
            compare(ConvSpec.builder(3, 16, 36, 1, 3, 3).padding(0, 1, 1).build(), 2, new int[] {3, 9, 9}, 2, cpu);
            compare(ConvSpec.builder(3, 36, 16, 3, 1, 1).padding(1, 0, 0).stride(2, 1, 1).build(), 1,
                    new int[] {5, 7, 7}, 3, cpu);
            compare(ConvSpec.builder(3, 32, 64, 1).stride(2).bias(false).build(), 1, new int[] {4, 14, 14}, 4, cpu);
            compare(ConvSpec.builder(3, 3, 45, 1, 7, 7).stride(1, 2, 2).padding(0, 3, 3).build(), 1,
                    new int[] {2, 23, 23}, 5, cpu);
            compare(ConvSpec.builder(3, 64, 32, 2).stride(2).transposed(true).build(), 1, new int[] {3, 7, 7}, 6, cpu);
        }
    }

    /**
     * Checks one engine on {@code spec} against the reference: random weights, bias and a batch of {@code in}-sized
     * inputs from {@code seed}, a residual and ReLU each half the time. Specs PyTorch would reject are skipped.
     */
    private static void checkEngine(ConvSpec spec, int seed, int batch, int[] in, SplittableRandom r,
                                    java.util.function.BiFunction<Tensor, Tensor, CpuPreparedConv> engine) {
        Tensor w = Tensor.random(seed, spec.weightShape());
        Tensor b = spec.bias() ? Tensor.random(seed + 1, spec.outChannels()) : null;
        Tensor x = Tensor.random(seed + 2, batch, spec.inChannels(), in[0], in[1], in[2]);
        Tensor expected;
        try {
            expected = new ReferenceConv(spec, w, b).forward(x);
        } catch (IllegalArgumentException impossible) {
            return;
        }
        Tensor res = r.nextBoolean() ? Tensor.random(seed + 3, expected.shape()) : null;
        boolean relu = r.nextBoolean();
        withEpilogue(expected, res, relu);
        CpuPreparedConv prepared = engine.apply(w, b);
        Tensor actual = prepared.forward(x, res, relu);
        double err = expected.maxAbsDiff(actual);
        double tol = 2e-4 * Math.max(1, expected.maxAbs());
        assertTrue(err <= tol, prepared.getClass().getSimpleName() + " " + spec + " on "
                + java.util.Arrays.toString(x.shape()) + ": max error " + err + " > " + tol);
    }

    /** What the fused epilogue makes of a plain convolution's output: {@code relu?(y + residual)}, in place. */
    private static void withEpilogue(Tensor y, Tensor residual, boolean relu) {
        float[] e = y.data();
        for (int i = 0; i < e.length; i++) {
            float val = e[i] + (residual == null ? 0f : residual.data()[i]);
            e[i] = relu && val < 0f ? 0f : val;
        }
    }
}
