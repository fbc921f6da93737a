package io.cubist.pipeline.weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** How state-dict keys and shapes are compared and printed in messages. */
public final class KeyNames {
    /** The BatchNorm step counter: an int64 buffer that inference never reads. */
    static final String NUM_BATCHES_TRACKED = "num_batches_tracked";

    private KeyNames() {
    }

    static boolean isNumBatchesTracked(String key) {
        return key.equals(NUM_BATCHES_TRACKED) || key.endsWith("." + NUM_BATCHES_TRACKED);
    }

    /** {@code [64,3,3,7,7]}, as PyTorch users read shapes; {@code []} for a scalar. */
    static String shape(int[] shape) {
        return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    }

    /** A key for a message: quoted, control characters escaped, cut short if a hostile file made it huge. */
    static String quote(String key) {
        return "'" + printable(key, 120) + "'";
    }

    static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= max && s.length() > max) {
            b.setLength(max);
            b.append("...");
        }
        return b.toString();
    }

    /**
     * Up to {@code limit} keys that the user may have meant by {@code key}: first those that differ by a dotted prefix
     * ({@code module.fc.weight} for {@code fc.weight} and back), then those within a small edit distance.
     */
    static List<String> nearMatches(String key, Collection<String> keys, int limit) {
        record Candidate(String key, int score, int order) {
        }
        int budget = Math.max(2, key.length() / 4);
        List<Candidate> found = new ArrayList<>();
        int order = 0;
        for (String k : keys) {
            order++;
            if (k.endsWith("." + key) || key.endsWith("." + k)) {
                found.add(new Candidate(k, 0, order));
            } else if (Math.abs(k.length() - key.length()) <= budget) {
                int d = editDistance(key, k, budget);
                if (d <= budget) {
                    found.add(new Candidate(k, d, order));
                }
            }
        }
        return found.stream()
                .sorted(Comparator.comparingInt(Candidate::score).thenComparingInt(Candidate::order))
                .limit(limit)
                .map(Candidate::key)
                .toList();
    }

    /** Levenshtein distance, or {@code budget + 1} as soon as it must exceed {@code budget}. */
    public static int editDistance(String a, String b, int budget) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
                rowMin = Math.min(rowMin, cur[j]);
            }
            if (rowMin > budget) {
                return budget + 1;
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** {@code a, b, c} or {@code a, b, ... and 7 more}. */
    static String list(List<String> items, int max) {
        if (items.size() <= max) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, max)) + ", ... and " + (items.size() - max) + " more";
    }
}
