#!/usr/bin/env python3
"""Writes conv-kernels/.../backend/cpu/GemmKernel.java from tools/GemmKernel.java.template.

The micro-kernel keeps its MR*NV accumulators in local variables (an array of vectors would box them), so its body
is unrolled text; this script writes it. Run from the repository root: python3 tools/gen_gemm_kernel.py
"""
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
MR = 8   # rows (output channels) per tile: one broadcast each per k
NV = 3   # vectors per row: one load each per k
V = [f"v{j}" for j in range(NV)]
def acc(r, j):
    return f"c{r}_{j}"
def off(j):
    return "" if j == 0 else f" + {j} * L" if j > 1 else " + L"
decl = "\n".join("        FloatVector " + ", ".join(f"{acc(r, j)} = z" for j in range(NV)) + ";" for r in range(MR))
xloads = "\n".join(f"            FloatVector x{j} = FloatVector.fromArray(S, x, xo{off(j)});" for j in range(NV))
body = "\n".join(f"            w = FloatVector.broadcast(S, a[ao + {r}]);\n" + "\n".join(
    f"            {acc(r, j)} = w.fma(x{j}, {acc(r, j)});" for j in range(NV)) for r in range(MR))
addstore = "\n".join(f"            {acc(r, j)}.add(FloatVector.fromArray(S, c, cOff + {r} * ldc{off(j)})).intoArray(c, cOff + {r} * ldc{off(j)});"
                     for r in range(MR) for j in range(NV))
store = "\n".join(f"            {acc(r, j)}.intoArray(c, cOff + {r} * ldc{off(j)});" for r in range(MR) for j in range(NV))
rdecl = "\n".join(f"        FloatVector e{j} = z, o{j} = z;" for j in range(NV))
rbody0 = "\n".join(f"            e{j} = w.fma(FloatVector.fromArray(S, x, xo{off(j)}), e{j});" for j in range(NV))
rbody1 = "\n".join(f"            o{j} = w1.fma(FloatVector.fromArray(S, x, xo1{off(j)}), o{j});" for j in range(NV))
raddstore = "\n".join(f"            e{j}.add(o{j}).add(FloatVector.fromArray(S, c, cOff{off(j)})).intoArray(c, cOff{off(j)});" for j in range(NV))
rstore = "\n".join(f"            e{j}.add(o{j}).intoArray(c, cOff{off(j)});" for j in range(NV))
src = open('tools/GemmKernel.java.template').read()
for k, v in {'@MR@': str(MR), '@NV@': str(NV), '@NRF@': str(16 * NV), '@ACCS@': str(MR * NV), '@LOADS@': str(MR + NV),
             '@DECL@': decl, '@XLOADS@': xloads, '@BODY@': body, '@STORE@': store, '@ADDSTORE@': addstore,
             '@RDECL@': rdecl, '@RBODY0@': rbody0, '@RBODY1@': rbody1, '@RADDSTORE@': raddstore, '@RSTORE@': rstore}.items():
    src = src.replace(k, v)
open('conv-kernels/src/main/java/io/cubist/kernels/backend/cpu/GemmKernel.java', 'w').write(src)
