package io.cubist.pipeline.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameResamplerTest {

    /** The frame numbers shown at each resampled index, from {@code first}. */
    private static List<Integer> resample(ListFrameSource src, double fps, long first, List<Long> indices) {
        List<Integer> shown = new ArrayList<>();
        FrameResampler r = new FrameResampler(fps, first, s -> {
            indices.add(s.index());
            assertEquals(s.index() / fps, s.timeSec(), 1e-12);
            shown.add(ListFrameSource.number(s.frame()));
        });
        DecodedFrame f;
        while ((f = src.next()) != null) {
            r.push(f);
        }
        r.finish();
        return shown;
    }

    @Test
    void halvesAConstantRate() {
        List<Long> idx = new ArrayList<>();
        List<Integer> shown = resample(ListFrameSource.constant(30, 30, 0), 15, 0, idx);
        assertEquals(15, shown.size());
        for (int i = 0; i < 15; i++) {
            assertEquals(2 * i, shown.get(i));
            assertEquals(i, idx.get(i));
        }
    }

    @Test
    void upsamplingHoldsFramesAndStopsAtTheLastFramesEnd() {
        // 10 fps for 1 s -> 25 fps: 25 samples, t_i = i/25 shows frame floor(i * 10 / 25)
        List<Integer> shown = resample(ListFrameSource.constant(10, 10, 0), 25, 0, new ArrayList<>());
        assertEquals(25, shown.size());
        for (int i = 0; i < 25; i++) {
            assertEquals((int) Math.floor(i * 10 / 25.0 + 1e-9), shown.get(i), "sample " + i);
        }
    }

    @Test
    void variableFrameRateTakesTheFrameOnScreen() {
        ListFrameSource src = new ListFrameSource(new double[] {0, 0.1, 0.15, 0.4, 1.0}, 0.1);
        List<Integer> shown = resample(src, 10, 0, new ArrayList<>());
        // t = 0, .1, .2, .3, .4, .5, .6, .7, .8, .9, 1.0; the last frame lasts until 1.1
        assertEquals(List.of(0, 1, 2, 2, 3, 3, 3, 3, 3, 3, 4), shown);
    }

    @Test
    void framesBetweenSamplesAreSkipped() {
        ListFrameSource src = new ListFrameSource(new double[] {0, 0.01, 0.02, 0.03, 0.25}, 0.25);
        // t = 0 shows frame 0; frames 1 and 2 are replaced before t = 0.1; frame 4 lasts until 0.5 s
        assertEquals(List.of(0, 3, 3, 4, 4), resample(src, 10, 0, new ArrayList<>()));
    }

    @Test
    void aLateFirstFrameStartsAtCeilOfItsTime() {
        List<Long> idx = new ArrayList<>();
        resample(ListFrameSource.constant(10, 10, 0.25), 10, 0, idx);
        assertEquals(3L, idx.get(0), "ceil(0.25 * 10)");
        assertEquals(12L, idx.get(idx.size() - 1), "last frame at 1.15 s lasts to 1.25 s");
    }

    @Test
    void startsAtTheFirstIndexAsked() {
        List<Long> idx = new ArrayList<>();
        List<Integer> shown = resample(ListFrameSource.constant(30, 30, 0), 15, 5, idx);
        assertEquals(5L, idx.get(0));
        assertEquals(10, shown.get(0));
        assertEquals(10, shown.size());
    }

    @Test
    void rejectsFramesOutOfOrderAndBadRates() {
        FrameResampler r = new FrameResampler(10, 0, s -> { });
        r.push(new DecodedFrame(1, 0.1, 1, 1, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> r.push(new DecodedFrame(0.5, 0.1, 1, 1, new byte[3])));
        assertThrows(IllegalArgumentException.class, () -> new FrameResampler(0, 0, s -> { }));
    }
}
