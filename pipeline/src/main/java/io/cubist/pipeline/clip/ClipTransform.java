package io.cubist.pipeline.clip;

import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.DecodedFrame;
import java.util.Arrays;
import java.util.List;

/**
 * torchvision 0.14's video preset ({@code VideoClassification}, what {@code R2Plus1D_18_Weights.transforms()}
 * returns) on uint8 frames, to the bit: each frame is resized with {@code F.interpolate(mode="bilinear",
 * align_corners=False, antialias=False)} in float32 and rounded back to uint8 (half to even, as {@code F.resize} does
 * for uint8 tensors), center cropped ({@code F.center_crop}: offsets {@code round((in - crop) / 2)}, half to even),
 * scaled by 1/255 and normalized {@code (x - mean) / std} per channel; the clip is laid out {@code [3, T, H, W]}.
 *
 * <p>Because the resized pixels are uint8, a clip can be stored as uint8 ({@link #toUint8}, a quarter of the memory)
 * and normalized later ({@link #normalize}) with the same result as {@link #toFloat}.
 *
 * <p>Index and weight tables are cached for the last input frame size; an instance is used from one thread.
 */
public final class ClipTransform {

    private final int resizeHeight;
    private final int resizeWidth;
    private final int cropHeight;
    private final int cropWidth;
    private final int top;
    private final int left;
    private final float[] mean;
    private final float[] std;
    private final double[] meanD;
    private final double[] stdD;

    private int tableH = -1;
    private int tableW = -1;
    private Axis rows;
    private Axis cols;

    /**
     * Where the crop sits in the resized frame. {@link #CENTER} is torchvision's center crop; {@link #START} and
     * {@link #END} move it to the beginning or the end of the frame's longer side (left/right for landscape frames,
     * top/bottom for portrait ones), staying centered on the other: with {@code CENTER} they are the usual 3-crop
     * test-time views. The corners are torchvision's {@code five_crop}'s.
     */
    public enum CropPosition {
        CENTER, START, END, TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT;

        /** The three views of 3-crop testing, in view-index order: start, center, end. */
        public static java.util.List<CropPosition> threeCrop() {
            return java.util.List.of(START, CENTER, END);
        }

        /** {@code five_crop}'s order: top-left, top-right, bottom-left, bottom-right, center. */
        public static java.util.List<CropPosition> fiveCrop() {
            return java.util.List.of(TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT, CENTER);
        }
    }

    /** The numbers of test-time views a clip can have: 1, 3 or 10. */
    public static final java.util.List<Integer> VIEW_COUNTS = java.util.List.of(1, 3, 10);

    /** Checks a view count; anything but {@link #VIEW_COUNTS} is an error saying what each means. */
    public static int checkViews(int n) {
        if (!VIEW_COUNTS.contains(n)) {
            throw new IllegalArgumentException("views must be 1 (center crop), 3 (3-crop: start, center, end) or 10"
                    + " (10-crop: 5 crops and their mirror images), got " + n);
        }
        return n;
    }

    /** The view index of the center crop among {@code n} views (the single view's feature): 0, 1 or 4. */
    public static int centerView(int n) {
        return switch (checkViews(n)) {
            case 1 -> 0;
            case 3 -> 1;
            default -> 4;
        };
    }

    /**
     * This transform's {@code n} test-time views in view-index order: 1 is itself; 3 the {@link
     * CropPosition#threeCrop()}; 10 torchvision's {@code ten_crop}: the {@link CropPosition#fiveCrop()} of the frame,
     * then the five crops of the horizontally flipped frame.
     */
    public List<ClipTransform> views(int n) {
        return switch (checkViews(n)) {
            case 1 -> List.of(this);
            case 3 -> CropPosition.threeCrop().stream().map(this::withCrop).toList();
            default -> java.util.stream.Stream.concat(
                    CropPosition.fiveCrop().stream().map(this::withCrop),
                    CropPosition.fiveCrop().stream().map(p -> withCrop(p).flipped())).toList();
        };
    }

    private final CropPosition position;
    private final boolean flip;

    public ClipTransform(int resizeHeight, int resizeWidth, int cropHeight, int cropWidth, double[] mean,
                         double[] std) {
        this(resizeHeight, resizeWidth, cropHeight, cropWidth, mean, std, CropPosition.CENTER);
    }

    public ClipTransform(int resizeHeight, int resizeWidth, int cropHeight, int cropWidth, double[] mean,
                         double[] std, CropPosition position) {
        this(resizeHeight, resizeWidth, cropHeight, cropWidth, mean, std, position, false);
    }

    /**
     * @param flip crop from the horizontally flipped frame ({@code F.hflip} of the resized frame, then the crop at
     *             {@code position} of it), as {@code ten_crop}'s last five views
     */
    public ClipTransform(int resizeHeight, int resizeWidth, int cropHeight, int cropWidth, double[] mean,
                         double[] std, CropPosition position, boolean flip) {
        if (resizeHeight < 1 || resizeWidth < 1 || cropHeight < 1 || cropWidth < 1 || cropHeight > resizeHeight
                || cropWidth > resizeWidth) {
            throw new IllegalArgumentException("crop " + cropHeight + "x" + cropWidth + " must fit in the resized "
                    + resizeHeight + "x" + resizeWidth + " frame (all sizes >= 1)");
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B)");
        }
        this.resizeHeight = resizeHeight;
        this.resizeWidth = resizeWidth;
        this.cropHeight = cropHeight;
        this.cropWidth = cropWidth;
        // torchvision: crop_top = int(round((image_height - crop_height) / 2.0)); Python rounds half to even
        int centerTop = (int) Math.rint((resizeHeight - cropHeight) / 2.0);
        int centerLeft = (int) Math.rint((resizeWidth - cropWidth) / 2.0);
        this.position = position;
        this.flip = flip;
        boolean landscape = resizeWidth >= resizeHeight;
        int bottom = resizeHeight - cropHeight;
        int right = resizeWidth - cropWidth;
        // the crop's offset in the frame it is taken from (the flipped one for a flipped view)
        int[] at = switch (position) {
            case CENTER -> new int[] {centerTop, centerLeft};
            case START -> landscape ? new int[] {centerTop, 0} : new int[] {0, centerLeft};
            case END -> landscape ? new int[] {centerTop, right} : new int[] {bottom, centerLeft};
            case TOP_LEFT -> new int[] {0, 0};
            case TOP_RIGHT -> new int[] {0, right};
            case BOTTOM_LEFT -> new int[] {bottom, 0};
            case BOTTOM_RIGHT -> new int[] {bottom, right};
        };
        this.top = at[0];
        // as the first column of the unflipped frame the flipped crop reads
        this.left = flip ? right - at[1] : at[1];
        this.meanD = mean.clone();
        this.stdD = std.clone();
        this.mean = new float[3];
        this.std = new float[3];
        for (int c = 0; c < 3; c++) {
            if (!(std[c] > 0)) {
                throw new IllegalArgumentException("std must be > 0, got " + Arrays.toString(std));
            }
            this.mean[c] = (float) mean[c];
            this.std[c] = (float) std[c];
        }
    }

    /** The preset's resize, crop, mean and std (bilinear only: every bundled preset is). */
    public static ClipTransform of(ModelPreset preset) {
        if (!preset.interpolation().equals("bilinear")) {
            throw new IllegalArgumentException(preset.model() + ": interpolation '" + preset.interpolation()
                    + "' is not implemented; only bilinear is");
        }
        return new ClipTransform(preset.resizeHeight(), preset.resizeWidth(), preset.cropHeight(), preset.cropWidth(),
                preset.mean(), preset.std());
    }

    /** The same resize and normalization with the crop at {@code p} (of the same frame, flipped or not). */
    public ClipTransform withCrop(CropPosition p) {
        return new ClipTransform(resizeHeight, resizeWidth, cropHeight, cropWidth, meanD, stdD, p, flip);
    }

    /** The same crop position taken from the horizontally flipped frame. */
    public ClipTransform flipped() {
        return new ClipTransform(resizeHeight, resizeWidth, cropHeight, cropWidth, meanD, stdD, position, !flip);
    }

    /** Whether the crop comes from the horizontally flipped frame. */
    public boolean flip() {
        return flip;
    }

    public CropPosition cropPosition() {
        return position;
    }

    /** The crop's offset in the resized (unflipped) frame: {@code {top, left}}. */
    public int[] cropOffset() {
        return new int[] {top, left};
    }

    public int height() {
        return cropHeight;
    }

    public int width() {
        return cropWidth;
    }

    public double[] mean() {
        return meanD.clone();
    }

    public double[] std() {
        return stdD.clone();
    }

    /**
     * This view's crop of clips that are already resized and normalized, {@code [N, C, T, resizeHeight,
     * resizeWidth]} (the same offsets and mirroring as on frames): {@code [N, C, T, height, width]}.
     */
    public io.cubist.kernels.tensor.Tensor crop(io.cubist.kernels.tensor.Tensor clips) {
        int[] s = clips.shape();
        if (s.length != 5 || s[3] != resizeHeight || s[4] != resizeWidth) {
            throw new IllegalArgumentException("clips " + Arrays.toString(s) + " are not [N, C, T, " + resizeHeight
                    + ", " + resizeWidth + "]");
        }
        int planes = s[0] * s[1] * s[2];
        float[] in = clips.data();
        float[] out = new float[planes * cropHeight * cropWidth];
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < cropHeight; y++) {
                int from = (p * resizeHeight + top + y) * resizeWidth + left;
                int to = (p * cropHeight + y) * cropWidth;
                if (flip) {
                    for (int x = 0; x < cropWidth; x++) {
                        out[to + cropWidth - 1 - x] = in[from + x];
                    }
                } else {
                    System.arraycopy(in, from, out, to, cropWidth);
                }
            }
        }
        return new io.cubist.kernels.tensor.Tensor(out, s[0], s[1], s[2], cropHeight, cropWidth);
    }

    /** Values in one clip of {@code t} frames: {@code 3 · t · height · width}. */
    public int clipSize(int t) {
        return 3 * t * cropHeight * cropWidth;
    }

    /** Resized and cropped uint8 pixels of the frames into {@code out[offset ..]} as {@code [3, T, H, W]}. */
    public void toUint8(List<DecodedFrame> frames, byte[] out, int offset) {
        int t = frames.size();
        int plane = cropHeight * cropWidth;
        for (int f = 0; f < t; f++) {
            DecodedFrame fr = frames.get(f);
            tables(fr.height(), fr.width());
            byte[] src = fr.rgb();
            int w = fr.width();
            for (int y = 0; y < cropHeight; y++) {
                int r0 = rows.i0[y] * w * 3;
                int r1 = rows.i1[y] * w * 3;
                float wy0 = rows.w0[y];
                float wy1 = rows.w1[y];
                for (int x = 0; x < cropWidth; x++) {
                    int c0 = cols.i0[x] * 3;
                    int c1 = cols.i1[x] * 3;
                    float wx0 = cols.w0[x];
                    float wx1 = cols.w1[x];
                    for (int c = 0; c < 3; c++) {
                        // ATen's generic upsample kernel, t0 * w0 + t1 * w1 along width then height, as its
                        // AVX2/AVX-512 build computes it: fma(t0, w0, t1 * w1) (matches torch 1.13 to the bit)
                        float top = Math.fma((float) (src[r0 + c0 + c] & 0xff), wx0, (src[r0 + c1 + c] & 0xff) * wx1);
                        float bottom = Math.fma((float) (src[r1 + c0 + c] & 0xff), wx0,
                                (src[r1 + c1 + c] & 0xff) * wx1);
                        float v = Math.fma(top, wy0, bottom * wy1);
                        float r = (float) Math.rint(v);
                        int q = r < 0 ? 0 : r > 255 ? 255 : (int) r;
                        out[offset + (c * t + f) * plane + y * cropWidth + (flip ? cropWidth - 1 - x : x)] = (byte) q;
                    }
                }
            }
        }
    }

    /** The normalized clip into {@code out[offset ..]} as {@code [3, T, H, W]} float32. */
    public void toFloat(List<DecodedFrame> frames, float[] out, int offset) {
        int n = clipSize(frames.size());
        byte[] u8 = new byte[n];
        toUint8(frames, u8, 0);
        normalize(u8, 0, out, offset, frames.size());
    }

    /** {@link #toFloat} into a new array. */
    public float[] apply(List<DecodedFrame> frames) {
        float[] out = new float[clipSize(frames.size())];
        toFloat(frames, out, 0);
        return out;
    }

    /** {@code (u / 255 - mean[c]) / std[c]} for one {@code [3, T, H, W]} uint8 clip of {@code t} frames. */
    public void normalize(byte[] u8, int from, float[] out, int offset, int t) {
        int perChannel = t * cropHeight * cropWidth;
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int base = c * perChannel;
            for (int i = 0; i < perChannel; i++) {
                // convert_image_dtype: x.to(float32) / 255; normalize: (x - mean) / std, all in float32
                float x = (u8[from + base + i] & 0xff) / 255f;
                out[offset + base + i] = (x - m) / s;
            }
        }
    }

    /** Normalizes one value of channel {@code c} (what {@link #normalize} does per element). */
    public float normalize(int u8, int c) {
        return ((u8 & 0xff) / 255f - mean[c]) / std[c];
    }

    private void tables(int h, int w) {
        if (h == tableH && w == tableW) {
            return;
        }
        rows = Axis.of(h, resizeHeight, top, cropHeight);
        cols = Axis.of(w, resizeWidth, left, cropWidth);
        tableH = h;
        tableW = w;
    }

    /** Source indices and weights of the output positions {@code [from, from + n)} along one axis. */
    private record Axis(int[] i0, int[] i1, float[] w0, float[] w1) {
        static Axis of(int in, int out, int from, int n) {
            int[] i0 = new int[n];
            int[] i1 = new int[n];
            float[] w0 = new float[n];
            float[] w1 = new float[n];
            // area_pixel_compute_scale<float>: (float) in / out
            float scale = (float) in / out;
            for (int k = 0; k < n; k++) {
                int o = from + k;
                if (in == out) {
                    i0[k] = o;
                    i1[k] = o;
                    w0[k] = 1f;
                    w1[k] = 0f;
                    continue;
                }
                // ATen on CPU: the scale is float ((float) in / out) but the source index and lambda are computed
                // in double (acc_type<float> is double there): src = scale * (dst + 0.5) - 0.5, clamped at 0;
                // index = floor(src); lambda = clamp(src - index, 0, 1), stored as float
                double src = scale * (o + 0.5) - 0.5;
                if (src < 0) {
                    src = 0;
                }
                int idx = Math.min((int) Math.floor(src), in - 1);
                float lambda = (float) Math.min(Math.max(src - idx, 0.0), 1.0);
                i0[k] = idx;
                i1[k] = idx + (idx < in - 1 ? 1 : 0);
                w1[k] = lambda;
                w0[k] = 1f - lambda;
            }
            return new Axis(i0, i1, w0, w1);
        }
    }
}
