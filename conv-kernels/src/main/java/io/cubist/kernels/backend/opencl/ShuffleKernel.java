package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * Pixel shuffle and unshuffle as one permutation: for each element of the spatially large layout
 * {@code [B, C, D*rd, H*r, W*r]} (2D shuffles have {@code rd = 1}) the element of the channel-stacked layout
 * {@code [B, C*rd*r*r, D, H, W]} it corresponds to: {@code big[b, c, z*rd+i, u*r+j, v*r+k] =
 * small[b, c*rd*r*r + (i*r + j)*r + k, z, u, v]}. {@code up} 1 gathers big from small (shuffle), 0 scatters big
 * into small (unshuffle); both write every output element exactly once.
 */
final class ShuffleKernel extends Kernel {
    float[] small = new float[1];
    float[] big = new float[1];

    int up;
    int c;
    int d;
    int h;
    int w;
    int r;
    int rd;
    int total;

    @Override
    public void run() {
        int gid = getGlobalId(0);
        if (gid < total) {
            int ow = w * r;
            int oh = h * r;
            int od = d * rd;
            int x = gid % ow;
            int rest = gid / ow;
            int y = rest % oh;
            rest = rest / oh;
            int z = rest % od;
            rest = rest / od;
            int ch = rest % c;
            int b = rest / c;
            int cs = ch * rd * r * r + ((z % rd) * r + (y % r)) * r + (x % r);
            int s = (((b * c * rd * r * r + cs) * d + z / rd) * h + y / r) * w + x / r;
            if (up == 1) {
                big[gid] = small[s];
            } else {
                small[s] = big[gid];
            }
        }
    }
}
