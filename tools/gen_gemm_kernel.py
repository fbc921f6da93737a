#!/usr/bin/env python3
"""Writes conv-kernels/.../backend/cpu/GemmKernel.java from tools/GemmKernel.java.template.

The micro-kernel keeps its 2*MR accumulators in local variables (an array of vectors would box them), so its body
is unrolled text; this script writes it. Run from the repository root: python3 tools/gen_gemm_kernel.py
"""
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
MR=12
decl = "\n".join(f"        FloatVector a{r} = z, b{r} = z;" for r in range(MR))
body = "\n".join(f"            w = FloatVector.broadcast(S, a[ao + {r}]);\n            a{r} = w.fma(x0, a{r});\n            b{r} = w.fma(x1, b{r});" for r in range(MR))
addstore = "\n".join(f"            a{r}.add(FloatVector.fromArray(S, c, cOff + {r} * ldc)).intoArray(c, cOff + {r} * ldc);\n            b{r}.add(FloatVector.fromArray(S, c, cOff + {r} * ldc + L)).intoArray(c, cOff + {r} * ldc + L);" for r in range(MR))
store = "\n".join(f"            a{r}.intoArray(c, cOff + {r} * ldc);\n            b{r}.intoArray(c, cOff + {r} * ldc + L);" for r in range(MR))
src = open('tools/GemmKernel.java.template').read()
src = src.replace('@MR@', str(MR)).replace('@DECL@', decl).replace('@BODY@', body).replace('@STORE@', store).replace('@ADDSTORE@', addstore)
open('conv-kernels/src/main/java/io/cubist/kernels/backend/cpu/GemmKernel.java','w').write(src)
