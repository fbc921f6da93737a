#!/usr/bin/env python3
"""Writes conv-kernels/.../backend/cpu/GemmKernel.java from tools/GemmKernel.java.template.

The micro-kernel keeps its MR*NV accumulators in local variables (an array of vectors would box them), so its body
is unrolled text; this script writes it, once per shape the engine picks from the processor's vector registers
(8 rows x 3 vectors with 32 registers, 6 x 2 with 16). Run from the repository root:
python3 tools/gen_gemm_kernel.py
"""
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
# (rows, vectors per row): a broadcast per row and a load per vector each k
SHAPES = [(8, 3), (6, 2)]


def acc(r, j):
    return f"c{r}_{j}"


def off(j):
    return "" if j == 0 else f" + {j} * L" if j > 1 else " + L"


def shape(mr, NV):
    decl = "\n".join("        FloatVector " + ", ".join(f"{acc(r, j)} = z" for j in range(NV)) + ";" for r in range(mr))
    xloads = "\n".join(f"            FloatVector x{j} = FloatVector.fromArray(S, x, xo{off(j)});" for j in range(NV))
    body = "\n".join(f"            w = FloatVector.broadcast(S, a[ao + {r}]);\n" + "\n".join(
        f"            {acc(r, j)} = w.fma(x{j}, {acc(r, j)});" for j in range(NV)) for r in range(mr))
    addstore = "\n".join(f"            {acc(r, j)}.add(FloatVector.fromArray(S, c, cOff + {r} * ldc{off(j)}))"
                         f".intoArray(c, cOff + {r} * ldc{off(j)});" for r in range(mr) for j in range(NV))
    store = "\n".join(f"            {acc(r, j)}.intoArray(c, cOff + {r} * ldc{off(j)});"
                      for r in range(mr) for j in range(NV))
    tail = f"""        if (accumulate) {{
{addstore}
        }} else {{
{store}
        }}
    }}
"""
    return f"""    /** {{@link #tile}} with {mr} rows. */
    static void tile{mr}(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {{
        // accumulators start at zero and the old tile is added at the end: loading it under a condition would make
        // each accumulator a phi that C2 may keep boxed (measured 2-10x slower)
        FloatVector z = FloatVector.zero(S);
{decl}
        // indices from k itself, not stepped beside it: with the Vector API's bounds checks off C2 addresses a
        // stepped index far worse (measured 60-65 against 80-93 GFLOP/s on one AVX2 core)
        int aBase = aOff - k0 * {mr};
        for (int k = k0; k < k1; k++) {{
            int ao = aBase + k * {mr};
            int xo = offs[k] + n0;
{xloads}
            FloatVector w;
{body}
        }}
{tail}
    /** {{@link #tilePanel}} with {mr} rows. */
    static void tilePanel{mr}(float[] a, int aOff, float[] x, int start, int kCount, float[] c, int cOff, int ldc,
                                   boolean accumulate) {{
        FloatVector z = FloatVector.zero(S);
{decl}
        for (int k = 0; k < kCount; k++) {{
            int ao = aOff + k * {mr};
            int xo = start + k * ({NV} * L);
{xloads}
            FloatVector w;
{body}
        }}
{tail}"""


def row(NV):
    rdecl = "\n".join(f"        FloatVector e{j} = z, o{j} = z;" for j in range(NV))
    rbody0 = "\n".join(f"            e{j} = w.fma(FloatVector.fromArray(S, x, xo{off(j)}), e{j});" for j in range(NV))
    rbody1 = "\n".join(f"            o{j} = w1.fma(FloatVector.fromArray(S, x, xo1{off(j)}), o{j});" for j in range(NV))
    raddstore = "\n".join(f"            e{j}.add(o{j}).add(FloatVector.fromArray(S, c, cOff{off(j)})).intoArray(c, cOff{off(j)});"
                          for j in range(NV))
    rstore = "\n".join(f"            e{j}.add(o{j}).intoArray(c, cOff{off(j)});" for j in range(NV))
    return f"""    /** {{@link #row}} with {NV} vectors. */
    static void row{NV}(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c, int cOff,
                     boolean accumulate) {{
        FloatVector z = FloatVector.zero(S);
{rdecl}
        int k = k0;
        int ao = aOff;
        for (; k + 1 < k1; k += 2, ao += 2 * MR) {{
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
{rbody0}
            int xo1 = offs[k + 1] + n0;
            FloatVector w1 = FloatVector.broadcast(S, a[ao + MR]);
{rbody1}
        }}
        if (k < k1) {{
            int xo = offs[k] + n0;
            FloatVector w = FloatVector.broadcast(S, a[ao]);
{rbody0}
        }}
        if (accumulate) {{
{raddstore}
        }} else {{
{rstore}
        }}
    }}
"""


src = open('tools/GemmKernel.java.template').read()
kernels = "\n".join(shape(m, nv) for m, nv in SHAPES) + "\n" + "\n".join(row(nv) for _, nv in SHAPES)
for k, v in {'@SHAPES@': kernels.rstrip("\n")}.items():
    src = src.replace(k, v)
open('conv-kernels/src/main/java/io/cubist/kernels/backend/cpu/GemmKernel.java', 'w').write(src)
