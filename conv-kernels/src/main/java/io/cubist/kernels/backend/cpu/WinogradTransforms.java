package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transforms of Winograd F(2x2, 3x3) and F(4x4, 3x3) for {@link CpuWinograd}, written by
 * {@code tools/gen_winograd.py} from the transform matrices (Lavin and Gray 2016; F(4x4) on the points 0, 1, -1, 2,
 * -2): vector forms over {@code L} consecutive tiles, scalar forms with the same arithmetic for the tails. Do not edit;
 * change the script.
 */
final class WinogradTransforms {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Each thread's intermediate {@code (m+2)^2 x L} floats between the two passes. */
    private static final ThreadLocal<float[]> TMP = ThreadLocal.withInitial(() -> new float[36 * L]);

    /** G of F(2x2, 3x3), 4 x 3: the weight transform {@code U = G g G^T}. */
    static final double[][] G2 = {
        {1.0, 0.0, 0.0},
        {0.5, 0.5, 0.5},
        {0.5, -0.5, 0.5},
        {0.0, 0.0, 1.0}};
    /** G of F(4x4, 3x3), 6 x 3: the weight transform {@code U = G g G^T}. */
    static final double[][] G4 = {
        {0.25, 0.0, 0.0},
        {-0.16666666666666666, -0.16666666666666666, -0.16666666666666666},
        {-0.16666666666666666, 0.16666666666666666, -0.16666666666666666},
        {0.041666666666666664, 0.08333333333333333, 0.16666666666666666},
        {0.041666666666666664, -0.08333333333333333, 0.16666666666666666},
        {0.0, 0.0, 1.0}};

    private WinogradTransforms() {
    }

    /**
     * L consecutive tiles of F(2x2, 3x3): {@code V = B^T d B}, {@code d_ij} at {@code d[at + (4i + j) * stride]},
     * {@code V_il} to {@code v[(4i + l) * xiStride + o]}. Two passes of the 1D transform through a per-thread buffer
     * (columns, then rows): one method holding all 16 vectors was too large for C2 to keep its vector operations
     * intrinsic (measured 10x slower).
     */
    static void input2(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        float[] t = TMP.get();
        for (int j = 0; j < 4; j++) {
            bt2(d, at + j * stride, 4 * stride, t, j * L, 4 * L);
        }
        for (int i = 0; i < 4; i++) {
            bt2(t, 4 * i * L, L, v, 4 * i * xiStride + o, xiStride);
        }
    }

    /**
     * One tile of F(2x2, 3x3): {@code V = B^T d B}, {@code d_ij} at
     * {@code d[at + (4i + j) * stride]}, {@code V_il} to {@code v[(4i + l) * xiStride + o]}.
     */
    static void input2Tile(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        float d00 = d[at + 0 * stride];
        float d01 = d[at + 1 * stride];
        float d02 = d[at + 2 * stride];
        float d03 = d[at + 3 * stride];
        float d10 = d[at + 4 * stride];
        float d11 = d[at + 5 * stride];
        float d12 = d[at + 6 * stride];
        float d13 = d[at + 7 * stride];
        float d20 = d[at + 8 * stride];
        float d21 = d[at + 9 * stride];
        float d22 = d[at + 10 * stride];
        float d23 = d[at + 11 * stride];
        float d30 = d[at + 12 * stride];
        float d31 = d[at + 13 * stride];
        float d32 = d[at + 14 * stride];
        float d33 = d[at + 15 * stride];
        float t00 = d00 - d20;
        float t01 = d01 - d21;
        float t02 = d02 - d22;
        float t03 = d03 - d23;
        float t10 = d10 + d20;
        float t11 = d11 + d21;
        float t12 = d12 + d22;
        float t13 = d13 + d23;
        float t20 = d20 - d10;
        float t21 = d21 - d11;
        float t22 = d22 - d12;
        float t23 = d23 - d13;
        float t30 = d10 - d30;
        float t31 = d11 - d31;
        float t32 = d12 - d32;
        float t33 = d13 - d33;
        v[0 * xiStride + o] = t00 - t02;
        v[1 * xiStride + o] = t01 + t02;
        v[2 * xiStride + o] = t02 - t01;
        v[3 * xiStride + o] = t01 - t03;
        v[4 * xiStride + o] = t10 - t12;
        v[5 * xiStride + o] = t11 + t12;
        v[6 * xiStride + o] = t12 - t11;
        v[7 * xiStride + o] = t11 - t13;
        v[8 * xiStride + o] = t20 - t22;
        v[9 * xiStride + o] = t21 + t22;
        v[10 * xiStride + o] = t22 - t21;
        v[11 * xiStride + o] = t21 - t23;
        v[12 * xiStride + o] = t30 - t32;
        v[13 * xiStride + o] = t31 + t32;
        v[14 * xiStride + o] = t32 - t31;
        v[15 * xiStride + o] = t31 - t33;
    }

    /**
     * L consecutive tiles of F(2x2, 3x3): {@code Y = A^T M A + bias}, ReLU'd if asked; {@code M_kj} at
     * {@code acc[(4k + j) * xiStride + src]}, {@code Y_il} to {@code q[(2i + l) * ldq + f]}. Two passes, as
     * {@link #input2}.
     */
    static void output2(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q, int f, int ldq) {
        float[] t = TMP.get();
        for (int j = 0; j < 4; j++) {
            at2(acc, j * xiStride + src, 4 * xiStride, t, j * L, 4 * L);
        }
        for (int i = 0; i < 2; i++) {
            at2Out(t, 4 * i * L, L, q, 2 * i * ldq + f, ldq, bias, relu);
        }
    }

    /**
     * One tile of F(2x2, 3x3): {@code Y = A^T M A + bias}, ReLU'd if asked;
     * {@code M_kj} at {@code acc[(4k + j) * xiStride + src]}, {@code Y_il} to {@code q[(2i + l) * ldq + f]}.
     */
    static void output2Tile(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q,
                        int f, int ldq) {
        float m00 = acc[0 * xiStride + src];
        float m01 = acc[1 * xiStride + src];
        float m02 = acc[2 * xiStride + src];
        float m03 = acc[3 * xiStride + src];
        float m10 = acc[4 * xiStride + src];
        float m11 = acc[5 * xiStride + src];
        float m12 = acc[6 * xiStride + src];
        float m13 = acc[7 * xiStride + src];
        float m20 = acc[8 * xiStride + src];
        float m21 = acc[9 * xiStride + src];
        float m22 = acc[10 * xiStride + src];
        float m23 = acc[11 * xiStride + src];
        float m30 = acc[12 * xiStride + src];
        float m31 = acc[13 * xiStride + src];
        float m32 = acc[14 * xiStride + src];
        float m33 = acc[15 * xiStride + src];
        float s00 = m00 + m10 + m20;
        float s01 = m01 + m11 + m21;
        float s02 = m02 + m12 + m22;
        float s03 = m03 + m13 + m23;
        float s10 = m10 - m20 - m30;
        float s11 = m11 - m21 - m31;
        float s12 = m12 - m22 - m32;
        float s13 = m13 - m23 - m33;
        float y00 = s00 + s01 + s02 + bias;
        q[0 * ldq + f] = relu ? Math.max(y00, 0f) : y00;
        float y01 = s01 - s02 - s03 + bias;
        q[1 * ldq + f] = relu ? Math.max(y01, 0f) : y01;
        float y10 = s10 + s11 + s12 + bias;
        q[2 * ldq + f] = relu ? Math.max(y10, 0f) : y10;
        float y11 = s11 - s12 - s13 + bias;
        q[3 * ldq + f] = relu ? Math.max(y11, 0f) : y11;
    }

    /** {@code d[dOff + i * dStep] = sum_k B^T[i][k] s[sOff + k * sStep]}, L lanes, F(2x2). */
    static void bt2(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep) {
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        s0.sub(s2).intoArray(d, dOff + 0 * dStep);
        s1.add(s2).intoArray(d, dOff + 1 * dStep);
        s2.sub(s1).intoArray(d, dOff + 2 * dStep);
        s1.sub(s3).intoArray(d, dOff + 3 * dStep);
    }

    /** {@code d[dOff + i * dStep] = sum_k A^T[i][k] s[sOff + k * sStep]}, L lanes, F(2x2). */
    static void at2(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep) {
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        s0.add(s1).add(s2).intoArray(d, dOff + 0 * dStep);
        s1.sub(s2).sub(s3).intoArray(d, dOff + 1 * dStep);
    }

    /** As {@link #at2}, plus bias, and ReLU if asked. */
    static void at2Out(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep, float bias, boolean relu) {
        FloatVector bv = FloatVector.broadcast(S, bias);
        FloatVector z = FloatVector.zero(S);
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        FloatVector r0 = s0.add(s1).add(s2).add(bv);
        (relu ? r0.max(z) : r0).intoArray(d, dOff + 0 * dStep);
        FloatVector r1 = s1.sub(s2).sub(s3).add(bv);
        (relu ? r1.max(z) : r1).intoArray(d, dOff + 1 * dStep);
    }

    /**
     * L consecutive tiles of F(4x4, 3x3): {@code V = B^T d B}, {@code d_ij} at {@code d[at + (6i + j) * stride]},
     * {@code V_il} to {@code v[(6i + l) * xiStride + o]}. Two passes of the 1D transform through a per-thread buffer
     * (columns, then rows): one method holding all 36 vectors was too large for C2 to keep its vector operations
     * intrinsic (measured 10x slower).
     */
    static void input4(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        float[] t = TMP.get();
        for (int j = 0; j < 6; j++) {
            bt4(d, at + j * stride, 6 * stride, t, j * L, 6 * L);
        }
        for (int i = 0; i < 6; i++) {
            bt4(t, 6 * i * L, L, v, 6 * i * xiStride + o, xiStride);
        }
    }

    /**
     * One tile of F(4x4, 3x3): {@code V = B^T d B}, {@code d_ij} at
     * {@code d[at + (6i + j) * stride]}, {@code V_il} to {@code v[(6i + l) * xiStride + o]}.
     */
    static void input4Tile(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        float km5 = -5.0f;
        float km4 = -4.0f;
        float km2 = -2.0f;
        float k2 = 2.0f;
        float k4 = 4.0f;
        float d00 = d[at + 0 * stride];
        float d01 = d[at + 1 * stride];
        float d02 = d[at + 2 * stride];
        float d03 = d[at + 3 * stride];
        float d04 = d[at + 4 * stride];
        float d05 = d[at + 5 * stride];
        float d10 = d[at + 6 * stride];
        float d11 = d[at + 7 * stride];
        float d12 = d[at + 8 * stride];
        float d13 = d[at + 9 * stride];
        float d14 = d[at + 10 * stride];
        float d15 = d[at + 11 * stride];
        float d20 = d[at + 12 * stride];
        float d21 = d[at + 13 * stride];
        float d22 = d[at + 14 * stride];
        float d23 = d[at + 15 * stride];
        float d24 = d[at + 16 * stride];
        float d25 = d[at + 17 * stride];
        float d30 = d[at + 18 * stride];
        float d31 = d[at + 19 * stride];
        float d32 = d[at + 20 * stride];
        float d33 = d[at + 21 * stride];
        float d34 = d[at + 22 * stride];
        float d35 = d[at + 23 * stride];
        float d40 = d[at + 24 * stride];
        float d41 = d[at + 25 * stride];
        float d42 = d[at + 26 * stride];
        float d43 = d[at + 27 * stride];
        float d44 = d[at + 28 * stride];
        float d45 = d[at + 29 * stride];
        float d50 = d[at + 30 * stride];
        float d51 = d[at + 31 * stride];
        float d52 = d[at + 32 * stride];
        float d53 = d[at + 33 * stride];
        float d54 = d[at + 34 * stride];
        float d55 = d[at + 35 * stride];
        float t00 = Math.fma(d20, km5, d00 * k4 + d40);
        float t01 = Math.fma(d21, km5, d01 * k4 + d41);
        float t02 = Math.fma(d22, km5, d02 * k4 + d42);
        float t03 = Math.fma(d23, km5, d03 * k4 + d43);
        float t04 = Math.fma(d24, km5, d04 * k4 + d44);
        float t05 = Math.fma(d25, km5, d05 * k4 + d45);
        float t10 = Math.fma(d20, km4, Math.fma(d10, km4, d30 + d40));
        float t11 = Math.fma(d21, km4, Math.fma(d11, km4, d31 + d41));
        float t12 = Math.fma(d22, km4, Math.fma(d12, km4, d32 + d42));
        float t13 = Math.fma(d23, km4, Math.fma(d13, km4, d33 + d43));
        float t14 = Math.fma(d24, km4, Math.fma(d14, km4, d34 + d44));
        float t15 = Math.fma(d25, km4, Math.fma(d15, km4, d35 + d45));
        float t20 = Math.fma(d20, km4, d10 * k4 + d40) - d30;
        float t21 = Math.fma(d21, km4, d11 * k4 + d41) - d31;
        float t22 = Math.fma(d22, km4, d12 * k4 + d42) - d32;
        float t23 = Math.fma(d23, km4, d13 * k4 + d43) - d33;
        float t24 = Math.fma(d24, km4, d14 * k4 + d44) - d34;
        float t25 = Math.fma(d25, km4, d15 * k4 + d45) - d35;
        float t30 = Math.fma(d10, km2, d30 * k2 + d40) - d20;
        float t31 = Math.fma(d11, km2, d31 * k2 + d41) - d21;
        float t32 = Math.fma(d12, km2, d32 * k2 + d42) - d22;
        float t33 = Math.fma(d13, km2, d33 * k2 + d43) - d23;
        float t34 = Math.fma(d14, km2, d34 * k2 + d44) - d24;
        float t35 = Math.fma(d15, km2, d35 * k2 + d45) - d25;
        float t40 = Math.fma(d30, km2, d10 * k2 + d40 - d20);
        float t41 = Math.fma(d31, km2, d11 * k2 + d41 - d21);
        float t42 = Math.fma(d32, km2, d12 * k2 + d42 - d22);
        float t43 = Math.fma(d33, km2, d13 * k2 + d43 - d23);
        float t44 = Math.fma(d34, km2, d14 * k2 + d44 - d24);
        float t45 = Math.fma(d35, km2, d15 * k2 + d45 - d25);
        float t50 = Math.fma(d30, km5, d10 * k4 + d50);
        float t51 = Math.fma(d31, km5, d11 * k4 + d51);
        float t52 = Math.fma(d32, km5, d12 * k4 + d52);
        float t53 = Math.fma(d33, km5, d13 * k4 + d53);
        float t54 = Math.fma(d34, km5, d14 * k4 + d54);
        float t55 = Math.fma(d35, km5, d15 * k4 + d55);
        v[0 * xiStride + o] = Math.fma(t02, km5, t00 * k4 + t04);
        v[1 * xiStride + o] = Math.fma(t02, km4, Math.fma(t01, km4, t03 + t04));
        v[2 * xiStride + o] = Math.fma(t02, km4, t01 * k4 + t04) - t03;
        v[3 * xiStride + o] = Math.fma(t01, km2, t03 * k2 + t04) - t02;
        v[4 * xiStride + o] = Math.fma(t03, km2, t01 * k2 + t04 - t02);
        v[5 * xiStride + o] = Math.fma(t03, km5, t01 * k4 + t05);
        v[6 * xiStride + o] = Math.fma(t12, km5, t10 * k4 + t14);
        v[7 * xiStride + o] = Math.fma(t12, km4, Math.fma(t11, km4, t13 + t14));
        v[8 * xiStride + o] = Math.fma(t12, km4, t11 * k4 + t14) - t13;
        v[9 * xiStride + o] = Math.fma(t11, km2, t13 * k2 + t14) - t12;
        v[10 * xiStride + o] = Math.fma(t13, km2, t11 * k2 + t14 - t12);
        v[11 * xiStride + o] = Math.fma(t13, km5, t11 * k4 + t15);
        v[12 * xiStride + o] = Math.fma(t22, km5, t20 * k4 + t24);
        v[13 * xiStride + o] = Math.fma(t22, km4, Math.fma(t21, km4, t23 + t24));
        v[14 * xiStride + o] = Math.fma(t22, km4, t21 * k4 + t24) - t23;
        v[15 * xiStride + o] = Math.fma(t21, km2, t23 * k2 + t24) - t22;
        v[16 * xiStride + o] = Math.fma(t23, km2, t21 * k2 + t24 - t22);
        v[17 * xiStride + o] = Math.fma(t23, km5, t21 * k4 + t25);
        v[18 * xiStride + o] = Math.fma(t32, km5, t30 * k4 + t34);
        v[19 * xiStride + o] = Math.fma(t32, km4, Math.fma(t31, km4, t33 + t34));
        v[20 * xiStride + o] = Math.fma(t32, km4, t31 * k4 + t34) - t33;
        v[21 * xiStride + o] = Math.fma(t31, km2, t33 * k2 + t34) - t32;
        v[22 * xiStride + o] = Math.fma(t33, km2, t31 * k2 + t34 - t32);
        v[23 * xiStride + o] = Math.fma(t33, km5, t31 * k4 + t35);
        v[24 * xiStride + o] = Math.fma(t42, km5, t40 * k4 + t44);
        v[25 * xiStride + o] = Math.fma(t42, km4, Math.fma(t41, km4, t43 + t44));
        v[26 * xiStride + o] = Math.fma(t42, km4, t41 * k4 + t44) - t43;
        v[27 * xiStride + o] = Math.fma(t41, km2, t43 * k2 + t44) - t42;
        v[28 * xiStride + o] = Math.fma(t43, km2, t41 * k2 + t44 - t42);
        v[29 * xiStride + o] = Math.fma(t43, km5, t41 * k4 + t45);
        v[30 * xiStride + o] = Math.fma(t52, km5, t50 * k4 + t54);
        v[31 * xiStride + o] = Math.fma(t52, km4, Math.fma(t51, km4, t53 + t54));
        v[32 * xiStride + o] = Math.fma(t52, km4, t51 * k4 + t54) - t53;
        v[33 * xiStride + o] = Math.fma(t51, km2, t53 * k2 + t54) - t52;
        v[34 * xiStride + o] = Math.fma(t53, km2, t51 * k2 + t54 - t52);
        v[35 * xiStride + o] = Math.fma(t53, km5, t51 * k4 + t55);
    }

    /**
     * L consecutive tiles of F(4x4, 3x3): {@code Y = A^T M A + bias}, ReLU'd if asked; {@code M_kj} at
     * {@code acc[(6k + j) * xiStride + src]}, {@code Y_il} to {@code q[(4i + l) * ldq + f]}. Two passes, as
     * {@link #input4}.
     */
    static void output4(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q, int f, int ldq) {
        float[] t = TMP.get();
        for (int j = 0; j < 6; j++) {
            at4(acc, j * xiStride + src, 6 * xiStride, t, j * L, 6 * L);
        }
        for (int i = 0; i < 4; i++) {
            at4Out(t, 6 * i * L, L, q, 4 * i * ldq + f, ldq, bias, relu);
        }
    }

    /**
     * One tile of F(4x4, 3x3): {@code Y = A^T M A + bias}, ReLU'd if asked;
     * {@code M_kj} at {@code acc[(6k + j) * xiStride + src]}, {@code Y_il} to {@code q[(4i + l) * ldq + f]}.
     */
    static void output4Tile(float[] acc, int xiStride, int src, float bias, boolean relu, float[] q,
                        int f, int ldq) {
        float km8 = -8.0f;
        float km2 = -2.0f;
        float k2 = 2.0f;
        float k4 = 4.0f;
        float k8 = 8.0f;
        float m00 = acc[0 * xiStride + src];
        float m01 = acc[1 * xiStride + src];
        float m02 = acc[2 * xiStride + src];
        float m03 = acc[3 * xiStride + src];
        float m04 = acc[4 * xiStride + src];
        float m05 = acc[5 * xiStride + src];
        float m10 = acc[6 * xiStride + src];
        float m11 = acc[7 * xiStride + src];
        float m12 = acc[8 * xiStride + src];
        float m13 = acc[9 * xiStride + src];
        float m14 = acc[10 * xiStride + src];
        float m15 = acc[11 * xiStride + src];
        float m20 = acc[12 * xiStride + src];
        float m21 = acc[13 * xiStride + src];
        float m22 = acc[14 * xiStride + src];
        float m23 = acc[15 * xiStride + src];
        float m24 = acc[16 * xiStride + src];
        float m25 = acc[17 * xiStride + src];
        float m30 = acc[18 * xiStride + src];
        float m31 = acc[19 * xiStride + src];
        float m32 = acc[20 * xiStride + src];
        float m33 = acc[21 * xiStride + src];
        float m34 = acc[22 * xiStride + src];
        float m35 = acc[23 * xiStride + src];
        float m40 = acc[24 * xiStride + src];
        float m41 = acc[25 * xiStride + src];
        float m42 = acc[26 * xiStride + src];
        float m43 = acc[27 * xiStride + src];
        float m44 = acc[28 * xiStride + src];
        float m45 = acc[29 * xiStride + src];
        float m50 = acc[30 * xiStride + src];
        float m51 = acc[31 * xiStride + src];
        float m52 = acc[32 * xiStride + src];
        float m53 = acc[33 * xiStride + src];
        float m54 = acc[34 * xiStride + src];
        float m55 = acc[35 * xiStride + src];
        float s00 = m00 + m10 + m20 + m30 + m40;
        float s01 = m01 + m11 + m21 + m31 + m41;
        float s02 = m02 + m12 + m22 + m32 + m42;
        float s03 = m03 + m13 + m23 + m33 + m43;
        float s04 = m04 + m14 + m24 + m34 + m44;
        float s05 = m05 + m15 + m25 + m35 + m45;
        float s10 = Math.fma(m40, km2, Math.fma(m30, k2, m10) - m20);
        float s11 = Math.fma(m41, km2, Math.fma(m31, k2, m11) - m21);
        float s12 = Math.fma(m42, km2, Math.fma(m32, k2, m12) - m22);
        float s13 = Math.fma(m43, km2, Math.fma(m33, k2, m13) - m23);
        float s14 = Math.fma(m44, km2, Math.fma(m34, k2, m14) - m24);
        float s15 = Math.fma(m45, km2, Math.fma(m35, k2, m15) - m25);
        float s20 = Math.fma(m40, k4, Math.fma(m30, k4, m10 + m20));
        float s21 = Math.fma(m41, k4, Math.fma(m31, k4, m11 + m21));
        float s22 = Math.fma(m42, k4, Math.fma(m32, k4, m12 + m22));
        float s23 = Math.fma(m43, k4, Math.fma(m33, k4, m13 + m23));
        float s24 = Math.fma(m44, k4, Math.fma(m34, k4, m14 + m24));
        float s25 = Math.fma(m45, k4, Math.fma(m35, k4, m15 + m25));
        float s30 = Math.fma(m40, km8, Math.fma(m30, k8, m10) + m50 - m20);
        float s31 = Math.fma(m41, km8, Math.fma(m31, k8, m11) + m51 - m21);
        float s32 = Math.fma(m42, km8, Math.fma(m32, k8, m12) + m52 - m22);
        float s33 = Math.fma(m43, km8, Math.fma(m33, k8, m13) + m53 - m23);
        float s34 = Math.fma(m44, km8, Math.fma(m34, k8, m14) + m54 - m24);
        float s35 = Math.fma(m45, km8, Math.fma(m35, k8, m15) + m55 - m25);
        float y00 = s00 + s01 + s02 + s03 + s04 + bias;
        q[0 * ldq + f] = relu ? Math.max(y00, 0f) : y00;
        float y01 = Math.fma(s04, km2, Math.fma(s03, k2, s01) - s02) + bias;
        q[1 * ldq + f] = relu ? Math.max(y01, 0f) : y01;
        float y02 = Math.fma(s04, k4, Math.fma(s03, k4, s01 + s02)) + bias;
        q[2 * ldq + f] = relu ? Math.max(y02, 0f) : y02;
        float y03 = Math.fma(s04, km8, Math.fma(s03, k8, s01) + s05 - s02) + bias;
        q[3 * ldq + f] = relu ? Math.max(y03, 0f) : y03;
        float y10 = s10 + s11 + s12 + s13 + s14 + bias;
        q[4 * ldq + f] = relu ? Math.max(y10, 0f) : y10;
        float y11 = Math.fma(s14, km2, Math.fma(s13, k2, s11) - s12) + bias;
        q[5 * ldq + f] = relu ? Math.max(y11, 0f) : y11;
        float y12 = Math.fma(s14, k4, Math.fma(s13, k4, s11 + s12)) + bias;
        q[6 * ldq + f] = relu ? Math.max(y12, 0f) : y12;
        float y13 = Math.fma(s14, km8, Math.fma(s13, k8, s11) + s15 - s12) + bias;
        q[7 * ldq + f] = relu ? Math.max(y13, 0f) : y13;
        float y20 = s20 + s21 + s22 + s23 + s24 + bias;
        q[8 * ldq + f] = relu ? Math.max(y20, 0f) : y20;
        float y21 = Math.fma(s24, km2, Math.fma(s23, k2, s21) - s22) + bias;
        q[9 * ldq + f] = relu ? Math.max(y21, 0f) : y21;
        float y22 = Math.fma(s24, k4, Math.fma(s23, k4, s21 + s22)) + bias;
        q[10 * ldq + f] = relu ? Math.max(y22, 0f) : y22;
        float y23 = Math.fma(s24, km8, Math.fma(s23, k8, s21) + s25 - s22) + bias;
        q[11 * ldq + f] = relu ? Math.max(y23, 0f) : y23;
        float y30 = s30 + s31 + s32 + s33 + s34 + bias;
        q[12 * ldq + f] = relu ? Math.max(y30, 0f) : y30;
        float y31 = Math.fma(s34, km2, Math.fma(s33, k2, s31) - s32) + bias;
        q[13 * ldq + f] = relu ? Math.max(y31, 0f) : y31;
        float y32 = Math.fma(s34, k4, Math.fma(s33, k4, s31 + s32)) + bias;
        q[14 * ldq + f] = relu ? Math.max(y32, 0f) : y32;
        float y33 = Math.fma(s34, km8, Math.fma(s33, k8, s31) + s35 - s32) + bias;
        q[15 * ldq + f] = relu ? Math.max(y33, 0f) : y33;
    }

    /** {@code d[dOff + i * dStep] = sum_k B^T[i][k] s[sOff + k * sStep]}, L lanes, F(4x4). */
    static void bt4(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep) {
        FloatVector km5 = FloatVector.broadcast(S, -5.0f);
        FloatVector km4 = FloatVector.broadcast(S, -4.0f);
        FloatVector km2 = FloatVector.broadcast(S, -2.0f);
        FloatVector k2 = FloatVector.broadcast(S, 2.0f);
        FloatVector k4 = FloatVector.broadcast(S, 4.0f);
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        FloatVector s4 = FloatVector.fromArray(S, s, sOff + 4 * sStep);
        FloatVector s5 = FloatVector.fromArray(S, s, sOff + 5 * sStep);
        s2.fma(km5, s0.mul(k4).add(s4)).intoArray(d, dOff + 0 * dStep);
        s2.fma(km4, s1.fma(km4, s3.add(s4))).intoArray(d, dOff + 1 * dStep);
        s2.fma(km4, s1.mul(k4).add(s4)).sub(s3).intoArray(d, dOff + 2 * dStep);
        s1.fma(km2, s3.mul(k2).add(s4)).sub(s2).intoArray(d, dOff + 3 * dStep);
        s3.fma(km2, s1.mul(k2).add(s4).sub(s2)).intoArray(d, dOff + 4 * dStep);
        s3.fma(km5, s1.mul(k4).add(s5)).intoArray(d, dOff + 5 * dStep);
    }

    /** {@code d[dOff + i * dStep] = sum_k A^T[i][k] s[sOff + k * sStep]}, L lanes, F(4x4). */
    static void at4(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep) {
        FloatVector km8 = FloatVector.broadcast(S, -8.0f);
        FloatVector km2 = FloatVector.broadcast(S, -2.0f);
        FloatVector k2 = FloatVector.broadcast(S, 2.0f);
        FloatVector k4 = FloatVector.broadcast(S, 4.0f);
        FloatVector k8 = FloatVector.broadcast(S, 8.0f);
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        FloatVector s4 = FloatVector.fromArray(S, s, sOff + 4 * sStep);
        FloatVector s5 = FloatVector.fromArray(S, s, sOff + 5 * sStep);
        s0.add(s1).add(s2).add(s3).add(s4).intoArray(d, dOff + 0 * dStep);
        s4.fma(km2, s3.fma(k2, s1).sub(s2)).intoArray(d, dOff + 1 * dStep);
        s4.fma(k4, s3.fma(k4, s1.add(s2))).intoArray(d, dOff + 2 * dStep);
        s4.fma(km8, s3.fma(k8, s1).add(s5).sub(s2)).intoArray(d, dOff + 3 * dStep);
    }

    /** As {@link #at4}, plus bias, and ReLU if asked. */
    static void at4Out(float[] s, int sOff, int sStep, float[] d, int dOff, int dStep, float bias, boolean relu) {
        FloatVector km8 = FloatVector.broadcast(S, -8.0f);
        FloatVector km2 = FloatVector.broadcast(S, -2.0f);
        FloatVector k2 = FloatVector.broadcast(S, 2.0f);
        FloatVector k4 = FloatVector.broadcast(S, 4.0f);
        FloatVector k8 = FloatVector.broadcast(S, 8.0f);
        FloatVector bv = FloatVector.broadcast(S, bias);
        FloatVector z = FloatVector.zero(S);
        FloatVector s0 = FloatVector.fromArray(S, s, sOff + 0 * sStep);
        FloatVector s1 = FloatVector.fromArray(S, s, sOff + 1 * sStep);
        FloatVector s2 = FloatVector.fromArray(S, s, sOff + 2 * sStep);
        FloatVector s3 = FloatVector.fromArray(S, s, sOff + 3 * sStep);
        FloatVector s4 = FloatVector.fromArray(S, s, sOff + 4 * sStep);
        FloatVector s5 = FloatVector.fromArray(S, s, sOff + 5 * sStep);
        FloatVector r0 = s0.add(s1).add(s2).add(s3).add(s4).add(bv);
        (relu ? r0.max(z) : r0).intoArray(d, dOff + 0 * dStep);
        FloatVector r1 = s4.fma(km2, s3.fma(k2, s1).sub(s2)).add(bv);
        (relu ? r1.max(z) : r1).intoArray(d, dOff + 1 * dStep);
        FloatVector r2 = s4.fma(k4, s3.fma(k4, s1.add(s2))).add(bv);
        (relu ? r2.max(z) : r2).intoArray(d, dOff + 2 * dStep);
        FloatVector r3 = s4.fma(km8, s3.fma(k8, s1).add(s5).sub(s2)).add(bv);
        (relu ? r3.max(z) : r3).intoArray(d, dOff + 3 * dStep);
    }
}
