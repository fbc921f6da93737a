import io.cubist.pipeline.video.DecodedFrame;
import io.cubist.pipeline.video.VideoReader;
import java.util.Locale;

/**
 * Decode rate of Cubist's VideoReader (every frame to RGB24 on the heap, as the clip pipeline consumes them):
 * {@code java -cp CLASSPATH tools/DecodeBench.java FILE [RUNS]}; tools/bench_decode.sh runs it beside ffmpeg.
 * Prints one line per run and the best: frames, seconds, frames per second.
 */
public class DecodeBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: DecodeBench FILE [RUNS]");
            System.exit(2);
        }
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        double best = 0;
        for (int run = 0; run < runs; run++) {
            long t0 = System.nanoTime();
            long n = 0;
            long checksum = 0;
            try (VideoReader r = VideoReader.open(args[0])) {
                DecodedFrame f;
                while ((f = r.next()) != null) {
                    n++;
                    checksum += f.rgb()[f.rgb().length / 2];
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, n / secs);
            System.out.printf(Locale.ROOT, "VideoReader run %d: %d frames in %.3f s = %.1f fps (checksum %d)%n",
                    run + 1, n, secs, n / secs, checksum);
        }
        System.out.printf(Locale.ROOT, "VideoReader best: %.1f fps%n", best);
    }
}
