#!/usr/bin/env python3
"""Writes conv-kernels/.../backend/cpu/GemmKernel.java from tools/GemmKernel.java.template.

The micro-kernel keeps its MR*NV accumulators in local variables (an array of vectors would box them), so its body
is unrolled text; this script writes it, once per shape the engine picks from the processor's vector registers
(8 rows with 32 registers, 4 with 16). Run from the repository root: python3 tools/gen_gemm_kernel.py
"""
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
NV = 3   # vectors per row: one load each per k
SHAPES = [8, 4]  # rows (output channels) per tile: one broadcast each per k


def acc(r, j):
    return f"c{r}_{j}"


def off(j):
    return "" if j == 0 else f" + {j} * L" if j > 1 else " + L"


def shape(mr):
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
    private static void tile{mr}(float[] a, int aOff, float[] x, int[] offs, int k0, int k1, int n0, float[] c,
                              int cOff, int ldc, boolean accumulate) {{
        // accumulators start at zero and the old tile is added at the end: loading it under a condition would make
        // each accumulator a phi that C2 may keep boxed (measured 2-10x slower)
        FloatVector z = FloatVector.zero(S);
{decl}
        int ao = aOff;
        for (int k = k0; k < k1; k++, ao += {mr}) {{
            int xo = offs[k] + n0;
{xloads}
            FloatVector w;
{body}
        }}
{tail}
    /** {{@link #tilePanel}} with {mr} rows. */
    private static void tilePanel{mr}(float[] a, int aOff, float[] x, int start, int stride, int kCount, float[] c,
                                   int cOff, int ldc, boolean accumulate) {{
        FloatVector z = FloatVector.zero(S);
{decl}
        int ao = aOff;
        int xo = start;
        for (int k = 0; k < kCount; k++, ao += {mr}, xo += stride) {{
{xloads}
            FloatVector w;
{body}
        }}
{tail}"""


rdecl = "\n".join(f"        FloatVector e{j} = z, o{j} = z;" for j in range(NV))
rbody0 = "\n".join(f"            e{j} = w.fma(FloatVector.fromArray(S, x, xo{off(j)}), e{j});" for j in range(NV))
rbody1 = "\n".join(f"            o{j} = w1.fma(FloatVector.fromArray(S, x, xo1{off(j)}), o{j});" for j in range(NV))
raddstore = "\n".join(f"            e{j}.add(o{j}).add(FloatVector.fromArray(S, c, cOff{off(j)})).intoArray(c, cOff{off(j)});"
                      for j in range(NV))
rstore = "\n".join(f"            e{j}.add(o{j}).intoArray(c, cOff{off(j)});" for j in range(NV))
src = open('tools/GemmKernel.java.template').read()
for k, v in {'@NV@': str(NV), '@NRF@': str(16 * NV), '@SHAPES@': "\n".join(shape(m) for m in SHAPES).rstrip("\n"),
             '@RDECL@': rdecl, '@RBODY0@': rbody0, '@RBODY1@': rbody1, '@RADDSTORE@': raddstore,
             '@RSTORE@': rstore}.items():
    src = src.replace(k, v)
open('conv-kernels/src/main/java/io/cubist/kernels/backend/cpu/GemmKernel.java', 'w').write(src)
