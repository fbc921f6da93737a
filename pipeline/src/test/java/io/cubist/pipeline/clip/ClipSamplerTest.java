package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.video.DecodedFrame;
import io.cubist.pipeline.video.FrameSource;
import io.cubist.pipeline.video.ListFrameSource;
import io.cubist.pipeline.video.VideoException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClipSamplerTest {

    /** A clip reduced to comparable values: index, times, the frames it shows. */
    record Cut(int index, double start, double end, List<Integer> frames, TailPolicy tail) {
        static Cut of(SampledClip c) {
            return new Cut(c.index(), c.startSec(), c.endSec(),
                    c.frames().stream().map(ListFrameSource::number).toList(), c.tail());
        }
    }

    static List<Cut> sample(FrameSource src, SamplerSettings s, double t0, double t1) throws VideoException {
        List<Cut> out = new ArrayList<>();
        new ClipSampler(s).sample(src, t0, t1, c -> out.add(Cut.of(c)));
        return out;
    }

    static List<Cut> all(FrameSource src, SamplerSettings s) throws VideoException {
        return sample(src, s, 0, Double.POSITIVE_INFINITY);
    }

    private static List<Integer> range(int from, int n, int step) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(from + i * step);
        }
        return l;
    }

    @Test
    void dropKeepsWholeNonOverlappingClips() throws Exception {
        // 100 frames at 10 fps resampled at 10 fps: six clips of 16, four frames dropped
        List<Cut> cuts = all(ListFrameSource.constant(100, 10, 0), SamplerSettings.of(16, 1, 10));
        assertEquals(6, cuts.size());
        for (int k = 0; k < 6; k++) {
            Cut c = cuts.get(k);
            assertEquals(k, c.index());
            assertEquals(k * 1.6, c.start(), 1e-9);
            assertEquals(k * 1.6 + 1.6, c.end(), 1e-9);
            assertEquals(range(16 * k, 16, 1), c.frames());
            assertNull(c.tail());
        }
    }

    @Test
    void padLastRepeatsTheLastFrame() throws Exception {
        SamplerSettings s = SamplerSettings.of(16, 1, 10).withTail(TailPolicy.PAD_LAST);
        List<Cut> cuts = all(ListFrameSource.constant(100, 10, 0), s);
        assertEquals(7, cuts.size());
        Cut last = cuts.get(6);
        assertEquals(6, last.index());
        assertEquals(TailPolicy.PAD_LAST, last.tail());
        List<Integer> want = new ArrayList<>(range(96, 4, 1));
        while (want.size() < 16) {
            want.add(99);
        }
        assertEquals(want, last.frames());
        assertEquals(9.6, last.start(), 1e-9);
        assertEquals(10.0, last.end(), 1e-9, "ends after the last real frame");
    }

    @Test
    void backPadShiftsTheLastClipToEndAtTheLastFrame() throws Exception {
        SamplerSettings s = SamplerSettings.of(16, 1, 10).withTail(TailPolicy.BACK_PAD);
        List<Cut> cuts = all(ListFrameSource.constant(100, 10, 0), s);
        assertEquals(7, cuts.size());
        Cut last = cuts.get(6);
        assertEquals(6, last.index());
        assertEquals(range(84, 16, 1), last.frames());
        assertEquals(8.4, last.start(), 1e-9);
        assertEquals(10.0, last.end(), 1e-9);
        // nothing is added when the clips already end at the last frame
        assertEquals(6, all(ListFrameSource.constant(96, 10, 0), s).size());
        // nor for a video shorter than one clip
        assertEquals(0, all(ListFrameSource.constant(10, 10, 0), s).size());
    }

    @Test
    void frameStepAndOverlappingStride() throws Exception {
        // T=4, step 2 (span 7), stride 3 over 20 resampled frames: starts 0, 3, ..., 12 (12 + 6 = 18 <= 19)
        SamplerSettings s = new SamplerSettings(4, 2, 3, TailPolicy.DROP, 10);
        List<Cut> cuts = all(ListFrameSource.constant(20, 10, 0), s);
        assertEquals(5, cuts.size());
        assertEquals(range(9, 4, 2), cuts.get(3).frames());
        assertEquals(0.9, cuts.get(3).start(), 1e-9);
        assertEquals(1.6, cuts.get(3).end(), 1e-9);
    }

    @Test
    void resamplesBeforeCutting() throws Exception {
        // 30 fps source, clips of 4 at 15 fps take every other frame
        List<Cut> cuts = all(ListFrameSource.constant(32, 30, 0), SamplerSettings.of(4, 1, 15));
        assertEquals(4, cuts.size());
        assertEquals(List.of(8, 10, 12, 14), cuts.get(1).frames());
    }

    @Test
    void clipsBeforeALateFirstFrameDoNotExist() throws Exception {
        // frames from 1.05 s: resampled indices start at 11, so clip 0 (0..3) and 1 (4..7) and 2 (8..11) are missing
        List<Cut> cuts = all(ListFrameSource.constant(30, 10, 1.05), SamplerSettings.of(4, 1, 10));
        assertEquals(3, cuts.get(0).index());
        assertEquals(1.2, cuts.get(0).start(), 1e-9);
    }

    @Test
    void segmentsGiveExactlyTheClipsOfOnePass() throws Exception {
        Random rnd = new Random(7);
        double[] vfr = new double[300];
        double t = 0.013;
        for (int i = 0; i < vfr.length; i++) {
            vfr[i] = t;
            t += 0.02 + rnd.nextDouble() * 0.08;
        }
        List<SamplerSettings> settings = List.of(SamplerSettings.of(8, 1, 15),
                new SamplerSettings(5, 2, 4, TailPolicy.PAD_LAST, 12),
                new SamplerSettings(6, 1, 9, TailPolicy.BACK_PAD, 10),
                new SamplerSettings(4, 3, 5, TailPolicy.BACK_PAD, 25));
        for (SamplerSettings s : settings) {
            List<Cut> whole = all(new ListFrameSource(vfr, 0.05), s);
            assertTrue(whole.size() > 5, s + ": " + whole.size() + " clips");
            double end = vfr[vfr.length - 1] + 1;
            for (int trial = 0; trial < 8; trial++) {
                List<Double> bounds = new ArrayList<>(List.of(0.0));
                for (int b = 0; b < 1 + trial; b++) {
                    bounds.add(rnd.nextDouble() * end);
                }
                if (trial == 0) {
                    bounds.set(1, 16 * s.clipStride() / s.fps()); // exactly on a clip start
                }
                bounds.add(Double.POSITIVE_INFINITY);
                bounds.sort(null);
                List<Cut> joined = new ArrayList<>();
                for (int i = 0; i + 1 < bounds.size(); i++) {
                    if (bounds.get(i + 1) > bounds.get(i)) {
                        ListFrameSource src = new ListFrameSource(vfr, 0.05);
                        List<Cut> part = sample(src, s, bounds.get(i), bounds.get(i + 1));
                        for (Cut c : part) {
                            double nominal = (double) c.index() * s.clipStride() / s.fps();
                            assertTrue(nominal >= bounds.get(i) - 1e-9 && nominal < bounds.get(i + 1),
                                    "clip " + c.index() + " outside its segment " + bounds.subList(i, i + 2));
                        }
                        joined.addAll(part);
                    }
                }
                assertEquals(whole, joined, s + ", segments " + bounds);
            }
        }
    }

    @Test
    void aLaterSegmentSeeksInsteadOfDecodingFromTheStart() throws Exception {
        ListFrameSource src = ListFrameSource.constant(1000, 10, 0);
        List<Cut> cuts = sample(src, SamplerSettings.of(16, 1, 10), 80, 90);
        assertEquals(1, src.seeks());
        assertTrue(src.framesDecoded() < 120, "decoded " + src.framesDecoded());
        // clip starts 1.6 k in [80, 90)
        assertEquals(List.of(50, 51, 52, 53, 54, 55, 56), cuts.stream().map(Cut::index).toList());
    }

    @Test
    void windowStaysSmallOnALongVideo() throws Exception {
        // a source that fails if more than a window's worth of its frames are alive is hard to build; count instead
        // that every clip's frames are exactly its own, across 10,000 frames, and that clips arrive as they fill
        ListFrameSource src = ListFrameSource.constant(10_000, 30, 0);
        int[] n = {0};
        long[] decodedAtClip = new long[1];
        new ClipSampler(SamplerSettings.of(16, 1, 15)).sample(src, c -> {
            assertEquals(16, c.frames().size());
            decodedAtClip[0] = src.framesDecoded();
            assertTrue(decodedAtClip[0] <= (c.index() + 1) * 32L + 2, "clip " + c.index()
                    + " came only after frame " + decodedAtClip[0]);
            n[0]++;
        });
        assertEquals(10_000 / 2 / 16, n[0]);
    }

    @Test
    void rejectsEmptySegmentsAndBadSettings() {
        assertThrows(IllegalArgumentException.class,
                () -> sample(ListFrameSource.constant(10, 10, 0), SamplerSettings.of(4, 1, 10), 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(0, 1, 1, TailPolicy.DROP, 10));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(4, 1, 0, TailPolicy.DROP, 10));
        assertThrows(IllegalArgumentException.class, () -> TailPolicy.parse("wrap"));
        assertEquals(TailPolicy.BACK_PAD, TailPolicy.parse("back-pad"));
    }

    @Test
    void emptySourceGivesNoClips() throws Exception {
        assertEquals(List.of(), all(new ListFrameSource(new double[0], 0.1), SamplerSettings.of(4, 1, 10)));
        DecodedFrame single = ListFrameSource.constant(1, 10, 0).next();
        assertEquals(0.1, single.durationSec(), 1e-12);
    }
}
