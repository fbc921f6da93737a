#!/usr/bin/env python3
"""Writes conv-kernels/.../backend/cpu/WinogradTransforms.java: the input and output transforms of Winograd
F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), over L
consecutive tiles with the Vector API and one tile at a time for the tails.

Vectors held in locals, never arrays (arrays of vectors stay boxed objects), so the bodies are unrolled text: this
script writes them from the transform matrices, skipping zero coefficients. Run from the repository root:
python3 tools/gen_winograd.py
"""
import os
from fractions import Fraction as F

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

# B^T (a x a), G (a x 3), A^T (m x a); F(4,3) with the points 0, 1, -1, 2, -2 and infinity
MATS = {
    2: ([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [F(1, 2), F(1, 2), F(1, 2)], [F(1, 2), F(-1, 2), F(1, 2)], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]]),
    4: ([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
         [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        [[F(1, 4), 0, 0], [F(-1, 6), F(-1, 6), F(-1, 6)], [F(-1, 6), F(1, 6), F(-1, 6)],
         [F(1, 24), F(1, 12), F(1, 6)], [F(1, 24), F(-1, 12), F(1, 6)], [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]),
}


def const_name(c):
    c = F(c)
    s = str(abs(c.numerator)) + ('' if c.denominator == 1 else 'd' + str(c.denominator))
    return ('km' if c < 0 else 'k') + s


def lin(terms, vec, consts):
    """sum of c * x over (c, x); vec: vector code or scalar code."""
    out = None
    # a positive term first: x - y rather than -y + x
    terms = sorted(terms, key=lambda t: F(t[0]) <= 0)
    for c, x in terms:
        c = F(c)
        if c == 0:
            continue
        if out is None:
            if c == 1:
                out = x
            elif c == -1:
                out = f"{x}.neg()" if vec else f"-{x}"
            else:
                consts.add(c)
                out = f"{x}.mul({const_name(c)})" if vec else f"{x} * {const_name(c)}"
        else:
            if c == 1:
                out = f"{out}.add({x})" if vec else f"{out} + {x}"
            elif c == -1:
                out = f"{out}.sub({x})" if vec else f"{out} - {x}"
            else:
                consts.add(c)
                out = f"{x}.fma({const_name(c)}, {out})" if vec else f"Math.fma({x}, {const_name(c)}, {out})"
    return out if out is not None else ("FloatVector.zero(S)" if vec else "0f")


def consts_decl(consts, vec, ind):
    lines = []
    for c in sorted(consts):
        v = f"{float(c)!r}f" if F(c).denominator == 1 else f"(float) ({c.numerator}.0 / {c.denominator})"
        lines.append(f"{ind}{'FloatVector' if vec else 'float'} {const_name(c)} = "
                     + (f"FloatVector.broadcast(S, {v});" if vec else f"{v};"))
    return lines


def input_transform_scalar(m, vec=False):
    BT, _, _ = MATS[m]
    a = m + 2
    T = 'FloatVector' if vec else 'float'
    name = f"input{m}" + ('' if vec else 'Tile')
    body = []
    consts = set()
    for k in range(a):
        for j in range(a):
            src = f"at + {k * a + j} * stride"
            body.append(f"        {T} d{k}{j} = " + (f"FloatVector.fromArray(S, d, {src});" if vec else f"d[{src}];"))
    for i in range(a):
        for j in range(a):
            body.append(f"        {T} t{i}{j} = {lin([(BT[i][k], f'd{k}{j}') for k in range(a)], vec, consts)};")
    for i in range(a):
        for l in range(a):
            e = lin([(BT[l][j], f't{i}{j}') for j in range(a)], vec, consts)
            dst = f"{i * a + l} * xiStride + o"
            body.append(f"        {e}.intoArray(v, {dst});" if vec else f"        v[{dst}] = {e};")
    doc = (f"    /**\n     * {'L consecutive tiles' if vec else 'One tile'} of F({m}x{m}, 3x3): {{@code V = B^T d B}}, "
           f"{{@code d_ij}} at\n     * {{@code d[at + ({a}i + j) * stride]}}, {{@code V_il}} to {{@code v[({a}i + l) * xiStride + o]}}.\n     */")
    return "\n".join([doc, f"    static void {name}(float[] d, int at, int stride, float[] v, int xiStride, int o) {{"]
                     + consts_decl(consts, vec, "        ") + body + ["    }"])


def output_transform_scalar(m, vec=False):
    _, _, AT = MATS[m]
    a = m + 2
    T = 'FloatVector' if vec else 'float'
    name = f"output{m}" + ('' if vec else 'Tile')
    body = []
    consts = set()
    for k in range(a):
        for j in range(a):
            src = f"{k * a + j} * xiStride + src"
            body.append(f"        {T} m{k}{j} = " + (f"FloatVector.fromArray(S, acc, {src});" if vec else f"acc[{src}];"))
    for i in range(m):
        for j in range(a):
            body.append(f"        {T} s{i}{j} = {lin([(AT[i][k], f'm{k}{j}') for k in range(a)], vec, consts)};")
    if vec:
        body.append("        FloatVector bv = FloatVector.broadcast(S, bias);")
        body.append("        FloatVector z = FloatVector.zero(S);")
    for i in range(m):
        for l in range(m):
            e = lin([(AT[l][j], f's{i}{j}') for j in range(a)], vec, consts)
            dst = f"{i * m + l} * ldq + f"
            if vec:
                body.append(f"        {T} y{i}{l} = {e}.add(bv);")
                body.append(f"        (relu ? y{i}{l}.max(z) : y{i}{l}).intoArray(q, {dst});")
            else:
                body.append(f"        {T} y{i}{l} = {e} + bias;")
                body.append(f"        q[{dst}] = relu ? Math.max(y{i}{l}, 0f) : y{i}{l};")
    doc = (f"    /**\n     * {'L consecutive tiles' if vec else 'One tile'} of F({m}x{m}, 3x3): {{@code Y = A^T M A + bias}}, ReLU'd if "
           f"asked;\n     * {{@code M_kj}} at {{@code acc[({a}k + j) * xiStride + src]}}, {{@code Y_il}} to "
           f"{{@code q[({m}i + l) * ldq + f]}}.\n     */")
    return "\n".join([doc, f"    static void {name}(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q,\n"
                           f"                        int f, int ldq) {{"] + consts_decl(consts, vec, "        ") + body + ["    }"])


def transform_1d(name, mat, doc, out_extra=False):
    """dst_i = sum_k mat[i][k] * src_k over L lanes: len(mat[0]) vectors in, len(mat) out."""
    n_in, n_out = len(mat[0]), len(mat)
    consts = set()
    body = [f"        FloatVector s{k} = FloatVector.fromArray(S, s, sOff + {k} * sStep);" for k in range(n_in)]
    for i in range(n_out):
        e = lin([(mat[i][k], f"s{k}") for k in range(n_in)], True, consts)
        if out_extra:
            body.append(f"        FloatVector r{i} = {e}.add(bv);")
            body.append(f"        (relu ? r{i}.max(z) : r{i}).intoArray(d, dOff + {i} * dStep);")
        else:
            body.append(f"        {e}.intoArray(d, dOff + {i} * dStep);")
    params = "float[] s, int sOff, int sStep, float[] d, int dOff, int dStep" + (", float bias, boolean relu" if out_extra else "")
    head = [f"    /** {doc} */", f"    static void {name}({params}) {{"]
    extra = ["        FloatVector bv = FloatVector.broadcast(S, bias);", "        FloatVector z = FloatVector.zero(S);"] if out_extra else []
    return "\n".join(head + consts_decl(consts, True, "        ") + extra + body + ["    }"])


def input_transform(m):
    BT, _, _ = MATS[m]
    a = m + 2
    return f"""    /**
     * L consecutive tiles of F({m}x{m}, 3x3): {{@code V = B^T d B}}, {{@code d_ij}} at {{@code d[at + ({a}i + j) * stride]}},
     * {{@code V_il}} to {{@code v[({a}i + l) * xiStride + o]}}. Two passes of the 1D transform through a per-thread buffer
     * (columns, then rows): one method holding all {a * a} vectors was too large for C2 to keep its vector operations
     * intrinsic (measured 10x slower).
     */
    static void input{m}(float[] d, int at, int stride, float[] v, int xiStride, int o) {{
        float[] t = TMP.get();
        for (int j = 0; j < {a}; j++) {{
            bt{m}(d, at + j * stride, {a} * stride, t, j * L, {a} * L);
        }}
        for (int i = 0; i < {a}; i++) {{
            bt{m}(t, {a} * i * L, L, v, {a} * i * xiStride + o, xiStride);
        }}
    }}"""


def output_transform(m):
    _, _, AT = MATS[m]
    a = m + 2
    return f"""    /**
     * L consecutive tiles of F({m}x{m}, 3x3): {{@code Y = A^T M A + bias}}, ReLU'd if asked; {{@code M_kj}} at
     * {{@code acc[({a}k + j) * xiStride + src]}}, {{@code Y_il}} to {{@code q[({m}i + l) * ldq + f]}}. Two passes, as
     * {{@link #input{m}}}.
     */
    static void output{m}(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q, int f, int ldq) {{
        float[] t = TMP.get();
        for (int j = 0; j < {a}; j++) {{
            at{m}(acc, j * xiStride + src, {a} * xiStride, t, j * L, {a} * L);
        }}
        for (int i = 0; i < {m}; i++) {{
            at{m}Out(t, {a} * i * L, L, q, {m} * i * ldq + f, ldq, bias, relu);
        }}
    }}"""
def matrix(rows):
    return "{\n" + ",\n".join("        {" + ", ".join(f"{float(F(c))!r}" for c in r) + "}" for r in rows) + "}"


parts = []
for m in (2, 4):
    BT, _, AT = MATS[m]
    parts += [input_transform(m), input_transform_scalar(m), output_transform(m), output_transform_scalar(m),
              transform_1d(f"bt{m}", BT, f"{{@code d[dOff + i * dStep] = sum_k B^T[i][k] s[sOff + k * sStep]}}, L lanes, F({m}x{m})."),
              transform_1d(f"at{m}", AT, f"{{@code d[dOff + i * dStep] = sum_k A^T[i][k] s[sOff + k * sStep]}}, L lanes, F({m}x{m})."),
              transform_1d(f"at{m}Out", AT, f"As {{@link #at{m}}}, plus bias, and ReLU if asked.", True)]
gdecl = "\n".join(f"    /** G of F({m}x{m}, 3x3), {m + 2} x 3: the weight transform {{@code U = G g G^T}}. */\n"
                  f"    static final double[][] G{m} = {matrix(MATS[m][1])};" for m in (2, 4))
src = f"""package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transforms of Winograd F(2x2, 3x3) and F(4x4, 3x3) for {{@link CpuWinograd}}, written by
 * {{@code tools/gen_winograd.py}} from the transform matrices (Lavin and Gray 2016; F(4x4) on the points 0, 1, -1, 2,
 * -2): vector forms over {{@code L}} consecutive tiles, scalar forms with the same arithmetic for the tails. Do not edit;
 * change the script.
 */
final class WinogradTransforms {{
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Each thread's intermediate {{@code (m+2)^2 x L}} floats between the two passes. */
    private static final ThreadLocal<float[]> TMP = ThreadLocal.withInitial(() -> new float[36 * L]);

{gdecl}

    private WinogradTransforms() {{
    }}

""" + "\n\n".join(parts) + "\n}\n"
open('conv-kernels/src/main/java/io/cubist/kernels/backend/cpu/WinogradTransforms.java', 'w').write(src)
