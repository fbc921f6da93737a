package io.cubist.jobs.extract;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A unit of work: the clips of one video whose first frame lies in {@code [startSec, endSec)}. A video of duration
 * {@code d} becomes {@code ceil(d / segmentSeconds)} segments; the first starts at minus infinity and the last ends at
 * plus infinity, so every clip belongs to exactly one segment whatever the probed duration says.
 *
 * @param index   the segment's number within its video
 * @param count   how many segments the video has
 * @param cost    the seconds of video it covers (the balancing weight)
 */
public record Segment(String video, int index, int count, double startSec, double endSec, double cost)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Splits a video of {@code durationSec} (NaN or infinite when unknown: one segment). */
    public static List<Segment> split(String video, double durationSec, double segmentSeconds) {
        if (!(durationSec > 0) || Double.isInfinite(durationSec)) {
            // unknown length: one segment, weighted as a full one
            return List.of(new Segment(video, 0, 1, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                    segmentSeconds));
        }
        int n = Math.max(1, (int) Math.ceil(durationSec / segmentSeconds - 1e-9));
        List<Segment> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double t0 = i == 0 ? Double.NEGATIVE_INFINITY : i * segmentSeconds;
            double t1 = i == n - 1 ? Double.POSITIVE_INFINITY : (i + 1) * segmentSeconds;
            double cost = Math.min(durationSec, (i + 1) * segmentSeconds) - i * segmentSeconds;
            out.add(new Segment(video, i, n, t0, t1, Math.max(cost, 1e-3)));
        }
        return out;
    }

    /**
     * Assigns segments to {@code partitions} bins, longest first to the least loaded bin (LPT scheduling: the
     * heaviest bin is within 4/3 of the best possible). Returns, per segment in input order, its bin.
     */
    public static int[] balance(List<Segment> segments, int partitions) {
        Integer[] order = new Integer[segments.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -segments.get(i).cost())
                .thenComparing(i -> segments.get(i).video()).thenComparingInt(i -> segments.get(i).index()));
        PriorityQueue<double[]> bins = new PriorityQueue<>(Comparator.<double[]>comparingDouble(b -> b[0])
                .thenComparingDouble(b -> b[1]));
        for (int b = 0; b < partitions; b++) {
            bins.add(new double[] {0, b});
        }
        int[] bin = new int[segments.size()];
        for (int i : order) {
            double[] b = bins.poll();
            bin[i] = (int) b[1];
            b[0] += segments.get(i).cost();
            bins.add(b);
        }
        return bin;
    }

    /** True when a clip starting at {@code startSec} belongs to this segment. */
    public boolean owns(double startSec) {
        return startSec >= startSec() && startSec < endSec();
    }
}
