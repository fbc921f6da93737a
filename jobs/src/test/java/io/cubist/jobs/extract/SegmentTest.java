package io.cubist.jobs.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentTest {

    @Test
    void splitCoversTheWholeTimeLineExactlyOnce() {
        List<Segment> s = Segment.split("v", 7200, 300);
        assertEquals(24, s.size());
        assertEquals(Double.NEGATIVE_INFINITY, s.get(0).startSec());
        assertEquals(Double.POSITIVE_INFINITY, s.get(23).endSec());
        for (int i = 1; i < s.size(); i++) {
            assertEquals(s.get(i - 1).endSec(), s.get(i).startSec(), "segments must be contiguous");
            assertEquals(24, s.get(i).count());
        }
        // every clip start belongs to exactly one segment, boundaries included
        Random r = new Random(3);
        for (int k = 0; k < 2000; k++) {
            double t = k < 30 ? k * 300.0 : r.nextDouble() * 8000 - 10;
            long owners = s.stream().filter(x -> x.owns(t)).count();
            assertEquals(1, owners, "clip starting at " + t);
        }
        double total = s.stream().mapToDouble(Segment::cost).sum();
        assertEquals(7200, total, 1e-6);
    }

    @Test
    void shortAndUnknownDurationsAreOneSegment() {
        assertEquals(1, Segment.split("v", 12.5, 300).size());
        assertEquals(1, Segment.split("v", 300, 300).size());
        assertEquals(2, Segment.split("v", 300.5, 300).size());
        Segment unknown = Segment.split("v", Double.NaN, 300).get(0);
        assertTrue(unknown.owns(-1) && unknown.owns(1e9));
    }

    @Test
    void balanceKeepsTheHeaviestBinWithinLptBound() {
        List<Segment> all = new ArrayList<>();
        Random r = new Random(7);
        for (int v = 0; v < 40; v++) {
            all.addAll(Segment.split("video" + v, 5 + r.nextDouble() * 2000, 300));
        }
        int p = 6;
        int[] bin = Segment.balance(all, p);
        double[] load = new double[p];
        double total = 0;
        double biggest = 0;
        for (int i = 0; i < all.size(); i++) {
            assertTrue(bin[i] >= 0 && bin[i] < p);
            load[bin[i]] += all.get(i).cost();
            total += all.get(i).cost();
            biggest = Math.max(biggest, all.get(i).cost());
        }
        double lower = Math.max(total / p, biggest);
        for (double l : load) {
            assertTrue(l <= lower * 4 / 3 + 1e-9, "bin load " + l + " vs lower bound " + lower);
        }
        // one long video is spread over many partitions
        List<Segment> one = Segment.split("long", 7200, 300);
        int[] b = Segment.balance(one, 8);
        assertEquals(8, java.util.Arrays.stream(b).distinct().count());
    }
}
